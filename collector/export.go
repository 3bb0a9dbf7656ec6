package collector

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
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
	// Generation identifies this state: the source must change it whenever
	// anything in the state changes (a counter bumped under the runner's
	// lock). Scrapes of an unchanged generation reuse the metrics built for
	// it, which makes a scrape of a large tenant cheap. 0 disables reuse.
	Generation uint64
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

// ExportCollector exposes clari_export_* and clari_forecast_*, built from
// the source's state on each scrape, plus the clari_export_duration_seconds
// histogram that the runner observes. It is a prometheus.Collector (for a
// registry) and a prometheus.Gatherer (the fast path Set.Gather uses).
type ExportCollector struct {
	source       ExportSource
	exposeValues atomic.Bool
	durations    *prometheus.HistogramVec
	durationsReg *prometheus.Registry // gathers durations for the fast path

	mu        sync.Mutex
	forecasts map[string]bool // children of durations, so SetForecasts can drop old ones

	cacheMu sync.Mutex
	cache   *builtState // families of the last non-zero generation

	runs, failures, requeues, skipped,
	lastRun, lastSuccess, lastRunSuccess, lastDuration,
	rows, duplicateRows, coverageMissing,
	value, swingRatio, swingAnomalous metricSpec
}

// metricSpec is one metric family the export collector builds.
type metricSpec struct {
	desc       *prometheus.Desc
	name, help string
	typ        dto.MetricType
}

func newSpec(name, help string, typ dto.MetricType, labels ...string) metricSpec {
	return metricSpec{prometheus.NewDesc(name, help, labels, nil), name, help, typ}
}

// Label names, addressable so label pairs can point at them.
var (
	lnForecast = "forecast"
	lnPeriod   = "period"
	lnReason   = "reason"
	lnField    = "field"
	lnDataType = "data_type"
)

// reasonPairs holds one shared, read-only label pair per known reason.
var reasonPairs = func() map[string]*dto.LabelPair {
	m := map[string]*dto.LabelPair{}
	for _, r := range append(append([]string{}, FailureReasons...), SkipReasons...) {
		m[r] = &dto.LabelPair{Name: &lnReason, Value: &r}
	}
	return m
}()

// NewExportCollector returns the export collector. A nil source exposes only
// the duration histogram.
func NewExportCollector(source ExportSource, opts ExportOptions) *ExportCollector {
	if opts.DurationBuckets == nil {
		opts.DurationBuckets = ExportDurationBuckets
	}
	const (
		cached  = " (cached: state of the background export runner, never fetched on scrape)."
		gauge   = dto.MetricType_GAUGE
		counter = dto.MetricType_COUNTER
	)
	target := []string{"forecast", "period"}
	c := &ExportCollector{
		source:       source,
		forecasts:    map[string]bool{},
		durationsReg: prometheus.NewRegistry(),
		durations: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "clari_export_duration_seconds",
			Help:    "Duration of export jobs from create to decoded results, by forecast.",
			Buckets: opts.DurationBuckets,
		}, []string{"forecast"}),
		runs: newSpec("clari_export_runs_total",
			"Export runs finished, any outcome"+cached, counter, target...),
		failures: newSpec("clari_export_failures_total",
			"Export runs that failed, by reason (failed, aborted, cancelled, timeout, empty, period_mismatch, api_error, decode_error)"+cached, counter, "forecast", "period", "reason"),
		requeues: newSpec("clari_export_requeues_total",
			"Export jobs re-queued after the polling timeout"+cached, counter, target...),
		skipped: newSpec("clari_export_skipped_total",
			"Scheduled exports skipped, by reason (quota_reserve, concurrency, circuit_open)"+cached, counter, "forecast", "period", "reason"),
		lastRun: newSpec("clari_export_last_run_timestamp_seconds",
			"End of the last export run, in unix seconds"+cached, gauge, target...),
		lastSuccess: newSpec("clari_export_last_success_timestamp_seconds",
			"End of the last successful export run, in unix seconds; absent if none succeeded yet"+cached, gauge, target...),
		lastRunSuccess: newSpec("clari_export_last_run_success",
			"1 if the last export run succeeded, 0 if it failed"+cached, gauge, target...),
		lastDuration: newSpec("clari_export_last_duration_seconds",
			"Duration of the last export job from create to decoded results"+cached, gauge, target...),
		rows: newSpec("clari_export_rows",
			"Distinct entries in the last successful export"+cached, gauge, target...),
		duplicateRows: newSpec("clari_export_duplicate_rows",
			"Entries dropped as duplicates (same natural key) in the last successful export"+cached, gauge, target...),
		coverageMissing: newSpec("clari_export_period_coverage_missing",
			"Required periods (current + historical) with no successful export within their max age, by forecast"+cached, gauge, "forecast"),
		value: newSpec("clari_forecast_value",
			"Total of the latest week in the last successful export, by field and data type"+cached, gauge, "data_type", "field", "forecast", "period"),
		swingRatio: newSpec("clari_forecast_swing_ratio",
			"(latest - previous) / abs(previous) of a field's total between the two latest snapshots"+cached, gauge, "field", "forecast", "period"),
		swingAnomalous: newSpec("clari_forecast_swing_anomalous",
			"1 where the swing passes the threshold and its guards (min baseline, min change, min history), else 0"+cached, gauge, "field", "forecast", "period"),
	}
	c.durationsReg.MustRegister(c.durations)
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

