package config

import (
	"time"

	"github.com/clari-exporter/clari_exporter/clari"
)

// ClientOptions is the clari section and the resolved API key as the Clari
// client takes them. The client has no defaults of its own: every value
// comes from here (defaults.go and the file, validated by Load). The caller
// adds what is not configuration: UserAgentVersion, Instrumentation,
// HTTPClient and Logger.
func (cfg *Config) ClientOptions() clari.Options {
	c := cfg.Clari
	return clari.Options{
		BaseURL:        c.BaseURL,
		APIKey:         string(cfg.Secrets.APIKey),
		RequestTimeout: time.Duration(c.RequestTimeout),
		Retry: clari.RetryOptions{
			Enabled:         c.Retry.Enabled,
			InitialInterval: time.Duration(c.Retry.InitialInterval),
			MaxInterval:     time.Duration(c.Retry.MaxInterval),
			MaxElapsedTime:  time.Duration(c.Retry.MaxElapsedTime),
		},
		Breaker: clari.BreakerOptions{
			Enabled:             c.Breaker.Enabled,
			ConsecutiveFailures: c.Breaker.ConsecutiveFailures,
			OpenTimeout:         time.Duration(c.Breaker.OpenTimeout),
		},
		Pacing: clari.PacingOptions{RequestsPerSecond: c.Pacing.RequestsPerSecond, Burst: c.Pacing.Burst},
	}
}
