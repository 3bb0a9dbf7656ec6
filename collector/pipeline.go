package collector

import (
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// PipelineTarget is what the pipeline collector reads of one (forecast,
// period) the watch has seen.
type PipelineTarget interface {
	PipelineLabels() (forecast, period string)
	// PipelineCounts hold every status and reason (pre-created at 0).
	PipelineCounts() (jobs, checkFailures map[string]uint64)
	// PipelineLastJob: a zero lastSuccess leaves its timestamp out; known
	// false leaves clari_pipeline_last_job_success out.
	PipelineLastJob() (lastSuccess time.Time, known, success bool)
	// PipelineRows are of the newest inspected export; ok false leaves the
	// row gauges out.
	PipelineRows() (rows, duplicates int, dataTypeRows map[string]int, ok bool)
	// EachPipelineSwing visits the fields compared with the previous
	// inspected export (a non-finite ratio is left out).
	EachPipelineSwing(fn func(field string, ratio float64, anomalous bool))
}

// PipelineState is what the pipeline collector reads of the pipeline
// watch's published state (clari_org_* and clari_pipeline_*); T is the
// producer's target type.
type PipelineState[T PipelineTarget] interface {
	// PipelineEnabled is false when watch.enabled is off: nothing is
	// exposed.
	PipelineEnabled() bool
	// OrgQuota is the org-wide reading of /admin/limits; known is false
	// until one succeeded. exhaustionKnown false leaves the projection out.
	OrgQuota() (known bool, submitted, running, byOthers, unknownAge int, oldestRunningAge time.Duration, exhaustion time.Time, exhaustionKnown bool)
	// LastListSuccess is the last successful read of the job list (zero:
	// none yet, the metric is left out).
	LastListSuccess() time.Time
	// PipelineTargets are the (forecast, period) pairs seen.
	PipelineTargets() []T
	// EachPipelineForecast visits every forecast seen with its gauges and
	// its duration histogram (cumulative counts per PipelineOptions bound).
	EachPipelineForecast(fn func(forecast string, running, stuck, undownloaded int, buckets []uint64, count uint64, sum float64))
}

// PipelineSource gives the collector the watch's latest state; build it
// with PipelineSourceOf.
type PipelineSource interface {
	pipelineState() (pipelineView, bool)
}

// PipelineSourceOf reads the state latest returns; latest is called on
// every scrape, concurrently: it must return the published value, never do
// I/O.
func PipelineSourceOf[T PipelineTarget, S PipelineState[T]](latest func() S) PipelineSource {
	return pipelineSourceOf[T, S](latest)
}

type pipelineSourceOf[T PipelineTarget, S PipelineState[T]] func() S

func (f pipelineSourceOf[T, S]) pipelineState() (pipelineView, bool) {
	s := f()
	if !s.PipelineEnabled() {
		return pipelineView{}, false
	}
	ts := s.PipelineTargets()
	return pipelineView{org: s.OrgQuota, list: s.LastListSuccess, forecasts: s.EachPipelineForecast,
		targets: len(ts), target: func(i int) PipelineTarget { return ts[i] }}, true
}

type pipelineView struct {
	org       func() (bool, int, int, int, int, time.Duration, time.Time, bool)
	list      func() time.Time
	forecasts func(fn func(forecast string, running, stuck, undownloaded int, buckets []uint64, count uint64, sum float64))
	targets   int
	target    func(i int) PipelineTarget
}

// PipelineOptions are the producer's bucket bounds of
// clari_pipeline_job_duration_seconds.
type PipelineOptions struct {
	DurationBuckets []float64
	// CheckReasons is the producer's list of the `reason` values of
	// clari_pipeline_export_check_failures_total (watch.CheckReasons), named
	// in its HELP.
	CheckReasons []string
}

// PipelineCollector exposes the pipeline watch.
type PipelineCollector struct {
	source  PipelineSource
	buckets []float64

	submitted, running, oldest, byOthers, unknownAge, exhaustion,
	jobs, duration, lastSuccess, lastJobSuccess, jobsRunning, jobsStuck, undownloaded,
	rows, dupRows, dataTypeRows, checkFailures, swingRatio, swingAnomalous, listSuccess *prometheus.Desc
}

// NewPipelineCollector reads source on every scrape. A nil source exposes
// nothing.
func NewPipelineCollector(source PipelineSource, o PipelineOptions) *PipelineCollector {
	d := func(name, help string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc(name, help, labels, nil)
	}
	return &PipelineCollector{
		source: source, buckets: o.DurationBuckets,
		submitted:      d("clari_org_exports_submitted", "Exports counted against the org's rolling 30-day quota now (submittedJobIds of /admin/limits)."),
		running:        d("clari_org_exports_running", "Export jobs running in the org now (runningJobIds)."),
		oldest:         d("clari_org_oldest_running_export_age_seconds", "Age of the oldest running export, from its id's creation time; 0 when none."),
		byOthers:       d("clari_org_exports_by_others", "Exports in the quota window not created by this exporter."),
		unknownAge:     d("clari_org_exports_unknown_age", "Submitted ids whose embedded creation time is implausible (their first-seen time is used)."),
		exhaustion:     d("clari_export_quota_exhaustion_projected_timestamp_seconds", "When available quota reaches schedule.quota_reserve at the last 7 days' rate, with roll-off of old ids; absent when not within 30 days."),
		jobs:           d("clari_pipeline_jobs_total", "Pipeline jobs that reached a terminal status (done, failed, aborted, cancelled).", "forecast", "period", "status"),
		duration:       d("clari_pipeline_job_duration_seconds", "startTime to endTime of finished pipeline jobs.", "forecast"),
		lastSuccess:    d("clari_pipeline_last_success_timestamp_seconds", "endTime of the newest DONE pipeline job.", "forecast", "period"),
		lastJobSuccess: d("clari_pipeline_last_job_success", "1 if the newest terminal pipeline job of the target is DONE, 0 if it FAILED, ABORTED or was CANCELLED.", "forecast", "period"),
		jobsRunning:    d("clari_pipeline_jobs_running", "Non-terminal pipeline jobs now.", "forecast"),
		jobsStuck:      d("clari_pipeline_jobs_stuck", "Non-terminal pipeline jobs older than watch.stuck_after.", "forecast"),
		undownloaded:   d("clari_pipeline_jobs_undownloaded", "DONE pipeline jobs older than watch.download_grace that nobody but this exporter downloaded.", "forecast"),
		rows:           d("clari_pipeline_export_rows", "Distinct entries in the newest inspected DONE pipeline export.", "forecast", "period"),
		dupRows:        d("clari_pipeline_export_duplicate_rows", "Entries dropped as duplicates in the newest inspected pipeline export.", "forecast", "period"),
		dataTypeRows:   d("clari_pipeline_export_data_type_rows", "Entries per data type in the newest inspected pipeline export.", "forecast", "period", "data_type"),
		checkFailures:  d("clari_pipeline_export_check_failures_total", "Inspected pipeline exports that failed a check ("+strings.Join(o.CheckReasons, ", ")+").", "forecast", "period", "reason"),
		swingRatio:     d("clari_pipeline_forecast_swing_ratio", "(latest - previous) / abs(previous) of a field's forecast total between consecutive pipeline exports.", "forecast", "period", "field"),
		swingAnomalous: d("clari_pipeline_forecast_swing_anomalous", "1 where the pipeline swing passes the threshold and guards.", "forecast", "period", "field"),
		listSuccess:    d("clari_pipeline_watch_last_success_timestamp_seconds", "Last successful read of the job list."),
	}
}

// Describe implements prometheus.Collector.
func (c *PipelineCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.submitted, c.running, c.oldest, c.byOthers, c.unknownAge, c.exhaustion,
		c.jobs, c.duration, c.lastSuccess, c.lastJobSuccess, c.jobsRunning, c.jobsStuck, c.undownloaded,
		c.rows, c.dupRows, c.dataTypeRows, c.checkFailures, c.swingRatio, c.swingAnomalous, c.listSuccess} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *PipelineCollector) Collect(ch chan<- prometheus.Metric) {
	if c.source == nil {
		return
	}
	s, ok := c.source.pipelineState()
	if !ok {
		return
	}
	g := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	if known, sub, run, others, unknown, oldest, exh, exhKnown := s.org(); known {
		g(c.submitted, float64(sub))
		g(c.running, float64(run))
		g(c.oldest, oldest.Seconds())
		g(c.byOthers, float64(others))
		g(c.unknownAge, float64(unknown))
		if exhKnown {
			g(c.exhaustion, float64(exh.UnixMilli())/1000)
		}
	}
	if t := s.list(); !t.IsZero() {
		g(c.listSuccess, float64(t.UnixMilli())/1000)
	}
	for i := range s.targets {
		t := s.target(i)
		f, p := t.PipelineLabels()
		jobs, fails := t.PipelineCounts()
		for status, n := range jobs {
			ch <- prometheus.MustNewConstMetric(c.jobs, prometheus.CounterValue, float64(n), f, p, status)
		}
		for reason, n := range fails {
			ch <- prometheus.MustNewConstMetric(c.checkFailures, prometheus.CounterValue, float64(n), f, p, reason)
		}
		if last, known, success := t.PipelineLastJob(); known {
			g(c.lastJobSuccess, boolFloat(success), f, p)
			if !last.IsZero() {
				g(c.lastSuccess, float64(last.UnixMilli())/1000, f, p)
			}
		} else if !last.IsZero() {
			g(c.lastSuccess, float64(last.UnixMilli())/1000, f, p)
		}
		if rows, dups, types, ok := t.PipelineRows(); ok {
			g(c.rows, float64(rows), f, p)
			g(c.dupRows, float64(dups), f, p)
			for dt, n := range types {
				g(c.dataTypeRows, float64(n), f, p, dt)
			}
		}
		t.EachPipelineSwing(func(field string, ratio float64, anomalous bool) {
			if ratio-ratio != 0 { // NaN or ±Inf: no usable baseline
				return
			}
			g(c.swingRatio, ratio, f, p, field)
			g(c.swingAnomalous, boolFloat(anomalous), f, p, field)
		})
	}
	s.forecasts(func(forecast string, running, stuck, undownloaded int, buckets []uint64, count uint64, sum float64) {
		g(c.jobsRunning, float64(running), forecast)
		g(c.jobsStuck, float64(stuck), forecast)
		g(c.undownloaded, float64(undownloaded), forecast)
		if len(buckets) == len(c.buckets) {
			b := make(map[float64]uint64, len(buckets))
			for i, ub := range c.buckets {
				b[ub] = buckets[i]
			}
			ch <- prometheus.MustNewConstHistogram(c.duration, count, sum, b, forecast)
		}
	})
}
