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
	"github.com/clari-exporter/clari_exporter/warehouse/checkstate"
)

// Service is the warehouse side of the running exporter: it connects
// (creating the sink's table), runs the checks on their schedule and
// retention on the same one, and publishes the outcome as a checkstate.State.
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

// State returns the published state: the last check result, the
// retention counts and the sink's loads, as plain values.
func (s *Service) State() checkstate.State {
	return publish(s.checker.Last(), s.w.Table(), s.w.MaxLoadAge(), s.w.SinkLoadsByForecast(),
		s.retentionBeyond.Load(), s.retentionDeleted.Load())
}

// publish builds the published state of one check result.
func publish(r Result, table string, maxLoadAge time.Duration, sinkLoads map[string]SinkLoads, rowsBeyond, rowsDeleted int64) checkstate.State {
	st := checkstate.State{
		Table: table, MaxLoadAge: maxLoadAge, RanAt: r.RanAt,
		Reconciliations: r.Reconciliations, Measured: r.Ran(CheckConnect),
		DuplicateKeys: r.DuplicateKeys, SurplusRows: r.SurplusRows,
		PeriodsBeyondRetention: len(r.BeyondRetention), RetentionRowsBeyond: rowsBeyond, RetentionRowsDeleted: rowsDeleted,
		LastLoad: r.LastLoad, Reconciled: r.Ran(CheckReconciliation), MissingPeriods: len(r.MissingPeriods),
	}
	for _, f := range slices.Sorted(maps.Keys(sinkLoads)) {
		l := sinkLoads[f]
		st.SinkLoads = append(st.SinkLoads, checkstate.SinkLoad{Forecast: f,
			Failures: l.Failures, LastSucceeded: l.LastSucceeded, CurrencyConflicts: l.CurrencyConflicts})
	}
	if !r.RanAt.IsZero() {
		for _, name := range CheckNames {
			st.Checks = append(st.Checks, checkstate.Check{Name: name, Success: r.Ran(name)})
		}
	}
	return st
}
