package runner

import (
	"context"
	"maps"
	"math"
	"slices"
	"time"

	"github.com/go-kit/log/level"

	"github.com/clari-exporter/clari_exporter/config"
	"github.com/clari-exporter/clari_exporter/snapshot"
	"github.com/clari-exporter/clari_exporter/store"
)

// State is the runner's published export state: every configured target
// (those that never ran included, so their counters show 0) and the coverage
// of each forecast. A published State never changes; treat it as read-only.
// The runner publishes a new one when the store changed (a run, a skip, a
// re-queue), the config was reloaded, or the clock moved past a coverage
// deadline or the end of the current quarter, and keeps the same one
// otherwise, so a scrape of an unchanged state costs nothing per series.
type State struct {
	// Generation identifies this value: never 0, different for every State
	// the runner publishes. The collector keeps its encoded metrics per
	// generation.
	Generation uint64
	// Targets holds one entry per configured (forecast, period), in config
	// order.
	Targets []Target
	// CoverageMissing is, per configured forecast id, how many required
	// periods have no successful export within their max age.
	CoverageMissing map[string]int

	forecasts  []string              // configured forecast ids, in config order
	cfg        *config.File          // the config it was built from
	calendar   config.FiscalCalendar // and the fiscal calendar in use then
	storeGen   uint64                // the store refresh it reflects
	validUntil time.Time             // first instant a clock-dependent value changes
}

// Target is the state of one configured (forecast, period): what the store
// holds for it (zero when it never ran) plus the swings of its latest
// snapshot against the ones before, computed once per change.
type Target struct {
	store.TargetState
	// MaxAge is how old its last successful export may be before the
	// period counts as missing coverage.
	MaxAge time.Duration
	Swings []snapshot.Swing
}

// The methods below are what the export collector reads
// (collector.ExportTarget); they only read the value.

// Labels returns the target's forecast id and period label.
func (t Target) Labels() (forecast, period string) { return t.Forecast, t.Period }

// Counters returns the cumulative counters: runs finished (any outcome),
// re-queues, and failures and skips by reason.
func (t Target) Counters() (runs, requeues uint64, failures, skips map[string]uint64) {
	return t.Runs, t.Requeues, t.Failures, t.Skips
}

// HasRun reports whether a run of the target finished.
func (t Target) HasRun() bool { return !t.LastRun.IsZero() }

// LastRunResult returns the end of the last run (zero when none), whether
// it succeeded and how long its job took.
func (t Target) LastRunResult() (end time.Time, success bool, took time.Duration) {
	return t.LastRun, t.LastRunSuccess, t.LastDuration
}

// LastSuccessTime is the end of the last successful run; zero when none.
func (t Target) LastSuccessTime() time.Time { return t.LastSuccess }

// MaxAgeLimit returns MaxAge.
func (t Target) MaxAgeLimit() time.Duration { return t.MaxAge }

// HasSnapshot reports whether a successful export left a snapshot.
func (t Target) HasSnapshot() bool { return t.Latest != nil }

// SnapshotRows returns the distinct and duplicate entries of the latest
// snapshot; ok is false when there is none.
func (t Target) SnapshotRows() (rows, duplicates int, ok bool) {
	if t.Latest == nil {
		return 0, 0, false
	}
	return t.Latest.Rows, t.Latest.DuplicateRows, true
}

// EachTotal calls fn with every field and data type total of the latest
// snapshot.
func (t Target) EachTotal(fn func(field, dataType string, value float64)) {
	if t.Latest == nil {
		return
	}
	for _, v := range t.Latest.Totals {
		fn(v.Field, v.DataType, v.Value)
	}
}

// DuplicateJobCount is how many extra Clari jobs were found for one create
// intent of the target, each cancelled.
func (t Target) DuplicateJobCount() uint64 { return t.DuplicateJobs }

// EachDataTypeRows calls fn with the latest snapshot's rows per data type,
// every requested type included (0 when the export delivered none), in
// data-type order.
func (t Target) EachDataTypeRows(fn func(dataType string, rows int)) {
	if t.Latest == nil {
		return
	}
	for _, dt := range slices.Sorted(maps.Keys(t.Latest.RowsByDataType)) {
		fn(dt, t.Latest.RowsByDataType[dt])
	}
}

