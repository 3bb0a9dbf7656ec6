package main

import (
	"context"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/clari-exporter/clari_exporter/internal/every"

	"github.com/go-kit/log"
	"github.com/go-kit/log/level"

	"github.com/clari-exporter/clari_exporter/collector"
	"github.com/clari-exporter/clari_exporter/config"
	"github.com/clari-exporter/clari_exporter/runner"
	"github.com/clari-exporter/clari_exporter/warehouse"
)

// warehouseWiring connects the optional warehouse section: the checker that
// feeds the warehouse metrics and, with warehouse.sink, the upsert sink the
// runner writes to. Without a warehouse section every method is a no-op.
type warehouseWiring struct {
	cfg     *config.Config
	w       *warehouse.Warehouse
	checker *warehouse.Checker
	logger  log.Logger

	// Retention enforcement results (see retain), read by source.
	retentionBeyond  atomic.Int64
	retentionDeleted atomic.Int64
}

// newWarehouseWiring prepares the warehouse without connecting: a database
// that is down at start-up shows as a failed check, it does not stop the
// exporter. expected returns the rows of each target's latest snapshot.
func newWarehouseWiring(cfg *config.Config, expected func() map[[2]string]int, logger log.Logger) *warehouseWiring {
	ww := &warehouseWiring{cfg: cfg, logger: log.With(logger, "component", "warehouse")}
	if cfg.Warehouse == nil {
		return ww
	}
	w, err := warehouse.New(*cfg.Warehouse, ww.logger)
	if err != nil {
		level.Error(ww.logger).Log("msg", "warehouse section unusable; warehouse checks disabled", "err", err)
		return ww
	}
	ww.w = w
	ww.checker = warehouse.NewChecker(w, func() warehouse.CheckInput {
		now := time.Now()
		in := warehouse.CheckInput{Now: now, CurrentPeriod: cfg.FiscalCalendar.PeriodAt(now).Label()}
		for k, rows := range expected() {
			in.Expected = append(in.Expected, warehouse.Expected{Forecast: k[0], Period: k[1], Rows: rows})
		}
		sort.Slice(in.Expected, func(i, j int) bool {
			a, b := in.Expected[i], in.Expected[j]
			return a.Forecast < b.Forecast || a.Forecast == b.Forecast && a.Period < b.Period
		})
		return in
	}, 0, ww.logger)
	return ww
}

// sink returns the runner's sink, nil unless warehouse.sink is on.
func (ww *warehouseWiring) sink() runner.Sink {
	if ww.w == nil || !ww.w.SinkEnabled() {
		return nil
	}
	return warehouse.NewSink(ww.w)
}

// start connects (creating the sink's table) and runs the checker.
func (ww *warehouseWiring) start(ctx context.Context, wg *sync.WaitGroup) {
	if ww.w == nil {
		return
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := ww.w.Connect(ctx); err != nil {
			level.Error(ww.logger).Log("msg", "cannot reach the warehouse; checks will report it", "err", err)
		} else if ww.w.SinkEnabled() {
			if err := ww.w.EnsureTable(ctx); err != nil {
				level.Error(ww.logger).Log("msg", "cannot create the sink table", "err", err)
			}
		}
		wg.Add(1)
		go func() { defer wg.Done(); every.Run(ctx, ww.w.CheckInterval(), ww.retain) }()
		ww.checker.Run(ctx)
		_ = ww.w.Close()
	}()
}

// retain runs retention (on the check schedule). Clari history cannot be
// re-fetched, so unless warehouse.retention.enforce is on this is a dry run:
// it counts (and logs, and exposes) what enforcement would delete.
func (ww *warehouseWiring) retain(ctx context.Context) {
	policy := ww.w.RetentionPolicy()
	current := ww.cfg.FiscalCalendar.PeriodAt(time.Now()).Label()
	would, deleted, err := ww.w.EnforceRetention(ctx, current, policy.Quarters, policy.Enforce)
	if err != nil {
		if ctx.Err() == nil {
			level.Warn(ww.logger).Log("msg", "retention run failed", "err", err)
		}
		return
	}
	ww.retentionBeyond.Store(would - deleted)
	ww.retentionDeleted.Add(deleted)
	if would > 0 && !policy.Enforce {
		level.Info(ww.logger).Log("msg", "retention dry run: rows beyond the window would be deleted with warehouse.retention.enforce on",
			"rows", would, "quarters", policy.Quarters, "current_period", current)
	}
}

// trigger asks for a check run now (after a load, so reconciliation is fresh).
func (ww *warehouseWiring) trigger() {
	if ww.checker != nil {
		ww.checker.Trigger()
	}
}

// source adapts the checker's last result to the warehouse collector.
func (ww *warehouseWiring) source() collector.WarehouseSource {
	if ww.checker == nil {
		return nil
	}
	table := ww.w.Table()
	return collector.WarehouseSourceFunc(func() collector.WarehouseState {
		r := ww.checker.Last()
		if r.RanAt.IsZero() {
			return collector.WarehouseState{}
		}
		st := collector.WarehouseState{LastRun: r.RanAt}
		for _, rc := range r.Reconciliations {
			st.Reconciliations = append(st.Reconciliations, collector.Reconciliation{
				Forecast: rc.Forecast, Period: rc.Period, Expected: float64(rc.Expected), Actual: float64(rc.Actual)})
		}
		for _, name := range warehouse.CheckNames {
			st.Checks = append(st.Checks, collector.CheckResult{Check: name, Success: r.Ran(name) && r.Errors[name] == nil})
		}
		if !r.Ran(warehouse.CheckConnect) {
			// Nothing was measured: no table numbers rather than zeros
			// (clari_warehouse_check_success{check="connect"} 0 says why).
			return st
		}
		st.Tables = []collector.TableState{{
			Table: table, DuplicateKeys: float64(r.DuplicateKeys), SurplusRows: float64(r.SurplusRows),
			PeriodsBeyondRetention: float64(len(r.BeyondRetention)), LastLoad: r.LastLoad,
			RetentionRowsBeyond:  float64(ww.retentionBeyond.Load()),
			RetentionRowsDeleted: float64(ww.retentionDeleted.Load()),
		}}
		return st
	})
}
