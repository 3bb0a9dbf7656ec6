package runner

import (
	"sort"
	"time"

	"github.com/clari-exporter/clari_exporter/config"
)

// dueTargets lists the configured targets whose interval has passed since
// their last attempt (never attempted counts as due), the longest-waiting
// first so a slow export cannot starve one target forever. Until the
// fiscal calendar is known the only target is the learning export
// (calendar.go).
func (r *Runner) dueTargets(cfg *config.File, now time.Time) []config.Target {
	targets := r.targets(cfg, now)
	r.mu.RLock()
	defer r.mu.RUnlock()
	type due struct {
		t    config.Target
		last time.Time
	}
	var ds []due
	for _, t := range targets {
		last := r.lastAttempt[targetKey{t.Forecast, t.Period}]
		if last.IsZero() && learning(t.Period) && watchLearns(cfg) {
			// The pipeline watch inspects the pipeline's exports for free:
			// give it one poll interval to learn the calendar first.
			last, t.Interval = r.started, time.Duration(cfg.Watch.Interval)
		}
		if last.IsZero() || now.Sub(last) >= t.Interval {
			ds = append(ds, due{t, last})
		}
	}
	sort.SliceStable(ds, func(i, j int) bool { return ds[i].last.Before(ds[j].last) })
	out := make([]config.Target, len(ds))
	for i, d := range ds {
		out[i] = d.t
	}
	return out
}
