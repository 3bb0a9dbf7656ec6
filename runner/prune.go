package runner

import (
	"context"
	"time"

	"github.com/go-kit/log/level"

	"github.com/clari-exporter/clari_exporter/store"
)

// pruneInterval is how often the store is swept for targets that left the
// config: a departed target waits storage.departed_retention (weeks), so
// once a day is soon enough, and the sweep (one read of every target the
// store holds) stays off the per-run path.
const pruneInterval = 24 * time.Hour

// pruneDeparted deletes from the store the targets that left the config
// and saw nothing for storage.departed_retention, at most once per
// pruneInterval (the first tick sweeps). The live state drops them at once
// (refreshTarget); this is what bounds the store.
func (r *Runner) pruneDeparted(ctx context.Context) {
	cfg := r.opts.Config()
	retention := time.Duration(cfg.Storage.DepartedRetention)
	now := r.opts.Now()
	if retention <= 0 || (!r.lastPrune.IsZero() && now.Sub(r.lastPrune) < pruneInterval) {
		return
	}
	resolved := r.opts.Calendar.Resolve(cfg)
	if !resolved.FiscalCalendar.Known() {
		return // no period can be named yet: every target would look departed
	}
	r.lastPrune = now
	targets := resolved.Targets(now)
	keep := make([]store.TargetKey, 0, len(targets))
	for _, t := range targets {
		keep = append(keep, store.TargetKey{Forecast: t.Forecast, Period: t.Period})
	}
	pruned, err := r.opts.Store.PruneDeparted(ctx, keep, now.Add(-retention))
	if err != nil {
		level.Warn(r.logger).Log("msg", "cannot prune departed targets from the store; retrying in a day", "err", err)
		return
	}
	for _, k := range pruned {
		level.Info(r.logger).Log("msg", "pruned a target that left the config from the store", "forecast", k.Forecast, "period", k.Period, "idle_for_more_than", retention)
	}
}
