package collector

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// ExportDurationBuckets span an export job from create to decoded results:
// seconds for a small tenant, up to the 10-minute default poll timeout and
// beyond for a re-queued job.
var ExportDurationBuckets = []float64{1, 2.5, 5, 10, 20, 30, 60, 120, 300, 600, 1200, 1800}

// ExportTarget is what the export collector reads of one (forecast, period)
// target of the runner's published state.
type ExportTarget interface {
	// Labels are the target's forecast id and period label.
	Labels() (forecast, period string)
	// Counters are cumulative: runs finished (any outcome), re-queues after
	// the poll timeout, failures and skips by reason. A known reason
	// missing from a map is exposed at 0; other keys are exposed as given.
	Counters() (runs, requeues uint64, failures, skips map[string]uint64)
	// LastRunResult is the end of the last run (zero until one finished:
	// the last-run metrics are left out), its success and duration.
	LastRunResult() (end time.Time, success bool, took time.Duration)
	// LastSuccessTime is the end of the last successful run; zero if none.
	LastSuccessTime() time.Time
	// MaxAgeLimit is how old the last success may be before the period
	// counts as missing coverage (the configured max age).
	MaxAgeLimit() time.Duration
	// SnapshotRows describes the latest snapshot; ok is false until a
	// successful export produced one (rows, values and swings left out).
	SnapshotRows() (rows, duplicates int, ok bool)
	// EachTotal visits the latest week's total per field and data type.
	EachTotal(fn func(field, dataType string, value float64))
	// EachSwing visits the fields with a previous snapshot to compare
	// with. A NaN or ±Inf ratio (no usable baseline) leaves
	// clari_forecast_swing_ratio out for the field.
	EachSwing(fn func(field string, ratio float64, anomalous bool))
	// DuplicateJobCount is the cumulative count of extra Clari jobs found
	// for one create intent (each cancelled).
	DuplicateJobCount() uint64
	// EachDataTypeRows visits the latest snapshot's rows per data type,
	// every requested type included (0 when it delivered none).
	EachDataTypeRows(fn func(dataType string, rows int))
}

// ExportState is what the export collector reads of the runner's published
// state; T is the producer's target type.
type ExportState[T ExportTarget] interface {
	// ExportGeneration identifies the state: the producer changes it
	// whenever anything in the state changes. Scrapes of an unchanged
	// generation reuse the metrics built (and encoded) for it. 0 disables
	// reuse.
	ExportGeneration() uint64
	// ExportTargets holds one entry per configured (forecast, period),
	// including those that never ran, each once.
	ExportTargets() []T
	// EachCoverageMissing visits every configured forecast with how many
	// required periods have no successful export within their max age.
	EachCoverageMissing(fn func(forecast string, missing int))
}

// ExportSource gives the export collector the producer's latest state;
// build it with ExportSourceOf.
type ExportSource interface {
	exportState() exportView
}

// ExportSourceOf reads the state latest returns. latest is called on every
// scrape, concurrently: it must be cheap (return the published value, never
// I/O) and safe for concurrent use.
func ExportSourceOf[T ExportTarget, S ExportState[T]](latest func() S) ExportSource {
	return exportSourceOf[T, S](latest)
}

type exportSourceOf[T ExportTarget, S ExportState[T]] func() S

func (f exportSourceOf[T, S]) exportState() exportView {
	s := f()
	ts := s.ExportTargets()
	return exportView{
		generation: s.ExportGeneration(),
		targets:    len(ts),
		target:     func(i int) ExportTarget { return ts[i] },
		coverage:   s.EachCoverageMissing,
	}
}

// exportView is one state as the collector walks it.
type exportView struct {
	generation uint64
	targets    int
	target     func(i int) ExportTarget
	coverage   func(fn func(forecast string, missing int))
}

// ExportOptions configures the export collector.
type ExportOptions struct {
	// ExposeForecastValues publishes clari_forecast_value (revenue data);
	// config metrics.expose_forecast_values. Changeable with
	// SetExposeForecastValues.
	ExposeForecastValues bool
	// DurationBuckets of clari_export_duration_seconds; default
	// ExportDurationBuckets. Ignored when Durations is set.
	DurationBuckets []float64
	// Durations is the histogram the runner observes, built before the
	// runner (NewExportDurations); nil builds one.
	Durations *ExportDurations
	// FailureReasons and SkipReasons are the producer's lists of the
	// `reason` values (runner.FailureReasons, runner.SkipReasons): every
	// target exposes each at 0 until it happens, and the HELP strings
	// name them.
	FailureReasons, SkipReasons []string
}