// EachSwing calls fn with every field's swing against the previous
// snapshot; the ratio is NaN where the previous total was 0 (no baseline:
// the collector then serves no clari_forecast_swing_ratio for the field).
func (t Target) EachSwing(fn func(field string, ratio float64, anomalous bool)) {
	for _, s := range t.Swings {
		r, ok := s.DefinedRatio()
		if !ok {
			r = math.NaN()
		}
		fn(s.Field, r, s.Anomalous)
	}
}

// AnomalousSwing reports whether a field of the latest snapshot swung past
// the review threshold against the previous one.
func (t Target) AnomalousSwing() bool {
	return slices.ContainsFunc(t.Swings, func(s snapshot.Swing) bool { return s.Anomalous })
}

// The methods below are what the export collector reads of the whole state
// (collector.ExportState).

// ExportGeneration returns Generation.
func (s *State) ExportGeneration() uint64 { return s.Generation }

// ExportTargets returns Targets.
func (s *State) ExportTargets() []Target { return s.Targets }

// EachCoverageMissing calls fn for every configured forecast, in config
// order, with its count of missing periods.
func (s *State) EachCoverageMissing(fn func(forecast string, missing int)) {
	for _, id := range s.forecasts {
		fn(id, s.CoverageMissing[id])
	}
}

// stored is what the store holds, refreshed after every change: the
// targets that have a run, re-queue or skip, with their swings.
type stored struct {
	gen     uint64
	targets map[targetKey]Target
}

// refresh rebuilds the stored state from the store. It runs after every run
// or skip, never on a scrape, so /metrics answers from memory.
func (r *Runner) refresh(ctx context.Context) error {
	states, err := r.opts.Store.TargetStates(ctx)
	if err != nil {
		return err
	}
	cfg := r.opts.Config()
	byKey := make(map[targetKey]Target, len(states))
	for _, s := range states {
		t, err := r.withSwings(ctx, cfg, s)
		if err != nil {
			return err
		}
		byKey[targetKey{s.Forecast, s.Period}] = t
	}
	r.mu.Lock()
	r.stored = stored{gen: r.stored.gen + 1, targets: byKey}
	r.mu.Unlock()
	r.publish()
	return nil
}

// withSwings is the target of a stored state, with the swings of its
// latest snapshot against the one before.
func (r *Runner) withSwings(ctx context.Context, cfg *config.File, s store.TargetState) (Target, error) {
	t := Target{TargetState: s}
	if s.Latest == nil {
		return t, nil
	}
	hist, err := r.opts.Store.SnapshotHistory(ctx, s.Forecast, s.Period, max(cfg.Swing.MinHistory, 2))
	if err != nil {
		return t, err
	}
	t.Swings = snapshot.CompareSwings(hist, *s.Latest, snapshot.SwingConfig{
		Threshold: cfg.Swing.Threshold, MinBaseline: cfg.Swing.MinBaseline,
		MinAbsChange: cfg.Swing.MinAbsChange, MinHistory: cfg.Swing.MinHistory,
	})
	return t, nil
}

// refreshTarget re-reads one target after its run or skip: two store
// reads whatever the number of targets. Targets that left the config (a
// quarter rolled out of the window) are dropped from the stored state on
// the way, in memory only. The map is copied, not changed in place:
// publish reads the previous one without the lock.
func (r *Runner) refreshTarget(ctx context.Context, forecast, period string) error {
	s, err := r.opts.Store.TargetState(ctx, forecast, period)
	if err != nil {
		return err
	}
	cfg := r.opts.Config()
	t, err := r.withSwings(ctx, cfg, s)
	if err != nil {
		return err
	}
	configured := map[targetKey]bool{}
	for _, ct := range r.targets(cfg, r.opts.Now()) {
		configured[targetKey{ct.Forecast, ct.Period}] = true
	}
	k := targetKey{forecast, period}
	r.mu.Lock()
	before := r.stored.targets[k]
	targets := make(map[targetKey]Target, len(r.stored.targets)+1)
	for key, v := range r.stored.targets {
		if configured[key] {
			targets[key] = v
		}
	}
	targets[k] = t
	r.stored = stored{gen: r.stored.gen + 1, targets: targets}
	r.mu.Unlock()
	if t.Latest != nil && (before.Latest == nil || before.Latest.JobID != t.Latest.JobID) {
		r.logAnomalousSwings(t)
	}
	r.publish()
	return nil
}