func (c *ExportCollector) specs() []*metricSpec {
	return []*metricSpec{&c.coverageMissing, &c.duplicateRows, &c.failures, &c.lastDuration,
		&c.lastRunSuccess, &c.lastRun, &c.lastSuccess, &c.requeues, &c.rows, &c.runs, &c.skipped,
		&c.swingAnomalous, &c.swingRatio, &c.value}
}

// Describe implements prometheus.Collector.
func (c *ExportCollector) Describe(ch chan<- *prometheus.Desc) {
	c.durations.Describe(ch)
	for _, s := range c.specs() {
		ch <- s.desc
	}
}

// Collect implements prometheus.Collector.
func (c *ExportCollector) Collect(ch chan<- prometheus.Metric) {
	c.durations.Collect(ch)
	if c.source == nil {
		return
	}
	fams, errs := c.build()
	collectFamilies(ch, fams)
	for _, err := range errs {
		ch <- prometheus.NewInvalidMetric(c.runs.desc, err)
	}
}

// Gather implements prometheus.Gatherer: the same metrics as Collect,
// without the registry's per-series overhead.
func (c *ExportCollector) Gather() ([]*dto.MetricFamily, error) {
	mfs, err := c.durationsReg.Gather()
	if err != nil || c.source == nil {
		return mfs, err
	}
	fams, errs := c.build()
	for _, f := range fams {
		if len(f.mf.Metric) > 0 {
			mfs = append(mfs, &f.mf)
		}
	}
	return mfs, errs.MaybeUnwrap()
}

// builtState is the result of build for one generation. Its families are
// read-only once built, so concurrent scrapes may share them; encoded holds
// their exposition per format (see encode.go), guarded by cacheMu.
type builtState struct {
	generation uint64
	expose     bool
	fams       []*family
	errs       prometheus.MultiError
	encoded    map[expfmt.Format][]byte
}

// build returns the metric families of the source's current state, reusing
// those of the previous scrape when the state's generation is unchanged.
func (c *ExportCollector) build() ([]*family, prometheus.MultiError) {
	fams, errs, _ := c.buildCached()
	return fams, errs
}

// buildCached is build that also returns the cache entry holding the
// families (nil when the state has no generation and is not cached).
func (c *ExportCollector) buildCached() ([]*family, prometheus.MultiError, *builtState) {
	st := c.source.ExportState()
	expose := c.exposeValues.Load()
	if st.Generation == 0 {
		fams, errs := c.buildState(&st, expose)
		return fams, errs, nil
	}
	c.cacheMu.Lock()
	defer c.cacheMu.Unlock() // concurrent scrapes of a new generation build it once
	if c.cache == nil || c.cache.generation != st.Generation || c.cache.expose != expose {
		fams, errs := c.buildState(&st, expose)
		c.cache = &builtState{generation: st.Generation, expose: expose, fams: fams, errs: errs}
	}
	return c.cache.fams, c.cache.errs, c.cache
}

