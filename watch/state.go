package watch

import (
	"math"
	"slices"
	"time"

	"github.com/clari-exporter/clari_exporter/fiscal"
	"github.com/clari-exporter/clari_exporter/snapshot"
)

// Status label values of clari_pipeline_jobs_total, one per terminal status.
const (
	StatusDone      = "done"
	StatusFailed    = "failed"
	StatusAborted   = "aborted"
	StatusCancelled = "cancelled"
)

// Statuses is the status label vocabulary (every counter child is
// pre-created at 0 for each target seen).
var Statuses = []string{StatusDone, StatusFailed, StatusAborted, StatusCancelled}

// Check failure reasons of clari_pipeline_export_check_failures_total.
const (
	ReasonEmpty          = snapshot.ReasonEmpty
	ReasonPeriodMismatch = snapshot.ReasonPeriodMismatch
	ReasonDecodeError    = "decode_error"
	ReasonDownloadError  = "download_error"
	// ReasonTruncated: Clari's job record says the DONE job's document is
	// incomplete (rowsTruncated or cellsTruncated).
	ReasonTruncated = "truncated"
	// ReasonCalendarMismatch: the document's period dates disagree with the
	// configured fiscal calendar.
	ReasonCalendarMismatch = fiscal.ReasonMismatch
)

// CheckReasons is the reason label vocabulary, the one list every reason
// is defined in: each has an alert (alerts/, tested against this list).
var CheckReasons = []string{ReasonEmpty, ReasonPeriodMismatch, ReasonDecodeError, ReasonDownloadError, ReasonTruncated, ReasonCalendarMismatch}

// Unknown is the forecast (and period) label of a job whose fileName cannot
// be parsed.
const Unknown = "unknown"

// DurationBuckets are the upper bounds (seconds) of
// clari_pipeline_job_duration_seconds.
var DurationBuckets = []float64{10, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200}

// State is what the watch knows after a poll. It is immutable once
// published: the collector reads it without locks.
type State struct {
	// Enabled is false when watch.enabled is off (nothing else is set).
	Enabled bool
	// Org is the org-wide quota from /admin/limits.
	Org OrgQuota
	// ListedAt is the last successful read of the job list (zero
	// when none yet).
	ListedAt time.Time
	// Targets are the (forecast, period) pairs seen, sorted.
	Targets []Target
	// Forecasts are the forecasts seen, sorted.
	Forecasts []Forecast
}

// Target is one (forecast, period) of the pipeline.
type Target struct {
	Forecast, Period string
	// Jobs counts the jobs that reached each terminal status (Statuses).
	Jobs map[string]uint64
	// CheckFailures counts failed checks by reason (CheckReasons).
	CheckFailures map[string]uint64
	// LastSuccess is the endTime of the newest DONE job (zero: none).
	LastSuccess time.Time
	// LastJobKnown says whether a terminal job was seen; LastJobSuccess is
	// whether the newest one was DONE.
	LastJobKnown, LastJobSuccess bool
	// Inspected is true once a DONE job of the target was checked; Rows,
	// DuplicateRows and DataTypeRows are of the newest inspected export.
	Inspected     bool
	Rows          int
	DuplicateRows int
	DataTypeRows  map[string]int
	// Swings compare the newest inspected export with the previous one.
	Swings []snapshot.Swing
	// LastCheck is the check of the newest inspected export (zero: none
	// inspected yet).
	LastCheck Check
}

// Check is the outcome of one inspected pipeline export's check.
type Check struct {
	// JobID is the inspected job ("" when none was inspected).
	JobID string `json:"job_id"`
	// Ended is the job's endTime, which orders the inspections.
	Ended time.Time `json:"ended"`
	// Reason is "" when the export passed, else why it failed
	// (CheckReasons).
	Reason string `json:"reason,omitempty"`
}

// Failed reports whether an inspected export failed its check.
func (c Check) Failed() bool { return c.Reason != "" }

