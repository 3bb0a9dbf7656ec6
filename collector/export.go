package collector

import (
	"math"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// FailureReasons lists every `reason` of clari_export_failures_total; each
// configured target exposes all of them, at 0 until they happen.
var FailureReasons = []string{"failed", "aborted", "cancelled", "timeout", "empty", "period_mismatch", "api_error", "decode_error"}

// SkipReasons lists every `reason` of clari_export_skipped_total.
var SkipReasons = []string{"quota_reserve", "concurrency", "circuit_open"}

// ExportDurationBuckets span an export job from create to decoded results:
// seconds for a small tenant, up to the 10-minute default poll timeout and
// beyond for a re-queued job.
var ExportDurationBuckets = []float64{1, 2.5, 5, 10, 20, 30, 60, 120, 300, 600, 1200, 1800}

// ExportSource gives the export collector the runner's state. It is called on
// every scrape, concurrently: it must be cheap (an in-memory copy, never I/O
// to Clari) and safe for concurrent use.
type ExportSource interface {
	ExportState() ExportState
}

// ExportSourceFunc adapts a func to ExportSource.
type ExportSourceFunc func() ExportState

// ExportState implements ExportSource.
func (f ExportSourceFunc) ExportState() ExportState { return f() }

// ExportState is a consistent view of every configured export target.
type ExportState struct {
	// Targets holds one entry per configured (forecast, period), including
	// those that never ran, so their counters show 0. Each (forecast,
	// period) must appear once.
	Targets []TargetState
	// CoverageMissing is, per configured forecast id, how many required
	// periods have no successful export within their max age.
	CoverageMissing map[string]int
}

// TargetState is the state of one (forecast, period) export target.
type TargetState struct {
	Forecast, Period string

	RunsTotal     float64 // runs finished, any outcome
	RequeuesTotal float64 // re-queues after the poll timeout
	// FailuresByReason and SkipsByReason are counters by reason. Reasons of
	// FailureReasons / SkipReasons missing from the map are exposed at 0;
	// other keys are exposed as given.
	FailuresByReason map[string]float64
	SkipsByReason    map[string]float64

	// HasRun is false until a run finished; the last-run metrics are left
	// out until then.
	HasRun         bool
	LastRun        time.Time // end of the last run
	LastRunSuccess bool
	LastDuration   time.Duration
	// LastSuccess is the end of the last successful run; zero if never
	// (the metric is then left out).
	LastSuccess time.Time

	// HasSnapshot is false until a successful export produced a snapshot;
	// Rows, DuplicateRows, Values and Swings describe that snapshot.
	HasSnapshot   bool
	Rows          float64
	DuplicateRows float64
	Values        []FieldValue
	// Swings holds the fields with a previous snapshot to compare with.
	Swings []FieldSwing
}

// FieldValue is the total of one field and data type in the latest week.
type FieldValue struct {
	Field, DataType string
	Value           float64
}

// FieldSwing compares a field's total between the two latest snapshots.
type FieldSwing struct {
	Field string
	// Ratio is (latest − previous) / abs(previous); NaN or ±Inf (no usable
	// baseline) leaves clari_forecast_swing_ratio out for the field.
	Ratio float64
	// Anomalous is true when the swing passes the threshold and its guards.
	Anomalous bool
}

// ExportOptions configures the export collector.
type ExportOptions struct {
	// ExposeForecastValues publishes clari_forecast_value (revenue data);
	// config metrics.expose_forecast_values. Changeable with
	// SetExposeForecastValues.
	ExposeForecastValues bool
	// DurationBuckets of clari_export_duration_seconds; default
	// ExportDurationBuckets.
	DurationBuckets []float64
}

// ExportCollector exposes clari_export_* and clari_forecast_*: const metrics
// built from the source's state on each scrape, plus the
// clari_export_duration_seconds histogram that the runner observes.
type ExportCollector struct {
	source       ExportSource
	exposeValues atomic.Bool
	durations    *prometheus.HistogramVec

	mu        sync.Mutex
	forecasts map[string]bool // children of durations, so SetForecasts can drop old ones

	runs, failures, requeues, skipped,
	lastRun, lastSuccess, lastRunSuccess, lastDuration,
	rows, duplicateRows, coverageMissing,
	value, swingRatio, swingAnomalous *prometheus.Desc
}

// NewExportCollector returns the export collector. A nil source exposes only
// the duration histogram.
func NewExportCollector(source ExportSource, opts ExportOptions) *ExportCollector {
	if opts.DurationBuckets == nil {
		opts.DurationBuckets = ExportDurationBuckets
	}
	target := []string{"forecast", "period"}
	withReason := []string{"forecast", "period", "reason"}
	withField := []string{"forecast", "period", "field"}
	const cached = " (cached: state of the background export runner, never fetched on scrape)."
	c := &ExportCollector{
		source:    source,
		forecasts: map[string]bool{},
		durations: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "clari_export_duration_seconds",
			Help:    "Duration of export jobs from create to decoded results, by forecast.",
			Buckets: opts.DurationBuckets,
		}, []string{"forecast"}),
		runs: prometheus.NewDesc("clari_export_runs_total",
			"Export runs finished, any outcome"+cached, target, nil),
		failures: prometheus.NewDesc("clari_export_failures_total",
			"Export runs that failed, by reason (failed, aborted, cancelled, timeout, empty, period_mismatch, api_error, decode_error)"+cached, withReason, nil),
		requeues: prometheus.NewDesc("clari_export_requeues_total",
			"Export jobs re-queued after the polling timeout"+cached, target, nil),
		skipped: prometheus.NewDesc("clari_export_skipped_total",
			"Scheduled exports skipped, by reason (quota_reserve, concurrency, circuit_open)"+cached, withReason, nil),
		lastRun: prometheus.NewDesc("clari_export_last_run_timestamp_seconds",
			"End of the last export run, in unix seconds"+cached, target, nil),
		lastSuccess: prometheus.NewDesc("clari_export_last_success_timestamp_seconds",
			"End of the last successful export run, in unix seconds; absent if none succeeded yet"+cached, target, nil),
		lastRunSuccess: prometheus.NewDesc("clari_export_last_run_success",
			"1 if the last export run succeeded, 0 if it failed"+cached, target, nil),
		lastDuration: prometheus.NewDesc("clari_export_last_duration_seconds",
			"Duration of the last export job from create to decoded results"+cached, target, nil),
		rows: prometheus.NewDesc("clari_export_rows",
			"Distinct entries in the last successful export"+cached, target, nil),
		duplicateRows: prometheus.NewDesc("clari_export_duplicate_rows",
			"Entries dropped as duplicates (same natural key) in the last successful export"+cached, target, nil),
		coverageMissing: prometheus.NewDesc("clari_export_period_coverage_missing",
			"Required periods (current + historical) with no successful export within their max age, by forecast"+cached, []string{"forecast"}, nil),
		value: prometheus.NewDesc("clari_forecast_value",
			"Total of the latest week in the last successful export, by field and data type"+cached, []string{"forecast", "period", "field", "data_type"}, nil),
		swingRatio: prometheus.NewDesc("clari_forecast_swing_ratio",
			"(latest - previous) / abs(previous) of a field's total between the two latest snapshots"+cached, withField, nil),
		swingAnomalous: prometheus.NewDesc("clari_forecast_swing_anomalous",
			"1 where the swing passes the threshold and its guards (min baseline, min change, min history), else 0"+cached, withField, nil),
	}
	c.exposeValues.Store(opts.ExposeForecastValues)
	return c
}