// ExportCollector exposes clari_export_* and clari_forecast_*, built from
// the source's state on each scrape, plus the clari_export_duration_seconds
// histogram that the runner observes. It is a prometheus.Collector (for a
// registry) and a prometheus.Gatherer (the fast path Set.Gather uses).
type ExportCollector struct {
	source       ExportSource
	exposeValues atomic.Bool
	*ExportDurations

	failureReasons, skipReasons []string
	reasonPairs                 map[string]*dto.LabelPair // one shared, read-only pair per known reason

	cacheMu sync.Mutex
	cache   *builtState // families of the last non-zero generation

	runs, failures, requeues, skipped,
	lastRun, lastSuccess, lastRunSuccess, lastDuration, maxAge,
	rows, duplicateRows, coverageMissing,
	value, swingRatio, swingAnomalous,
	duplicateJobs, dataTypeRows metricSpec
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

// NewExportCollector returns the export collector. A nil source exposes only
// the duration histogram.
func NewExportCollector(source ExportSource, opts ExportOptions) *ExportCollector {
	const (
		cached  = " (cached: state of the background export runner, never fetched on scrape)."
		gauge   = dto.MetricType_GAUGE
		counter = dto.MetricType_COUNTER
	)
	target := []string{"forecast", "period"}
	if opts.Durations == nil {
		opts.Durations = NewExportDurations(opts.DurationBuckets)
	}
	c := &ExportCollector{
		source:          source,
		ExportDurations: opts.Durations,
		runs: newSpec("clari_export_runs_total",
			"Export runs finished, any outcome"+cached, counter, target...),
		failures: newSpec("clari_export_failures_total",
			"Export runs that failed, by reason ("+strings.Join(opts.FailureReasons, ", ")+")"+cached, counter, "forecast", "period", "reason"),
		requeues: newSpec("clari_export_requeues_total",
			"Export jobs re-queued after the polling timeout"+cached, counter, target...),
		skipped: newSpec("clari_export_skipped_total",
			"Scheduled exports skipped, by reason ("+strings.Join(opts.SkipReasons, ", ")+")"+cached, counter, "forecast", "period", "reason"),
		lastRun: newSpec("clari_export_last_run_timestamp_seconds",
			"End of the last export run, in unix seconds"+cached, gauge, target...),
		lastSuccess: newSpec("clari_export_last_success_timestamp_seconds",
			"End of the last successful export run, in unix seconds; absent if none succeeded yet"+cached, gauge, target...),
		lastRunSuccess: newSpec("clari_export_last_run_success",
			"1 if the last export run succeeded, 0 if it failed"+cached, gauge, target...),
		maxAge: newSpec("clari_export_max_age_seconds",
			"The max age configured for the target: how old its last successful export may be before the period counts as missing coverage"+cached, gauge, target...),
		lastDuration: newSpec("clari_export_last_duration_seconds",
			"Duration of the last export job from create to decoded results"+cached, gauge, target...),
		rows: newSpec("clari_export_rows",
			"Distinct entries in the last successful export"+cached, gauge, target...),
		duplicateRows: newSpec("clari_export_duplicate_rows",
			"Entries dropped as duplicates (same natural key) in the last successful export"+cached, gauge, target...),
		duplicateJobs: newSpec("clari_export_duplicate_jobs_total",
			"Extra Clari jobs found for one create intent, each cancelled to free its quota slot"+cached, counter, target...),
		dataTypeRows: newSpec("clari_export_data_type_rows",
			"Rows per data type in the last successful export, null values included; 0 for a requested type that delivered none"+cached, gauge, "data_type", "forecast", "period"),
		coverageMissing: newSpec("clari_export_period_coverage_missing",
			"Required periods (current + historical) with no successful export within their max age, by forecast"+cached, gauge, "forecast"),
		value: newSpec("clari_forecast_value",
			"Total of the latest week in the last successful export, by field and data type"+cached, gauge, "data_type", "field", "forecast", "period"),
		swingRatio: newSpec("clari_forecast_swing_ratio",
			"(latest - previous) / abs(previous) of a field's total between the two latest snapshots"+cached, gauge, "field", "forecast", "period"),
		swingAnomalous: newSpec("clari_forecast_swing_anomalous",
			"1 where the swing passes the threshold and its guards (min baseline, min change, min history), else 0"+cached, gauge, "field", "forecast", "period"),
	}
	c.exposeValues.Store(opts.ExposeForecastValues)
	c.failureReasons = slices.Clone(opts.FailureReasons)
	c.skipReasons = slices.Clone(opts.SkipReasons)
	c.reasonPairs = map[string]*dto.LabelPair{}
	for _, r := range append(slices.Clone(c.failureReasons), c.skipReasons...) {
		c.reasonPairs[r] = &dto.LabelPair{Name: &lnReason, Value: &r}
	}
	return c
}

// SetExposeForecastValues turns clari_forecast_value on or off (config reload).
func (c *ExportCollector) SetExposeForecastValues(on bool) { c.exposeValues.Store(on) }

// ExposeForecastValues reports whether clari_forecast_value is published.
func (c *ExportCollector) ExposeForecastValues() bool { return c.exposeValues.Load() }

func (c *ExportCollector) specs() []*metricSpec {
	return []*metricSpec{&c.coverageMissing, &c.dataTypeRows, &c.duplicateJobs, &c.duplicateRows, &c.failures, &c.lastDuration, &c.maxAge,
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
	encoded    map[encoding][]byte
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
	st := c.source.exportState()
	expose := c.exposeValues.Load()
	if st.generation == 0 {
		fams, errs := c.buildState(&st, expose)
		return fams, errs, nil
	}
	c.cacheMu.Lock()
	defer c.cacheMu.Unlock() // concurrent scrapes of a new generation build it once
	if c.cache == nil || c.cache.generation != st.generation || c.cache.expose != expose {
		fams, errs := c.buildState(&st, expose)
		c.cache = &builtState{generation: st.generation, expose: expose, fams: fams, errs: errs}
	}
	return c.cache.fams, c.cache.errs, c.cache
}

// buildState turns st into metric families. Targets with a label value that
// is not valid UTF-8 are left out and reported in errs.
func (c *ExportCollector) buildState(st *exportView, expose bool) ([]*family, prometheus.MultiError) {
	specs := c.specs()
	fams := make([]*family, len(specs))
	byName := make(map[*metricSpec]*family, len(specs))
	for i, s := range specs {
		fams[i] = newFamily(s.desc, s.name, s.help, s.typ)
		byName[s] = fams[i]
	}
	b := newBuilder(c.countSeries(st, expose))
	var errs prometheus.MultiError

	for i := 0; i < st.targets; i++ {
		t := st.target(i)
		if err := validLabels(t); err != nil {
			errs = append(errs, err)
			continue
		}
		forecast, period := t.Labels()
		f, p := b.pair(&lnForecast, b.str(forecast)), b.pair(&lnPeriod, b.str(period))
		runs, requeues, failures, skips := t.Counters()
		b.add(byName[&c.runs], float64(runs), f, p)
		b.add(byName[&c.requeues], float64(requeues), f, p)
		b.add(byName[&c.duplicateJobs], float64(t.DuplicateJobCount()), f, p)
		b.add(byName[&c.maxAge], t.MaxAgeLimit().Seconds(), f, p)
		b.addReasons(byName[&c.failures], c.failureReasons, c.reasonPairs, failures, f, p)
		b.addReasons(byName[&c.skipped], c.skipReasons, c.reasonPairs, skips, f, p)
		if end, success, took := t.LastRunResult(); !end.IsZero() {
			b.add(byName[&c.lastRun], unixSeconds(end), f, p)
			b.add(byName[&c.lastRunSuccess], boolFloat(success), f, p)
			b.add(byName[&c.lastDuration], took.Seconds(), f, p)
		}
		if at := t.LastSuccessTime(); !at.IsZero() {
			b.add(byName[&c.lastSuccess], unixSeconds(at), f, p)
		}
		rows, duplicates, ok := t.SnapshotRows()
		if !ok {
			continue
		}
		b.add(byName[&c.rows], float64(rows), f, p)
		b.add(byName[&c.duplicateRows], float64(duplicates), f, p)
		dtRows := byName[&c.dataTypeRows]
		t.EachDataTypeRows(func(dataType string, n int) {
			b.add(dtRows, float64(n), b.pair(&lnDataType, b.str(dataType)), f, p)
		})
		if expose {
			value := byName[&c.value]
			t.EachTotal(func(field, dataType string, v float64) {
				b.add(value, v, b.pair(&lnDataType, b.str(dataType)), b.pair(&lnField, b.str(field)), f, p)
			})
		}
		ratio, anomalous := byName[&c.swingRatio], byName[&c.swingAnomalous]
		t.EachSwing(func(field string, r float64, anom bool) {
			fp := b.pair(&lnField, b.str(field))
			if !math.IsNaN(r) && !math.IsInf(r, 0) {
				b.add(ratio, r, fp, f, p)
			}
			b.add(anomalous, boolFloat(anom), fp, f, p)
		})
	}

	type coverage struct {
		forecast string
		missing  int
	}
	var cov []coverage
	st.coverage(func(forecast string, missing int) { cov = append(cov, coverage{forecast, missing}) })
	sort.Slice(cov, func(i, j int) bool { return cov[i].forecast < cov[j].forecast })
	for _, cv := range cov {
		if !utf8.ValidString(cv.forecast) {
			errs = append(errs, fmt.Errorf("clari_export_period_coverage_missing: forecast %q is not valid UTF-8", cv.forecast))
			continue
		}
		b.add(byName[&c.coverageMissing], float64(cv.missing), b.pair(&lnForecast, b.str(cv.forecast)))
	}
	return fams, errs
}

// countSeries is about how many series build makes, to size its chunks.
func (c *ExportCollector) countSeries(st *exportView, expose bool) int {
	n := 0
	st.coverage(func(string, int) { n++ })
	for i := 0; i < st.targets; i++ {
		t := st.target(i)
		_, _, failures, skips := t.Counters()
		n += 3 + 3 + 2 + len(c.failureReasons) + len(c.skipReasons) + len(failures) + len(skips)
		if _, _, ok := t.SnapshotRows(); ok {
			n += 2
			t.EachDataTypeRows(func(string, int) { n++ })
			t.EachSwing(func(string, float64, bool) { n += 2 })
			if expose {
				t.EachTotal(func(string, string, float64) { n++ })
			}
		}
	}
	return n
}

// validLabels checks that every label value a target would expose is valid
// UTF-8, as the exposition formats require.
func validLabels(t ExportTarget) error {
	forecast, period := t.Labels()
	bad := func(what, v string) error {
		return fmt.Errorf("export target forecast=%q period=%q: %s %q is not valid UTF-8; the target is left out", forecast, period, what, v)
	}
	if !utf8.ValidString(forecast) {
		return bad("forecast", forecast)
	}
	if !utf8.ValidString(period) {
		return bad("period", period)
	}
	var err error
	t.EachTotal(func(field, dataType string, _ float64) {
		switch {
		case err != nil:
		case !utf8.ValidString(field):
			err = bad("field", field)
		case !utf8.ValidString(dataType):
			err = bad("data_type", dataType)
		}
	})
	t.EachSwing(func(field string, _ float64, _ bool) {
		if err == nil && !utf8.ValidString(field) {
			err = bad("field", field)
		}
	})
	t.EachDataTypeRows(func(dataType string, _ int) {
		if err == nil && !utf8.ValidString(dataType) {
			err = bad("data_type", dataType)
		}
	})
	if err != nil {
		return err
	}
	_, _, failures, skips := t.Counters()
	for r := range failures {
		if !utf8.ValidString(r) {
			return bad("failure reason", r)
		}
	}
	for r := range skips {
		if !utf8.ValidString(r) {
			return bad("skip reason", r)
		}
	}
	return nil
}

// addReasons adds one counter per known reason (0 when absent from counts)
// and one per extra key of counts, in sorted order.
func (b *builder) addReasons(f *family, known []string, pairs map[string]*dto.LabelPair, counts map[string]uint64, forecast, period *dto.LabelPair) {
	seen := 0
	for _, r := range known {
		v, ok := counts[r]
		if ok {
			seen++
		}
		b.add(f, float64(v), forecast, period, pairs[r])
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
		b.add(f, float64(counts[r]), forecast, period, b.pair(&lnReason, b.str(r)))
	}
}
