package main

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/go-kit/log"
	"github.com/prometheus/common/version"

	"github.com/clari-exporter/clari_exporter/clari"
	"github.com/clari-exporter/clari_exporter/config"
)

// clientBox holds the current Clari client. A config reload that changes the
// clari section (a rotated key, another base URL) swaps in a new client; the
// runner and the probe always use the current one.
type clientBox struct{ c atomic.Pointer[clari.Client] }

func (b *clientBox) get() *clari.Client { return b.c.Load() }

func (b *clientBox) Limits(ctx context.Context) (clari.Limits, error) {
	return b.get().Limits(ctx)
}

func (b *clientBox) RunExport(ctx context.Context, req clari.ExportRequest, o clari.RunOptions) clari.RunResult {
	return b.get().RunExport(ctx, req, o)
}

func (b *clientBox) ResumeExport(ctx context.Context, jobID string, req clari.ExportRequest, o clari.RunOptions) clari.RunResult {
	return b.get().ResumeExport(ctx, jobID, req, o)
}

// newClient builds a Clari client from the clari section of the config.
func newClient(c config.Clari, instr clari.Instrumentation, logger log.Logger) (*clari.Client, error) {
	return clari.New(clari.Options{
		BaseURL:          c.BaseURL,
		APIKey:           string(c.Key),
		UserAgentVersion: version.Version,
		RequestTimeout:   time.Duration(c.RequestTimeout),
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
		Pacing:          clari.PacingOptions{RequestsPerSecond: c.Pacing.RequestsPerSecond, Burst: c.Pacing.Burst},
		Instrumentation: instr,
		Logger:          logger,
	})
}

// sameClari reports whether two clari sections build the same client.
func sameClari(a, b config.Clari) bool {
	return a.BaseURL == b.BaseURL && a.Key == b.Key && a.RequestTimeout == b.RequestTimeout &&
		a.Retry == b.Retry && a.Breaker == b.Breaker && a.Pacing == b.Pacing
}
