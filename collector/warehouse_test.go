package collector

import (
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

func warehouseState() testWarehouse {
	return testWarehouse{
		LastRun: t0,
		Reconciliations: []testReconciliation{
			{Forecast: "net_arr", Period: "2026_Q4", Expected: 1200, Actual: 1200},
			{Forecast: "net_arr", Period: "2026_Q3", Expected: 1000, Actual: 900},
			{Forecast: "net_arr", Period: "2026_Q2", Expected: 0, Actual: 3}, // nothing expected: divide by 1
		},
		Tables: []testTable{
			{Table: "clari_forecast_entries", DuplicateKeys: 2, SurplusRows: 5, PeriodsBeyondRetention: 1, LastLoad: t0.Add(-time.Hour),
				RetentionRowsBeyond: 480, RetentionRowsDeleted: 96, MaxLoadAge: 48 * time.Hour, PeriodsMissing: 1},
		},
		SinkLoads: []testSinkLoad{
			{Forecast: "bookings", Failures: 2, LastSucceeded: false, CurrencyConflicts: 7},
			{Forecast: "net_arr", Failures: 0, LastSucceeded: true},
		},
		Checks: []testCheck{
			{Check: "reconciliation", Success: true},
			{Check: "retention", Success: false},
		},
	}
}

func TestWarehouseCollectorGolden(t *testing.T) {
	compareGolden(t, NewWarehouseCollector(testWarehouseSource(warehouseState)), "warehouse")
}

func TestWarehouseCollectorWithoutSourceIsEmpty(t *testing.T) {
	if n := testutil.CollectAndCount(NewWarehouseCollector(nil)); n != 0 {
		t.Errorf("nil source: %d series, want 0", n)
	}
	// Never ran: no last-run timestamp (rather than 1970).
	c := NewWarehouseCollector(testWarehouseSource(func() testWarehouse { return testWarehouse{} }))
	if n := testutil.CollectAndCount(c); n != 0 {
		t.Errorf("zero state: %d series, want 0", n)
	}
}

func TestWarehouseCollectorLeavesOutUnknownLoadTime(t *testing.T) {
	st := testWarehouse{LastRun: t0, Tables: []testTable{{Table: "empty_table"}}} // no load time: freshness left out
	c := NewWarehouseCollector(testWarehouseSource(func() testWarehouse { return st }))
	if n := testutil.CollectAndCount(c, "clari_warehouse_last_load_timestamp_seconds"); n != 0 {
		t.Errorf("freshness series = %d, want 0 for a table without a load time", n)
	}
	if n := testutil.CollectAndCount(c, "clari_warehouse_duplicate_keys"); n != 1 {
		t.Errorf("duplicate-key series = %d, want 1", n)
	}
}

// TestWarehouseCollectorShowsSinkFailuresBeforeAnyCheck: a sink that
// fails while the checks have not run yet (or cannot) still shows.
func TestWarehouseCollectorShowsSinkFailuresBeforeAnyCheck(t *testing.T) {
	st := testWarehouse{Tables: []testTable{{Table: "t"}}, SinkLoads: []testSinkLoad{{Forecast: "net_arr", Failures: 1}}}
	c := NewWarehouseCollector(testWarehouseSource(func() testWarehouse { return st }))
	if n := testutil.CollectAndCount(c, "clari_warehouse_sink_load_failures_total", "clari_warehouse_sink_last_load_success", "clari_warehouse_sink_currency_conflicts_total"); n != 3 {
		t.Errorf("sink series before any check = %d, want 3", n)
	}
	if n := testutil.CollectAndCount(c, "clari_warehouse_check_success"); n != 0 {
		t.Errorf("check series before any check = %d, want 0", n)
	}
}

func TestWarehouseCollectorLint(t *testing.T) {
	lintClean(t, NewWarehouseCollector(testWarehouseSource(warehouseState)))
}
