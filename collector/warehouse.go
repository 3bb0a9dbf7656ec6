package collector

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/clari-exporter/clari_exporter/warehouse/checkstate"
)

// WarehouseCollector exposes clari_reconciliation_* and clari_warehouse_*
// from the warehouse side's published state: the outcome of the latest
// scheduled checks, never a query made on a scrape.
type WarehouseCollector struct {
	latest func() checkstate.State

	expected, actual, ratio, lastRun, missingRows, extraRows, periodsMissing,
	duplicateKeys, surplusRows, beyondRetention, lastLoad, checkSuccess,
	retentionRows, retentionDeleted,
	maxLoadAge, sinkFailures, sinkLastSuccess, sinkCurrencyConflicts *prometheus.Desc
}

// NewWarehouseCollector reads the state latest returns on every scrape (it
// must return the published value); a nil latest exposes nothing.
func NewWarehouseCollector(latest func() checkstate.State) *WarehouseCollector {
	target := []string{"forecast", "period"}
	table := []string{"table"}
	const cached = " (cached: result of the last scheduled warehouse check, never queried on scrape)."
	return &WarehouseCollector{
		latest: latest,
		expected: prometheus.NewDesc("clari_reconciliation_expected_rows",
			"Rows the last Clari export says the warehouse should hold"+cached, target, nil),
		actual: prometheus.NewDesc("clari_reconciliation_actual_rows",
			"Rows the warehouse holds"+cached, target, nil),
		ratio: prometheus.NewDesc("clari_reconciliation_mismatch_ratio",
			"abs(actual - expected) / max(expected, 1) of warehouse rows against the last Clari export"+cached, target, nil),
		lastRun: prometheus.NewDesc("clari_reconciliation_last_run_timestamp_seconds",
			"When the warehouse reconciliation last ran, in unix seconds.", nil, nil),
		missingRows: prometheus.NewDesc("clari_reconciliation_missing_rows",
			"Rows the last Clari export has that the warehouse lacks: max(expected - actual, 0); alerts"+cached, target, nil),
		extraRows: prometheus.NewDesc("clari_reconciliation_extra_rows",
			"Rows the warehouse holds beyond the last Clari export: max(actual - expected, 0); keys kept by design (users a re-export omits), shown, no alert"+cached, target, nil),
		periodsMissing: prometheus.NewDesc("clari_warehouse_periods_missing",
			"Periods inside the retention window with a successful export but no rows of a forecast in the table"+cached, table, nil),
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
		maxLoadAge: prometheus.NewDesc("clari_warehouse_max_load_age_seconds",
			"How old the newest load may be before the table counts as stale (warehouse.max_load_age).", table, nil),
		sinkFailures: prometheus.NewDesc("clari_warehouse_sink_load_failures_total",
			"Warehouse sink loads of the forecast that failed (staging or a batch's merge) since the exporter started.", []string{"table", "forecast"}, nil),
		sinkLastSuccess: prometheus.NewDesc("clari_warehouse_sink_last_load_success",
			"1 if the newest warehouse sink load of the forecast was kept whole, 0 if it failed (the next export loads again).", []string{"table", "forecast"}, nil),
		sinkCurrencyConflicts: prometheus.NewDesc("clari_warehouse_sink_currency_conflicts_total",
			"Rows of the forecast the warehouse sink did not write because the table holds their key in another currency, since the exporter started.", []string{"table", "forecast"}, nil),
		checkSuccess: prometheus.NewDesc("clari_warehouse_check_success",
			"1 if the warehouse check last ran successfully, 0 if it failed (its other metrics may then be stale or absent).", []string{"check"}, nil),
	}
}

// Describe implements prometheus.Collector.
func (c *WarehouseCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.expected, c.actual, c.ratio, c.lastRun, c.missingRows, c.extraRows, c.periodsMissing,
		c.duplicateKeys, c.surplusRows, c.beyondRetention, c.lastLoad, c.checkSuccess,
		c.retentionRows, c.retentionDeleted, c.maxLoadAge, c.sinkFailures, c.sinkLastSuccess, c.sinkCurrencyConflicts} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *WarehouseCollector) Collect(ch chan<- prometheus.Metric) {
	if c.latest == nil {
		return
	}
	st := c.latest()
	// The sink's loads and the configured bound do not wait for a check.
	for _, l := range st.SinkLoads {
		sendConst(ch, c.sinkFailures, prometheus.CounterValue, float64(l.Failures), st.Table, l.Forecast)
		sendConst(ch, c.sinkCurrencyConflicts, prometheus.CounterValue, float64(l.CurrencyConflicts), st.Table, l.Forecast)
		sendConst(ch, c.sinkLastSuccess, prometheus.GaugeValue, boolFloat(l.LastSucceeded), st.Table, l.Forecast)
	}
	if st.RanAt.IsZero() {
		return
	}
	sendConst(ch, c.lastRun, prometheus.GaugeValue, unixSeconds(st.RanAt))
	for _, r := range st.Reconciliations {
		sendConst(ch, c.expected, prometheus.GaugeValue, float64(r.Expected), r.Forecast, r.Period)
		sendConst(ch, c.actual, prometheus.GaugeValue, float64(r.Actual), r.Forecast, r.Period)
		sendConst(ch, c.ratio, prometheus.GaugeValue, r.MismatchRatio, r.Forecast, r.Period)
		sendConst(ch, c.missingRows, prometheus.GaugeValue, float64(max(r.Expected-r.Actual, 0)), r.Forecast, r.Period)
		sendConst(ch, c.extraRows, prometheus.GaugeValue, float64(max(r.Actual-r.Expected, 0)), r.Forecast, r.Period)
	}
	// Connect failed: its check_success 0 says why; the table's numbers
	// are left out rather than shown as zeros.
	if st.Measured {
		name := st.Table
		sendConst(ch, c.duplicateKeys, prometheus.GaugeValue, float64(st.DuplicateKeys), name)
		sendConst(ch, c.surplusRows, prometheus.GaugeValue, float64(st.SurplusRows), name)
		sendConst(ch, c.beyondRetention, prometheus.GaugeValue, float64(st.PeriodsBeyondRetention), name)
		sendConst(ch, c.retentionRows, prometheus.GaugeValue, float64(st.RetentionRowsBeyond), name)
		sendConst(ch, c.retentionDeleted, prometheus.CounterValue, float64(st.RetentionRowsDeleted), name)
		if !st.LastLoad.IsZero() {
			sendConst(ch, c.lastLoad, prometheus.GaugeValue, unixSeconds(st.LastLoad), name)
		}
		if st.Reconciled {
			sendConst(ch, c.periodsMissing, prometheus.GaugeValue, float64(st.MissingPeriods), name)
		}
		if st.MaxLoadAge > 0 {
			sendConst(ch, c.maxLoadAge, prometheus.GaugeValue, st.MaxLoadAge.Seconds(), name)
		}
	}
	for _, chk := range st.Checks {
		sendConst(ch, c.checkSuccess, prometheus.GaugeValue, boolFloat(chk.Success), chk.Name)
	}
}
