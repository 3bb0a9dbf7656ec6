package collector

import (
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

func warehouseState() WarehouseState {
	return WarehouseState{
		LastRun: t0,
		Reconciliations: []Reconciliation{
			{Forecast: "net_arr", Period: "2026_Q4", Expected: 1200, Actual: 1200},
			{Forecast: "net_arr", Period: "2026_Q3", Expected: 1000, Actual: 900},
			{Forecast: "net_arr", Period: "2026_Q2", Expected: 0, Actual: 3}, // nothing expected: divide by 1
		},
		Tables: []TableState{
			{Table: "clari_forecast_entries", DuplicateKeys: 2, SurplusRows: 5, PeriodsBeyondRetention: 1, LastLoad: t0.Add(-time.Hour),
				RetentionRowsBeyond: 480, RetentionRowsDeleted: 96},
			{Table: "empty_table"}, // no load time: freshness left out
		},
		Checks: []CheckResult{
			{Check: "reconciliation", Success: true},
			{Check: "retention", Success: false},
		},
	}
}

func TestWarehouseCollectorGolden(t *testing.T) {
	compareGolden(t, NewWarehouseCollector(WarehouseSourceFunc(warehouseState)), "warehouse")
}

func TestWarehouseCollectorWithoutSourceIsEmpty(t *testing.T) {
	if n := testutil.CollectAndCount(NewWarehouseCollector(nil)); n != 0 {
		t.Errorf("nil source: %d series, want 0", n)
	}
	// Never ran: no last-run timestamp (rather than 1970).
	c := NewWarehouseCollector(WarehouseSourceFunc(func() WarehouseState { return WarehouseState{} }))
	if n := testutil.CollectAndCount(c); n != 0 {
		t.Errorf("zero state: %d series, want 0", n)
	}
}

func TestMismatchRatio(t *testing.T) {
	for _, tc := range []struct {
		expected, actual, want float64
	}{
		{1000, 1000, 0},
		{1000, 900, 0.1},
		{1000, 1100, 0.1},
		{0, 3, 3},
		{0, 0, 0},
		{0.5, 1, 0.5},
	} {
		r := Reconciliation{Expected: tc.expected, Actual: tc.actual}
		if got := r.MismatchRatio(); got != tc.want {
			t.Errorf("MismatchRatio(expected %v, actual %v) = %v, want %v", tc.expected, tc.actual, got, tc.want)
		}
	}
}

func TestWarehouseCollectorLint(t *testing.T) {
	lintClean(t, NewWarehouseCollector(WarehouseSourceFunc(warehouseState)))
}
