package runner

import (
	"context"
	"fmt"
	"hash/fnv"

	"github.com/clari-exporter/clari_exporter/collector"
	"github.com/clari-exporter/clari_exporter/config"
	"github.com/clari-exporter/clari_exporter/snapshot"
	"github.com/clari-exporter/clari_exporter/store"
)

// targetState is a store.TargetState plus the swings of its latest snapshot
// against the one before, computed once per change rather than per scrape.
type targetState struct {
	store.TargetState
	swings []snapshot.Swing
}

// refresh rebuilds the cached state from the store. It runs after every run
// or skip, never on a scrape, so /metrics answers from memory.
func (r *Runner) refresh(ctx context.Context) error {
	states, err := r.opts.Store.TargetStates(ctx)
	if err != nil {
		return err
	}
	cfg := r.opts.Config()
	swingCfg := snapshot.SwingConfig{
		Threshold: cfg.Swing.Threshold, MinBaseline: cfg.Swing.MinBaseline,
		MinAbsChange: cfg.Swing.MinAbsChange, MinHistory: cfg.Swing.MinHistory,
	}
	out := make([]targetState, 0, len(states))
	for _, s := range states {
		ts := targetState{TargetState: s}
		if s.Latest != nil {
			hist, err := r.opts.Store.SnapshotHistory(ctx, s.Forecast, s.Period, max(cfg.Swing.MinHistory, 2))
			if err != nil {
				return err
			}
			ts.swings = snapshot.CompareSwings(hist, *s.Latest, swingCfg)
		}
		out = append(out, ts)
	}
	r.mu.Lock()
	r.state = out
	r.gen++
	r.mu.Unlock()
	return nil
}

// ExportState implements collector.ExportSource: every configured target
// (those that never ran included, so their counters show 0) and the
// coverage of each forecast. It only reads memory.
func (r *Runner) ExportState() collector.ExportState {
	cfg := r.opts.Config()
	now := r.opts.Now()
	r.mu.RLock()
	byKey := make(map[targetKey]*targetState, len(r.state))
	for i := range r.state {
		byKey[targetKey{r.state[i].Forecast, r.state[i].Period}] = &r.state[i]
	}
	defer r.mu.RUnlock()

	targets := cfg.Targets(now)
	es := collector.ExportState{
		Targets:         make([]collector.TargetState, 0, len(targets)),
		CoverageMissing: make(map[string]int, len(cfg.Forecasts)),
	}
	for _, f := range cfg.Forecasts {
		es.CoverageMissing[f.ID] = 0
	}
	for _, t := range targets {
		s := byKey[targetKey{t.Forecast, t.Period}]
		if s == nil {
			es.Targets = append(es.Targets, collector.TargetState{Forecast: t.Forecast, Period: t.Period})
			es.CoverageMissing[t.Forecast]++
			continue
		}
		es.Targets = append(es.Targets, toCollector(s, cfg))
		if s.LastSuccess.IsZero() || now.Sub(s.LastSuccess) > t.MaxAge {
			es.CoverageMissing[t.Forecast]++
		}
	}
	es.Generation = generation(r.gen, es, cfg)
	return es
}

// generation identifies an ExportState for the collector's cache: the
// store state (gen, bumped by every refresh) plus what depends on the clock
// and the config: the target list and the coverage counts.
func generation(gen uint64, es collector.ExportState, cfg *config.Config) uint64 {
	h := fnv.New64a()
	fmt.Fprintf(h, "%d|%p|", gen, cfg)
	for _, t := range es.Targets {
		fmt.Fprintf(h, "%s/%s|", t.Forecast, t.Period)
	}
	for _, f := range cfg.Forecasts {
		fmt.Fprintf(h, "%s=%d|", f.ID, es.CoverageMissing[f.ID])
	}
	return h.Sum64() | 1 // never 0, which disables the cache
}

func toCollector(s *targetState, cfg *config.Config) collector.TargetState {
	cs := collector.TargetState{
		Forecast: s.Forecast, Period: s.Period,
		RunsTotal:        float64(s.Runs),
		RequeuesTotal:    float64(s.Requeues),
		FailuresByReason: toFloats(s.Failures),
		SkipsByReason:    toFloats(s.Skips),
		HasRun:           !s.LastRun.IsZero(),
		LastRun:          s.LastRun,
		LastRunSuccess:   s.LastRunSuccess,
		LastDuration:     s.LastDuration,
		LastSuccess:      s.LastSuccess,
	}
	if s.Latest != nil {
		cs.HasSnapshot = true
		cs.Rows = float64(s.Latest.Rows)
		cs.DuplicateRows = float64(s.Latest.DuplicateRows)
		for _, t := range s.Latest.Totals {
			cs.Values = append(cs.Values, collector.FieldValue{Field: t.Field, DataType: t.DataType, Value: t.Value})
		}
		for _, sw := range s.swings {
			cs.Swings = append(cs.Swings, collector.FieldSwing{Field: sw.Field, Ratio: sw.Ratio, Anomalous: sw.Anomalous})
		}
	}
	return cs
}

func toFloats(m map[string]uint64) map[string]float64 {
	out := make(map[string]float64, len(m))
	for k, v := range m {
		out[k] = float64(v)
	}
	return out
}

// LatestExpected lists, per configured target with a snapshot, how many
// rows its last successful export holds: the warehouse reconciliation's
// expectation. Targets dropped from the config are left out.
func (r *Runner) LatestExpected() map[[2]string]int {
	configured := map[targetKey]bool{}
	for _, t := range r.opts.Config().Targets(r.opts.Now()) {
		configured[targetKey{t.Forecast, t.Period}] = true
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := make(map[[2]string]int, len(r.state))
	for _, s := range r.state {
		if s.Latest != nil && configured[targetKey{s.Forecast, s.Period}] {
			out[[2]string{s.Forecast, s.Period}] = s.Latest.Rows
		}
	}
	return out
}
