package warehouse

import (
	"context"
	"maps"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-kit/log"
	"github.com/go-kit/log/level"

	"github.com/clari-exporter/clari_exporter/internal/every"
)

// Service is the warehouse side of the running exporter: it connects
// (creating the sink's table), runs the checks on their schedule and
// retention on the same one, and publishes the outcome as a State.
type Service struct {
	w       *Warehouse
	checker *Checker
	current func(time.Time) string // the current fiscal period label
	logger  log.Logger

	// Retention enforcement results (see retain), published in State.
	retentionBeyond  atomic.Int64
	retentionDeleted atomic.Int64
}

// NewService wraps w without connecting: a database that is down at
// start-up shows as a failed check, it does not stop the exporter. input
// feeds each check run (expected rows, current period); currentPeriod
// labels the period containing a time (retention).
func NewService(w *Warehouse, input func() CheckInput, currentPeriod func(time.Time) string, logger log.Logger) *Service {
	if logger == nil {
		logger = log.NewNopLogger()
	}
	return &Service{w: w, checker: NewChecker(w, input, 0, logger), current: currentPeriod, logger: logger}
}

// Run connects, then runs the checks and retention until ctx ends. It does
// not close the database: w is its opener's, and a replica runs the
// service again in each term it leads, on the same pool.
func (s *Service) Run(ctx context.Context) {
	if err := s.w.Connect(ctx); err != nil {
		level.Error(s.logger).Log("msg", "cannot reach the warehouse; checks will report it", "err", err)
	} else if s.w.SinkEnabled() {
		if err := s.w.EnsureTable(ctx); err != nil {
			level.Error(s.logger).Log("msg", "cannot create the sink table", "err", err)
		}
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); every.Run(ctx, s.w.CheckInterval(), s.retain) }()
	s.checker.Run(ctx)
	wg.Wait()
}

// Trigger asks for a check run now (after a load, so reconciliation is
// fresh).
func (s *Service) Trigger() { s.checker.Trigger() }

// retain runs retention (on the check schedule). Clari history cannot be
// re-fetched, so unless warehouse.retention.enforce is on this is a dry run:
// it counts (and logs, and exposes) what enforcement would delete.
func (s *Service) retain(ctx context.Context) {
	policy := s.w.RetentionPolicy()
	current := s.current(time.Now())
	would, deleted, err := s.w.EnforceRetention(ctx, current, policy.Quarters, policy.Enforce)
	if err != nil {
		if ctx.Err() == nil {
			level.Warn(s.logger).Log("msg", "retention run failed", "err", err)
		}
		return
	}
	s.retentionBeyond.Store(would - deleted)
	s.retentionDeleted.Add(deleted)
	if would > 0 && !policy.Enforce {
		level.Info(s.logger).Log("msg", "retention dry run: rows beyond the window would be deleted with warehouse.retention.enforce on",
			"rows", would, "quarters", policy.Quarters, "current_period", current)
	}
}

// State returns the published state: the last check result and the
// retention counts.
func (s *Service) State() *State {
	return &State{Result: s.checker.Last(), table: s.w.Table(),
		retentionBeyond: s.retentionBeyond.Load(), retentionDeleted: s.retentionDeleted.Load(),
		sinkLoads: s.w.SinkLoadsByForecast(), maxLoadAge: s.w.MaxLoadAge()}
}

// State is what the warehouse side publishes for /metrics: the latest
// check Result (shared, read-only) and the retention counts.
type State struct {
	Result
	table                             string
	retentionBeyond, retentionDeleted int64
	sinkLoads                         map[string]SinkLoads
	maxLoadAge                        time.Duration
}

// TableName is the configured table, whether or not a check reached it.
func (s *State) TableName() string { return s.table }

// EachSinkLoad visits every forecast the sink loaded since start-up, in
// name order: its failed loads, whether its newest load succeeded, and the
// rows not written because their key is stored in another currency.
func (s *State) EachSinkLoad(fn func(forecast string, failures uint64, lastSucceeded bool, currencyConflicts uint64)) {
	for _, f := range slices.Sorted(maps.Keys(s.sinkLoads)) {
		l := s.sinkLoads[f]
		fn(f, l.Failures, l.LastSucceeded, l.CurrencyConflicts)
	}
}

// MaxLoadAge is warehouse.max_load_age.
func (s *State) MaxLoadAge() time.Duration { return s.maxLoadAge }

// The methods below are what the warehouse collector reads
// (collector.WarehouseState).

// LastRunTime is when the checks last ran; zero if never.
func (s *State) LastRunTime() time.Time { return s.RanAt }

// EachReconciliation visits the reconciled (forecast, period) targets.
func (s *State) EachReconciliation(fn func(forecast, period string, expected, actual int, mismatchRatio float64)) {
	for _, r := range s.Reconciliations {
		fn(r.Forecast, r.Period, r.Expected, r.Actual, r.MismatchRatio)
	}
}

// EachCheck visits every check with whether it last produced a value.
func (s *State) EachCheck(fn func(check string, success bool)) {
	for _, name := range CheckNames {
		fn(name, s.Ran(name) && s.Errors[name] == nil)
	}
}

// Table is the checked table; ok is false when nothing was measured.
func (s *State) Table() (string, bool) { return s.table, s.Ran(CheckConnect) }

// Duplicates are the duplicate-key check's numbers.
func (s *State) Duplicates() (keys, surplusRows int) { return s.DuplicateKeys, s.SurplusRows }

// Retention are the retention check's and enforcement's numbers.
func (s *State) Retention() (periodsBeyond, rowsBeyond, rowsDeleted int64) {
	return int64(len(s.BeyondRetention)), s.retentionBeyond, s.retentionDeleted
}

// MissingPeriods is how many periods inside the retention window lost
// their rows; ok is false when the reconciliation did not run.
func (s *State) MissingPeriods() (n int, ok bool) {
	return len(s.Result.MissingPeriods), s.Ran(CheckReconciliation)
}

// LastLoadTime is the freshness check's newest load time.
func (s *State) LastLoadTime() time.Time { return s.LastLoad }
