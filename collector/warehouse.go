package collector

import (
	"math"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// WarehouseSource gives the warehouse collector the latest check results. It
// is called on every scrape: it must return cached results (the checks run
// on their own schedule, never on a scrape) and be safe for concurrent use.
type WarehouseSource interface {
	WarehouseState() WarehouseState
}

// WarehouseSourceFunc adapts a func to WarehouseSource.
type WarehouseSourceFunc func() WarehouseState

// WarehouseState implements WarehouseSource.
func (f WarehouseSourceFunc) WarehouseState() WarehouseState { return f() }

// WarehouseState is the outcome of the latest warehouse checks.
type WarehouseState struct {
	// LastRun is when the reconciliation last ran; zero if never (the
	// metric is then left out).
	LastRun         time.Time
	Reconciliations []Reconciliation
	Tables          []TableState
	// Checks holds one result per warehouse check (e.g. "reconciliation",
	// "duplicate_keys", "retention", "freshness", "connect"), so a check that
	// could not run shows as 0 instead of silently stale numbers.
	Checks []CheckResult
}

// Reconciliation compares one (forecast, period) between the last Clari
// export and the warehouse.
type Reconciliation struct {
	Forecast, Period string
	Expected         float64 // rows the last export says the warehouse should hold
	Actual           float64 // rows the warehouse holds
}

// MismatchRatio is abs(actual − expected) / max(expected, 1), the value of
// clari_reconciliation_mismatch_ratio.
func (r Reconciliation) MismatchRatio() float64 {
	return math.Abs(r.Actual-r.Expected) / math.Max(r.Expected, 1)
}

// TableState is what the checks found in one warehouse table.
type TableState struct {
	Table                  string
	DuplicateKeys          float64 // natural keys held by more than one row
	SurplusRows            float64 // rows beyond one per key
	PeriodsBeyondRetention float64
	// LastLoad is the newest load time; zero when unknown or the table is
	// empty (the metric is then left out).
	LastLoad time.Time
	// RetentionRowsBeyond is the number of rows in periods beyond the
	// retention window: what retention enforcement deletes, or would delete
	// (the dry-run count) while warehouse.retention.enforce is off.
	// RetentionRowsDeleted counts rows enforcement deleted since start-up.
	RetentionRowsBeyond  float64
	RetentionRowsDeleted float64
}

// CheckResult is whether one warehouse check succeeded.
type CheckResult struct {
	Check   string
	Success bool
}

// WarehouseCollector exposes clari_reconciliation_* and clari_warehouse_*.
type WarehouseCollector struct {
	source WarehouseSource

	expected, actual, ratio, lastRun,
	duplicateKeys, surplusRows, beyondRetention, lastLoad, checkSuccess,
	retentionRows, retentionDeleted *prometheus.Desc
}

// NewWarehouseCollector returns the collector; a nil source exposes nothing.
func NewWarehouseCollector(source WarehouseSource) *WarehouseCollector {
	target := []string{"forecast", "period"}
	table := []string{"table"}
	const cached = " (cached: result of the last scheduled warehouse check, never queried on scrape)."
	return &WarehouseCollector{
		source: source,
		expected: prometheus.NewDesc("clari_reconciliation_expected_rows",
			"Rows the last Clari export says the warehouse should hold"+cached, target, nil),
		actual: prometheus.NewDesc("clari_reconciliation_actual_rows",
			"Rows the warehouse holds"+cached, target, nil),
		ratio: prometheus.NewDesc("clari_reconciliation_mismatch_ratio",
			"abs(actual - expected) / max(expected, 1) of warehouse rows against the last Clari export"+cached, target, nil),
		lastRun: prometheus.NewDesc("clari_reconciliation_last_run_timestamp_seconds",
			"When the warehouse reconciliation last ran, in unix seconds.", nil, nil),
		duplicateKeys: prometheus.NewDesc("clari_warehouse_duplicate_keys",
			"Natural keys held by more than one row"+cached, table, nil),
		surplusRows: prometheus.NewDesc("clari_warehouse_surplus_rows",
			"Rows beyond one per natural key"+cached, table, nil),
		beyondRetention: prometheus.NewDesc("clari_warehouse_periods_beyond_retention",
			"Fiscal periods older than the retention window still present"+cached, table, nil),
		lastLoad: prometheus.NewDesc("clari_warehouse_last_load_timestamp_seconds",
			"Newest load time in the table, in unix seconds (freshness)"+cached, table, nil),
		retentionRows: prometheus.NewDesc("clari_warehouse_retention_rows_beyond",
			"Rows in periods beyond the retention window: what retention enforcement deletes, or would delete while warehouse.retention.enforce is off (dry run)"+cached, table, nil),
		retentionDeleted: prometheus.NewDesc("clari_warehouse_retention_deleted_rows_total",
			"Rows deleted by retention enforcement since the exporter started.", table, nil),
		checkSuccess: prometheus.NewDesc("clari_warehouse_check_success",
			"1 if the warehouse check last ran successfully, 0 if it failed (its other metrics may then be stale or absent).", []string{"check"}, nil),
	}
}

// Describe implements prometheus.Collector.
func (c *WarehouseCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.expected, c.actual, c.ratio, c.lastRun,
		c.duplicateKeys, c.surplusRows, c.beyondRetention, c.lastLoad, c.checkSuccess,
		c.retentionRows, c.retentionDeleted} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *WarehouseCollector) Collect(ch chan<- prometheus.Metric) {
	if c.source == nil {
		return
	}
	st := c.source.WarehouseState()
	if !st.LastRun.IsZero() {
		sendConst(ch, c.lastRun, prometheus.GaugeValue, unixSeconds(st.LastRun))
	}
	for _, r := range st.Reconciliations {
		sendConst(ch, c.expected, prometheus.GaugeValue, r.Expected, r.Forecast, r.Period)
		sendConst(ch, c.actual, prometheus.GaugeValue, r.Actual, r.Forecast, r.Period)
		sendConst(ch, c.ratio, prometheus.GaugeValue, r.MismatchRatio(), r.Forecast, r.Period)
	}
	for _, t := range st.Tables {
		sendConst(ch, c.duplicateKeys, prometheus.GaugeValue, t.DuplicateKeys, t.Table)
		sendConst(ch, c.surplusRows, prometheus.GaugeValue, t.SurplusRows, t.Table)
		sendConst(ch, c.beyondRetention, prometheus.GaugeValue, t.PeriodsBeyondRetention, t.Table)
		sendConst(ch, c.retentionRows, prometheus.GaugeValue, t.RetentionRowsBeyond, t.Table)
		sendConst(ch, c.retentionDeleted, prometheus.CounterValue, t.RetentionRowsDeleted, t.Table)
		if !t.LastLoad.IsZero() {
			sendConst(ch, c.lastLoad, prometheus.GaugeValue, unixSeconds(t.LastLoad), t.Table)
		}
	}
	for _, k := range st.Checks {
		sendConst(ch, c.checkSuccess, prometheus.GaugeValue, boolFloat(k.Success), k.Check)
	}
}
