package app

import (
	"fmt"

	"github.com/clari-exporter/clari_exporter/config"
)

// Component is one part of the running exporter as reload sees it. A reload
// loads and validates the file once, then offers the new config to every
// component in build order; the first that rejects it ends the reload and
// every component that already applied it is given the old one back, so all
// stay on one config.
type Component interface {
	// Name is used in logs and errors.
	Name() string
	// ApplyConfig switches the component to cfg, or returns an error and
	// changes nothing. Settings it cannot apply live (Reloads().Restart) are
	// kept from start-up, with a warning when they changed.
	ApplyConfig(cfg *config.Config) error
	// Reloads says which config settings the component applies live and
	// which need a restart; docs/configuration.md's reload table is
	// checked against it.
	Reloads() Reloads
}

// Reloads names config settings (YAML paths such as "clari.probe_interval"
// or a whole section such as "warehouse").
type Reloads struct {
	Live, Restart []string
}

// applyAll offers cfg to each component in order; on a rejection it gives
// old back to those that took cfg and returns the error.
func applyAll(components []Component, old, cfg *config.Config) error {
	for i, c := range components {
		if err := c.ApplyConfig(cfg); err != nil {
			for j := i - 1; j >= 0; j-- {
				_ = components[j].ApplyConfig(old) // it ran with old a moment ago
			}
			return fmt.Errorf("reload rejected by the %s component (every component keeps the running config): %w", c.Name(), err)
		}
	}
	return nil
}
