package main

import (
	"context"

	"github.com/go-kit/log"

	"github.com/clari-exporter/clari_exporter/checklist"
	"github.com/clari-exporter/clari_exporter/clari"
	"github.com/clari-exporter/clari_exporter/config"
)

// newReadiness runs the audit's cheap checks (config values and at most one
// free /admin/limits call; never export quota) periodically for
// clari_readiness_check.
func newReadiness(h *config.Holder, webConfigFile string, box *clientBox, logger log.Logger) *checklist.Runner {
	return checklist.NewRunner(checklist.RunnerOptions{
		Config:        h.Get,
		WebConfigFile: webConfigFile,
		Limits:        func(ctx context.Context) (clari.Limits, error) { return box.Limits(ctx) },
		Logger:        log.With(logger, "component", "readiness"),
	})
}
