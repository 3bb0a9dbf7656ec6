package main

import (
	"github.com/clari-exporter/clari_exporter/collector"
	"github.com/clari-exporter/clari_exporter/config"
)

// readinessSource feeds clari_readiness_check from the audit's cheap checks.
func readinessSource(h *config.Holder) collector.ReadinessSource {
	return nil // wired to checklist/ once it lands
}