// AnomalousSwing reports whether a field of the newest inspected export
// swung past the review threshold against the previous one.
func (t *Target) AnomalousSwing() bool {
	return slices.ContainsFunc(t.Swings, func(s snapshot.Swing) bool { return s.Anomalous })
}

// Forecast is the per-forecast part.
type Forecast struct {
	Forecast string
	// Running, Stuck and Undownloaded are gauges of now.
	Running, Stuck, Undownloaded int
	// Duration is the startTime → endTime histogram of counted jobs.
	Duration Histogram
}

// Histogram is a cumulative histogram over DurationBuckets.
type Histogram struct {
	Buckets []uint64 // per DurationBuckets bound, cumulative
	Count   uint64
	Sum     float64
}

func (h *Histogram) observe(v float64) {
	if len(h.Buckets) != len(DurationBuckets) {
		h.Buckets = make([]uint64, len(DurationBuckets))
	}
	for i, b := range DurationBuckets {
		if v <= b {
			h.Buckets[i]++
		}
	}
	h.Count++
	h.Sum += v
}

// ExpectedRows is the row count of the newest inspected pipeline export of
// a target (ok false when none): the expectation warehouse reconciliation
// uses for targets the exporter does not export itself.
func (s *State) ExpectedRows(forecast, period string) (int, bool) {
	for _, t := range s.Targets {
		if t.Forecast == forecast && t.Period == period && t.Inspected {
			return t.Rows, true
		}
	}
	return 0, false
}

// The methods below are how collector/ reads the state (its
// PipelineState and PipelineTarget interfaces).

// PipelineEnabled reports whether the watch runs.
func (s *State) PipelineEnabled() bool { return s.Enabled }

// OrgQuota returns the org-wide figures.
func (s *State) OrgQuota() (known bool, submitted, running, byOthers, unknownAge int, oldestRunningAge time.Duration, exhaustion time.Time, exhaustionKnown bool) {
	o := s.Org
	return o.Known, o.Submitted, o.Running, o.ByOthers, o.UnknownAge, o.OldestRunningAge, o.Exhaustion, o.ExhaustionKnown
}

// LastListSuccess is the last successful read of the job list.
func (s *State) LastListSuccess() time.Time { return s.ListedAt }

// PipelineTargets are the targets seen.
func (s *State) PipelineTargets() []*Target {
	out := make([]*Target, len(s.Targets))
	for i := range s.Targets {
		out[i] = &s.Targets[i]
	}
	return out
}

// EachPipelineForecast visits the forecasts seen.
func (s *State) EachPipelineForecast(fn func(forecast string, running, stuck, undownloaded int, buckets []uint64, count uint64, sum float64)) {
	for _, f := range s.Forecasts {
		fn(f.Forecast, f.Running, f.Stuck, f.Undownloaded, f.Duration.Buckets, f.Duration.Count, f.Duration.Sum)
	}
}

// PipelineLabels are the target's forecast and period.
func (t *Target) PipelineLabels() (forecast, period string) { return t.Forecast, t.Period }

// PipelineCounts are the job and check-failure counters.
func (t *Target) PipelineCounts() (jobs, checkFailures map[string]uint64) {
	return t.Jobs, t.CheckFailures
}

// PipelineLastJob is the newest terminal job's outcome.
func (t *Target) PipelineLastJob() (lastSuccess time.Time, known, success bool) {
	return t.LastSuccess, t.LastJobKnown, t.LastJobSuccess
}

// PipelineRows are the newest inspected export's figures.
func (t *Target) PipelineRows() (rows, duplicates int, dataTypeRows map[string]int, ok bool) {
	return t.Rows, t.DuplicateRows, t.DataTypeRows, t.Inspected
}

// EachPipelineSwing visits the newest swings; the ratio is NaN where the
// previous total was 0 (no baseline: no swing series for the field).
func (t *Target) EachPipelineSwing(fn func(field string, ratio float64, anomalous bool)) {
	for _, sw := range t.Swings {
		r, ok := sw.DefinedRatio()
		if !ok {
			r = math.NaN()
		}
		fn(sw.Field, r, sw.Anomalous)
	}
}
