package collector

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// WarehouseState is what the warehouse collector reads of the warehouse
// side's published state (warehouse.State): the outcome of the latest
// scheduled checks, never a query made on a scrape.
type WarehouseState interface {
	// LastRunTime is when the checks last ran; zero if never (nothing is
	// exposed then).
	LastRunTime() time.Time
	// EachReconciliation visits every (forecast, period) compared between
	// the last Clari export and the warehouse.
	EachReconciliation(fn func(forecast, period string, expected, actual int, mismatchRatio float64))
	// EachCheck visits every warehouse check (connect, reconciliation, ...)
	// with whether it last ran successfully, so a check that could not
	// run shows as 0 instead of silently stale numbers.
	EachCheck(fn func(check string, success bool))
	// Table is the checked table's name; ok is false when nothing was
	// measured (connect failed: its check_success 0 says why), which
	// leaves the table's metrics out rather than showing zeros.
	Table() (name string, ok bool)
	// Duplicates: natural keys held by more than one row, and the rows
	// beyond one per key.
	Duplicates() (keys, surplusRows int)
	// Retention: fiscal periods older than the retention window still
	// present, the rows in them (what enforcement deletes, or would
	// delete in a dry run), and rows enforcement deleted since start-up.
	Retention() (periodsBeyond, rowsBeyond, rowsDeleted int64)
	// LastLoadTime is the table's newest load time; zero when unknown or
	// the table is empty (the metric is then left out).
	LastLoadTime() time.Time
	// MissingPeriods: periods inside the retention window with a
	// successful export but no rows; ok is false when reconciliation did
	// not run.
	MissingPeriods() (n int, ok bool)
	// TableName is the configured table, known before any check ran.
	TableName() string
	// MaxLoadAge is how old the newest load may be (warehouse.max_load_age).
	MaxLoadAge() time.Duration
	// EachSinkLoad visits every forecast the sink loaded since start-up:
	// its failed loads, whether its newest load succeeded, and the rows not
	// written because their key is stored in another currency.
	EachSinkLoad(fn func(forecast string, failures uint64, lastSucceeded bool, currencyConflicts uint64))
}

// WarehouseCollector exposes clari_reconciliation_* and clari_warehouse_*.
type WarehouseCollector struct {
	latest func() WarehouseState

	expected, actual, ratio, lastRun, missingRows, extraRows, periodsMissing,
	duplicateKeys, surplusRows, beyondRetention, lastLoad, checkSuccess,
	retentionRows, retentionDeleted,
	maxLoadAge, sinkFailures, sinkLastSuccess, sinkCurrencyConflicts *prometheus.Desc
}

// NewWarehouseCollector reads the state latest returns on every scrape (it
// must return the published value); a nil latest exposes nothing.
func NewWarehouseCollector(latest func() WarehouseState) *WarehouseCollector {
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
	if st == nil {
		return
	}
	// The sink's loads and the configured bound do not wait for a check.
	table := st.TableName()
	st.EachSinkLoad(func(forecast string, failures uint64, ok bool, conflicts uint64) {
		sendConst(ch, c.sinkFailures, prometheus.CounterValue, float64(failures), table, forecast)
		sendConst(ch, c.sinkCurrencyConflicts, prometheus.CounterValue, float64(conflicts), table, forecast)
		sendConst(ch, c.sinkLastSuccess, prometheus.GaugeValue, boolFloat(ok), table, forecast)
	})
	if st.LastRunTime().IsZero() {
		return
	}
	sendConst(ch, c.lastRun, prometheus.GaugeValue, unixSeconds(st.LastRunTime()))
	st.EachReconciliation(func(forecast, period string, expected, actual int, ratio float64) {
		sendConst(ch, c.expected, prometheus.GaugeValue, float64(expected), forecast, period)
		sendConst(ch, c.actual, prometheus.GaugeValue, float64(actual), forecast, period)
		sendConst(ch, c.ratio, prometheus.GaugeValue, ratio, forecast, period)
		sendConst(ch, c.missingRows, prometheus.GaugeValue, float64(max(expected-actual, 0)), forecast, period)
		sendConst(ch, c.extraRows, prometheus.GaugeValue, float64(max(actual-expected, 0)), forecast, period)
	})
	if name, ok := st.Table(); ok {
		keys, surplus := st.Duplicates()
		periods, rowsBeyond, deleted := st.Retention()
		sendConst(ch, c.duplicateKeys, prometheus.GaugeValue, float64(keys), name)
		sendConst(ch, c.surplusRows, prometheus.GaugeValue, float64(surplus), name)
		sendConst(ch, c.beyondRetention, prometheus.GaugeValue, float64(periods), name)
		sendConst(ch, c.retentionRows, prometheus.GaugeValue, float64(rowsBeyond), name)
		sendConst(ch, c.retentionDeleted, prometheus.CounterValue, float64(deleted), name)
		if at := st.LastLoadTime(); !at.IsZero() {
			sendConst(ch, c.lastLoad, prometheus.GaugeValue, unixSeconds(at), name)
		}
		if n, ok := st.MissingPeriods(); ok {
			sendConst(ch, c.periodsMissing, prometheus.GaugeValue, float64(n), name)
		}
		if d := st.MaxLoadAge(); d > 0 {
			sendConst(ch, c.maxLoadAge, prometheus.GaugeValue, d.Seconds(), name)
		}
	}
	st.EachCheck(func(check string, success bool) {
		sendConst(ch, c.checkSuccess, prometheus.GaugeValue, boolFloat(success), check)
	})
}