// ObserveDuration records one export job's duration (create → decoded).
func (c *ExportCollector) ObserveDuration(forecast string, d time.Duration) {
	c.mu.Lock()
	// Track it even when not configured (any more), so the next
	// SetForecasts can remove its child.
	c.forecasts[forecast] = true
	c.mu.Unlock()
	c.durations.WithLabelValues(forecast).Observe(d.Seconds())
}

// SetForecasts makes the duration histogram hold exactly these forecasts:
// new ones appear with zero observations, removed ones disappear. Call it at
// start-up and after each config reload.
func (c *ExportCollector) SetForecasts(ids []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	keep := make(map[string]bool, len(ids))
	for _, id := range ids {
		keep[id] = true
		c.durations.WithLabelValues(id)
	}
	for id := range c.forecasts {
		if !keep[id] {
			c.durations.DeleteLabelValues(id)
		}
	}
	c.forecasts = keep
}

// SetExposeForecastValues turns clari_forecast_value on or off (config reload).
func (c *ExportCollector) SetExposeForecastValues(on bool) { c.exposeValues.Store(on) }

// Describe implements prometheus.Collector.
func (c *ExportCollector) Describe(ch chan<- *prometheus.Desc) {
	c.durations.Describe(ch)
	for _, d := range []*prometheus.Desc{c.runs, c.failures, c.requeues, c.skipped,
		c.lastRun, c.lastSuccess, c.lastRunSuccess, c.lastDuration,
		c.rows, c.duplicateRows, c.coverageMissing,
		c.value, c.swingRatio, c.swingAnomalous} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *ExportCollector) Collect(ch chan<- prometheus.Metric) {
	c.durations.Collect(ch)
	if c.source == nil {
		return
	}
	st := c.source.ExportState()
	expose := c.exposeValues.Load()
	for i := range st.Targets {
		c.collectTarget(ch, &st.Targets[i], expose)
	}
	for forecast, n := range st.CoverageMissing {
		sendConst(ch, c.coverageMissing, prometheus.GaugeValue, float64(n), forecast)
	}
}

