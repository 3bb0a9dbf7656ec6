package config

import (
	"fmt"

	"gopkg.in/yaml.v3"

	"github.com/clari-exporter/clari_exporter/clari"
)

// Redacted is the effective configuration (defaults applied) as YAML, with
// every secret shown as <secret>: safe for logs, a /config page or a
// support ticket. It dumps the file's schema only (File): the resolved
// secrets (Secrets) are not part of it.
func (c *Config) Redacted() ([]byte, error) {
	return yaml.Marshal(&c.File)
}

// Warnings lists things that work but should be fixed; start-up and reload
// log each one. The inline key warning carries its line, and the readiness
// audit fails it (checklist item 1).
func (c *Config) Warnings() []string {
	var w []string
	if c.Clari.APIKey != "" {
		where := "clari.api_key"
		if c.Source != "" && c.InlineKeyLine > 0 {
			where = fmt.Sprintf("%s:%d: clari.api_key", c.Source, c.InlineKeyLine)
		}
		w = append(w, where+": the API key is written in the config file; move it to a secrets manager and use api_key_file or api_key_env")
	}
	if c.Warehouse != nil && c.Warehouse.DSN != "" {
		w = append(w, "warehouse.dsn: the DSN (with its password) is written in the config file; use dsn_file or dsn_env")
	}
	if c.Clari.BaseURL != clari.ProductionBaseURL {
		w = append(w, fmt.Sprintf("clari.base_url: %q is not Clari's production API (%s)", c.Clari.BaseURL, clari.ProductionBaseURL))
	}
	if wh := c.Warehouse; wh != nil && wh.Retention.Enforce {
		for i, f := range c.Forecasts {
			if f.HistoricalQuarters+1 > wh.Retention.Quarters {
				w = append(w, fmt.Sprintf("forecasts[%d].historical_quarters: exports %d quarters but warehouse.retention.quarters %d deletes the oldest ones again", i, f.HistoricalQuarters+1, wh.Retention.Quarters))
			}
		}
	}
	return w
}