// buildState turns st into metric families. Targets with a label value that
// is not valid UTF-8 are left out and reported in errs.
func (c *ExportCollector) buildState(st *ExportState, expose bool) ([]*family, prometheus.MultiError) {

	specs := c.specs()
	fams := make([]*family, len(specs))
	byName := make(map[*metricSpec]*family, len(specs))
	for i, s := range specs {
		fams[i] = newFamily(s.desc, s.name, s.help, s.typ)
		byName[s] = fams[i]
	}
	b := newBuilder(countSeries(st, expose))
	var errs prometheus.MultiError

	for i := range st.Targets {
		t := &st.Targets[i]
		if err := validLabels(t); err != nil {
			errs = append(errs, err)
			continue
		}
		f, p := b.pair(&lnForecast, b.str(t.Forecast)), b.pair(&lnPeriod, b.str(t.Period))
		b.add(byName[&c.runs], t.RunsTotal, f, p)
		b.add(byName[&c.requeues], t.RequeuesTotal, f, p)
		b.addReasons(byName[&c.failures], FailureReasons, t.FailuresByReason, f, p)
		b.addReasons(byName[&c.skipped], SkipReasons, t.SkipsByReason, f, p)
		if t.HasRun {
			b.add(byName[&c.lastRun], unixSeconds(t.LastRun), f, p)
			b.add(byName[&c.lastRunSuccess], boolFloat(t.LastRunSuccess), f, p)
			b.add(byName[&c.lastDuration], t.LastDuration.Seconds(), f, p)
		}
		if !t.LastSuccess.IsZero() {
			b.add(byName[&c.lastSuccess], unixSeconds(t.LastSuccess), f, p)
		}
		if !t.HasSnapshot {
			continue
		}
		b.add(byName[&c.rows], t.Rows, f, p)
		b.add(byName[&c.duplicateRows], t.DuplicateRows, f, p)
		if expose {
			value := byName[&c.value]
			for _, v := range t.Values {
				b.add(value, v.Value, b.pair(&lnDataType, b.str(v.DataType)), b.pair(&lnField, b.str(v.Field)), f, p)
			}
		}
		ratio, anomalous := byName[&c.swingRatio], byName[&c.swingAnomalous]
		for _, s := range t.Swings {
			field := b.pair(&lnField, b.str(s.Field))
			if !math.IsNaN(s.Ratio) && !math.IsInf(s.Ratio, 0) {
				b.add(ratio, s.Ratio, field, f, p)
			}
			b.add(anomalous, boolFloat(s.Anomalous), field, f, p)
		}
	}

	forecasts := make([]string, 0, len(st.CoverageMissing))
	for id := range st.CoverageMissing {
		forecasts = append(forecasts, id)
	}
	sort.Strings(forecasts)
	for _, id := range forecasts {
		if !utf8.ValidString(id) {
			errs = append(errs, fmt.Errorf("clari_export_period_coverage_missing: forecast %q is not valid UTF-8", id))
			continue
		}
		b.add(byName[&c.coverageMissing], float64(st.CoverageMissing[id]), b.pair(&lnForecast, b.str(id)))
	}
	return fams, errs
}

// countSeries is about how many series build makes, to size its chunks.
func countSeries(st *ExportState, expose bool) int {
	n := len(st.CoverageMissing)
	for i := range st.Targets {
		t := &st.Targets[i]
		n += 2 + 3 + 1 + len(FailureReasons) + len(SkipReasons) + len(t.FailuresByReason) + len(t.SkipsByReason)
		if t.HasSnapshot {
			n += 2 + 2*len(t.Swings)
			if expose {
				n += len(t.Values)
			}
		}
	}
	return n
}

// validLabels checks that every label value a target would expose is valid
// UTF-8, as the exposition formats require.
func validLabels(t *TargetState) error {
	bad := func(what, v string) error {
		return fmt.Errorf("export target forecast=%q period=%q: %s %q is not valid UTF-8; the target is left out", t.Forecast, t.Period, what, v)
	}
	if !utf8.ValidString(t.Forecast) {
		return bad("forecast", t.Forecast)
	}
	if !utf8.ValidString(t.Period) {
		return bad("period", t.Period)
	}
	for _, v := range t.Values {
		if !utf8.ValidString(v.Field) {
			return bad("field", v.Field)
		}
		if !utf8.ValidString(v.DataType) {
			return bad("data_type", v.DataType)
		}
	}
	for _, s := range t.Swings {
		if !utf8.ValidString(s.Field) {
			return bad("field", s.Field)
		}
	}
	for r := range t.FailuresByReason {
		if !utf8.ValidString(r) {
			return bad("failure reason", r)
		}
	}
	for r := range t.SkipsByReason {
		if !utf8.ValidString(r) {
			return bad("skip reason", r)
		}
	}
	return nil
}

// addReasons adds one counter per known reason (0 when absent from counts)
// and one per extra key of counts, in sorted order.
func (b *builder) addReasons(f *family, known []string, counts map[string]float64, forecast, period *dto.LabelPair) {
	seen := 0
	for _, r := range known {
		v, ok := counts[r]
		if ok {
			seen++
		}
		b.add(f, v, forecast, period, reasonPairs[r])
	}
	if seen == len(counts) {
		return
	}
	var extra []string
	for r := range counts {
		if !slices.Contains(known, r) {
			extra = append(extra, r)
		}
	}
	sort.Strings(extra)
	for _, r := range extra {
		b.add(f, counts[r], forecast, period, b.pair(&lnReason, b.str(r)))
	}
}