func (c *ExportCollector) collectTarget(ch chan<- prometheus.Metric, t *TargetState, exposeValues bool) {
	f, p := t.Forecast, t.Period
	sendConst(ch, c.runs, prometheus.CounterValue, t.RunsTotal, f, p)
	sendConst(ch, c.requeues, prometheus.CounterValue, t.RequeuesTotal, f, p)
	collectReasons(ch, c.failures, FailureReasons, t.FailuresByReason, f, p)
	collectReasons(ch, c.skipped, SkipReasons, t.SkipsByReason, f, p)

	if t.HasRun {
		sendConst(ch, c.lastRun, prometheus.GaugeValue, unixSeconds(t.LastRun), f, p)
		sendConst(ch, c.lastRunSuccess, prometheus.GaugeValue, boolFloat(t.LastRunSuccess), f, p)
		sendConst(ch, c.lastDuration, prometheus.GaugeValue, t.LastDuration.Seconds(), f, p)
	}
	if !t.LastSuccess.IsZero() {
		sendConst(ch, c.lastSuccess, prometheus.GaugeValue, unixSeconds(t.LastSuccess), f, p)
	}
	if !t.HasSnapshot {
		return
	}
	sendConst(ch, c.rows, prometheus.GaugeValue, t.Rows, f, p)
	sendConst(ch, c.duplicateRows, prometheus.GaugeValue, t.DuplicateRows, f, p)
	if exposeValues {
		for _, v := range t.Values {
			sendConst(ch, c.value, prometheus.GaugeValue, v.Value, f, p, v.Field, v.DataType)
		}
	}
	for _, s := range t.Swings {
		if !math.IsNaN(s.Ratio) && !math.IsInf(s.Ratio, 0) {
			sendConst(ch, c.swingRatio, prometheus.GaugeValue, s.Ratio, f, p, s.Field)
		}
		sendConst(ch, c.swingAnomalous, prometheus.GaugeValue, boolFloat(s.Anomalous), f, p, s.Field)
	}
}

// collectReasons sends one counter per known reason (0 when absent from
// counts) and one per extra key of counts, in sorted order.
func collectReasons(ch chan<- prometheus.Metric, desc *prometheus.Desc, known []string, counts map[string]float64, f, p string) {
	seen := 0
	for _, r := range known {
		v, ok := counts[r]
		if ok {
			seen++
		}
		sendConst(ch, desc, prometheus.CounterValue, v, f, p, r)
	}
	if seen == len(counts) {
		return
	}
	var extra []string
	for r := range counts {
		if !contains(known, r) {
			extra = append(extra, r)
		}
	}
	sort.Strings(extra)
	for _, r := range extra {
		sendConst(ch, desc, prometheus.CounterValue, counts[r], f, p, r)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
