package collector

import (
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/clari-exporter/clari_exporter/warehouse/checkstate"
)

// warehouseState is a published warehouse state (the warehouse side's own
// value): checks ran, retention failed.
func warehouseState() checkstate.State {
	return checkstate.State{
		Table: "clari_forecast_entries", MaxLoadAge: 48 * time.Hour,
		RanAt: t0,
		Reconciliations: []checkstate.Reconciliation{
			{Forecast: "net_arr", Period: "2026_Q4", Expected: 1200, Actual: 1200, MismatchRatio: 0},
			{Forecast: "net_arr", Period: "2026_Q3", Expected: 1000, Actual: 900, MismatchRatio: 0.1},
			{Forecast: "net_arr", Period: "2026_Q2", Expected: 0, Actual: 3, MismatchRatio: 3}, // nothing expected: divide by 1
		},
		Measured: true, DuplicateKeys: 2, SurplusRows: 5, PeriodsBeyondRetention: 1, LastLoad: t0.Add(-time.Hour),
		RetentionRowsBeyond: 480, RetentionRowsDeleted: 96, Reconciled: true, MissingPeriods: 1,
		SinkLoads: []checkstate.SinkLoad{
			{Forecast: "bookings", Failures: 2, LastSucceeded: false, CurrencyConflicts: 7},
			{Forecast: "net_arr", Failures: 0, LastSucceeded: true},
		},
		Checks: []checkstate.Check{
			{Name: "reconciliation", Success: true},
			{Name: "retention", Success: false},
		},
	}
}

func warehouseOf(st checkstate.State) func() checkstate.State {
	return func() checkstate.State { return st }
}

func TestWarehouseCollectorGolden(t *testing.T) {
	compareGolden(t, NewWarehouseCollector(warehouseOf(warehouseState())), "warehouse")
}

func TestWarehouseCollectorWithoutSourceIsEmpty(t *testing.T) {
	if n := testutil.CollectAndCount(NewWarehouseCollector(nil)); n != 0 {
		t.Errorf("nil source: %d series, want 0", n)
	}
	// Never ran: no last-run timestamp (rather than 1970).
	if n := testutil.CollectAndCount(NewWarehouseCollector(warehouseOf(checkstate.State{}))); n != 0 {
		t.Errorf("zero state: %d series, want 0", n)
	}
}

func TestWarehouseCollectorLeavesOutUnknownLoadTime(t *testing.T) {
	st := checkstate.State{RanAt: t0, Table: "empty_table", Measured: true} // no load time: freshness left out
	c := NewWarehouseCollector(warehouseOf(st))
	if n := testutil.CollectAndCount(c, "clari_warehouse_last_load_timestamp_seconds"); n != 0 {
		t.Errorf("freshness series = %d, want 0 for a table without a load time", n)
	}
	if n := testutil.CollectAndCount(c, "clari_warehouse_duplicate_keys"); n != 1 {
		t.Errorf("duplicate-key series = %d, want 1", n)
	}
}

// TestWarehouseCollectorLeavesOutUnmeasuredTable: connect failed, so the
// table's numbers are absent rather than zeros, and check_success says why.
func TestWarehouseCollectorLeavesOutUnmeasuredTable(t *testing.T) {
	st := checkstate.State{RanAt: t0, Table: "t", Checks: []checkstate.Check{{Name: "connect"}}}
	c := NewWarehouseCollector(warehouseOf(st))
	if n := testutil.CollectAndCount(c, "clari_warehouse_duplicate_keys", "clari_warehouse_periods_missing"); n != 0 {
		t.Errorf("table series = %d, want 0 when nothing was measured", n)
	}
	if n := testutil.CollectAndCount(c, "clari_warehouse_check_success"); n != 1 {
		t.Errorf("check series = %d, want 1", n)
	}
}

// TestWarehouseCollectorShowsSinkFailuresBeforeAnyCheck: a sink that
// fails while the checks have not run yet (or cannot) still shows.
func TestWarehouseCollectorShowsSinkFailuresBeforeAnyCheck(t *testing.T) {
	st := checkstate.State{Table: "t", SinkLoads: []checkstate.SinkLoad{{Forecast: "net_arr", Failures: 1}}}
	c := NewWarehouseCollector(warehouseOf(st))
	if n := testutil.CollectAndCount(c, "clari_warehouse_sink_load_failures_total", "clari_warehouse_sink_last_load_success", "clari_warehouse_sink_currency_conflicts_total"); n != 3 {
		t.Errorf("sink series before any check = %d, want 3", n)
	}
	if n := testutil.CollectAndCount(c, "clari_warehouse_check_success"); n != 0 {
		t.Errorf("check series before any check = %d, want 0", n)
	}
}

func TestWarehouseCollectorLint(t *testing.T) {
	lintClean(t, NewWarehouseCollector(warehouseOf(warehouseState())))
}