// logAnomalousSwings leaves a warn line per field a new snapshot swung past
// the review threshold: after the fact, not only Prometheus history shows
// that it happened.
func (r *Runner) logAnomalousSwings(t Target) {
	for _, sw := range t.Swings {
		if sw.Anomalous {
			kv := append([]any{"msg", "anomalous forecast swing between the last two snapshots; review it", "forecast", t.Forecast, "period", t.Period}, sw.LogFields()...)
			level.Warn(r.logger).Log(append(kv, "job", t.Latest.JobID)...)
		}
	}
}

// ExportState returns the published state, first publishing a new one when
// the store, the config or the clock made the current one stale. Checking
// costs a few comparisons: nothing per target.
func (r *Runner) ExportState() *State {
	if st := r.state.Load(); st != nil && r.current(st) {
		return st
	}
	return r.publish()
}

// current reports whether st still describes the store, config and clock.
func (r *Runner) current(st *State) bool {
	r.mu.RLock()
	gen := r.stored.gen
	r.mu.RUnlock()
	cfg := r.opts.Config()
	cal, _ := r.opts.Calendar.InUse(cfg)
	return st.storeGen == gen && st.cfg == cfg && st.calendar == cal && r.opts.Now().Before(st.validUntil)
}

// publish builds the state from the stored one, config and clock, and
// publishes it unless a concurrent publish already made a current one.
func (r *Runner) publish() *State {
	r.pubMu.Lock()
	defer r.pubMu.Unlock()
	if st := r.state.Load(); st != nil && r.current(st) {
		return st
	}
	cfg := r.opts.Config()
	now := r.opts.Now()
	r.mu.RLock()
	stored := r.stored
	r.mu.RUnlock()

	// Without a known fiscal calendar no period has a label: the one
	// target is the learning export's (period "").
	resolved := r.opts.Calendar.Resolve(cfg)
	targets := r.targets(cfg, now)
	st := &State{
		Targets:         make([]Target, 0, len(targets)),
		CoverageMissing: make(map[string]int, len(cfg.Forecasts)),
		forecasts:       make([]string, 0, len(cfg.Forecasts)),
		cfg:             cfg,
		calendar:        resolved.FiscalCalendar,
		storeGen:        stored.gen,
		// The target list follows the current quarter.
		validUntil: resolved.FiscalCalendar.PeriodAt(now).End,
	}
	for _, f := range cfg.Forecasts {
		st.CoverageMissing[f.ID] = 0
		st.forecasts = append(st.forecasts, f.ID)
	}
	for _, ct := range targets {
		t, ok := stored.targets[targetKey{ct.Forecast, ct.Period}]
		if !ok {
			t.Forecast, t.Period = ct.Forecast, ct.Period
		}
		t.MaxAge = ct.MaxAge
		st.Targets = append(st.Targets, t)
		expires := t.LastSuccess.Add(ct.MaxAge)
		if t.LastSuccess.IsZero() || now.Sub(t.LastSuccess) > ct.MaxAge {
			st.CoverageMissing[ct.Forecast]++
		} else if expires.Before(st.validUntil) {
			// Coverage changes once now passes expires.
			st.validUntil = expires.Add(time.Nanosecond)
		}
	}
	r.pubGen++
	st.Generation = r.pubGen
	r.state.Store(st)
	return st
}

// LatestExpected lists, per configured target with a snapshot, how many
// rows its last successful export holds: the warehouse reconciliation's
// expectation. Targets dropped from the config are left out.
func (r *Runner) LatestExpected() map[[2]string]int {
	st := r.ExportState()
	out := make(map[[2]string]int, len(st.Targets))
	for _, t := range st.Targets {
		if t.Latest != nil {
			out[[2]string{t.Forecast, t.Period}] = t.Latest.Rows
		}
	}
	return out
}
