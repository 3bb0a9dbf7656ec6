package collector

import (
	"maps"
	"slices"
	"time"
)

// Test fixtures: plain values that implement the interfaces the collectors
// read through, so tests can state what a producer published.

type testState struct {
	Targets         []testTarget
	CoverageMissing map[string]int
	Generation      uint64
}

type testTarget struct {
	Forecast, Period string

	RunsTotal, RequeuesTotal        float64
	FailuresByReason, SkipsByReason map[string]float64

	MaxAge time.Duration

	HasRun         bool
	LastRun        time.Time
	LastRunSuccess bool
	LastDuration   time.Duration
	LastSuccess    time.Time

	HasSnapshot   bool
	Rows          float64
	DuplicateRows float64
	Values        []testValue
	Swings        []testSwing
	DataTypeRows  map[string]int
	DuplicateJobs float64
}

type testValue struct {
	Field, DataType string
	Value           float64
}

type testSwing struct {
	Field     string
	Ratio     float64
	Anomalous bool
}

func (s testState) ExportGeneration() uint64    { return s.Generation }
func (s testState) ExportTargets() []testTarget { return s.Targets }
func (s testState) EachCoverageMissing(fn func(string, int)) {
	for id, n := range s.CoverageMissing {
		fn(id, n)
	}
}

func (t testTarget) Labels() (string, string) { return t.Forecast, t.Period }
func (t testTarget) Counters() (uint64, uint64, map[string]uint64, map[string]uint64) {
	return uint64(t.RunsTotal), uint64(t.RequeuesTotal), toUints(t.FailuresByReason), toUints(t.SkipsByReason)
}
func (t testTarget) LastRunResult() (time.Time, bool, time.Duration) {
	if !t.HasRun {
		return time.Time{}, false, 0
	}
	return t.LastRun, t.LastRunSuccess, t.LastDuration
}
func (t testTarget) LastSuccessTime() time.Time { return t.LastSuccess }
func (t testTarget) MaxAgeLimit() time.Duration { return t.MaxAge }
func (t testTarget) SnapshotRows() (int, int, bool) {
	return int(t.Rows), int(t.DuplicateRows), t.HasSnapshot
}
func (t testTarget) EachTotal(fn func(string, string, float64)) {
	for _, v := range t.Values {
		fn(v.Field, v.DataType, v.Value)
	}
}
func (t testTarget) EachSwing(fn func(string, float64, bool)) {
	for _, s := range t.Swings {
		fn(s.Field, s.Ratio, s.Anomalous)
	}
}

func (t testTarget) DuplicateJobCount() uint64 { return uint64(t.DuplicateJobs) }
func (t testTarget) EachDataTypeRows(fn func(string, int)) {
	if !t.HasSnapshot {
		return
	}
	for _, dt := range slices.Sorted(maps.Keys(t.DataTypeRows)) {
		fn(dt, t.DataTypeRows[dt])
	}
}

func toUints(m map[string]float64) map[string]uint64 {
	if m == nil {
		return nil
	}
	out := make(map[string]uint64, len(m))
	for k, v := range m {
		out[k] = uint64(v)
	}
	return out
}

// testSource serves the state f returns.
func testSource(f func() testState) ExportSource {
	return ExportSourceOf[testTarget](f)
}

// testExportOptions are ExportOptions with the reason lists of the runner
// as they were when the golden files were written.
func testExportOptions(o ExportOptions) ExportOptions {
	if o.FailureReasons == nil {
		o.FailureReasons = []string{"failed", "aborted", "cancelled", "timeout", "empty", "period_mismatch", "api_error", "decode_error"}
	}
	if o.SkipReasons == nil {
		o.SkipReasons = []string{"quota_reserve", "concurrency", "circuit_open"}
	}
	return o
}

// testVocabulary is the Clari client's label values as they were when the
// golden files were written.
var testVocabulary = APIVocabulary{
	Endpoints:     []string{"create_export", "get_job", "list_jobs", "cancel_job", "results", "limits", "audit_events"},
	RetryReasons:  []string{"429", "5xx", "network", "timeout"},
	BreakerStates: []string{"closed", "half_open", "open"},
}
