package collector

import (
	"math"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

// exportState has a target that ran (failed last, succeeded before, with a
// snapshot, values and swings) and a configured target that never ran.
func exportState() testState {
	return testState{
		Targets: []testTarget{
			{
				Forecast: "net_arr", Period: "2026_Q4", MaxAge: 12 * time.Hour,
				RunsTotal: 5, RequeuesTotal: 1,
				FailuresByReason: map[string]float64{"failed": 1, "empty": 2},
				SkipsByReason:    map[string]float64{"quota_reserve": 3},
				HasRun:           true, LastRun: t0.Add(100 * time.Second), LastRunSuccess: false,
				LastDuration: 42500 * time.Millisecond,
				LastSuccess:  t0,
				HasSnapshot:  true, Rows: 1200, DuplicateRows: 7,
				// crm_total was requested and delivered nothing: 0, not absent.
				DataTypeRows:  map[string]int{"forecast": 600, "quota": 600, "crm_total": 0},
				DuplicateJobs: 1,
				Values: []testValue{
					{Field: "commit", DataType: "forecast", Value: 1.5e6},
					{Field: "commit", DataType: "quota", Value: 2e6},
				},
				Swings: []testSwing{
					{Field: "commit", Ratio: 0.25, Anomalous: true},
					{Field: "best_case", Ratio: math.NaN(), Anomalous: false}, // no baseline: ratio left out
				},
			},
			{Forecast: "net_arr", Period: "2026_Q3"}, // configured, never ran
		},
		CoverageMissing: map[string]int{"net_arr": 1},
	}
}

func TestExportCollectorGolden(t *testing.T) {
	c := NewExportCollector(testSource(exportState), testExportOptions(ExportOptions{ExposeForecastValues: true}))
	compareGolden(t, c, "export")
}

func TestExportCollectorHidesForecastValuesWhenDisabled(t *testing.T) {
	c := NewExportCollector(testSource(exportState), testExportOptions(ExportOptions{ExposeForecastValues: true}))
	if n := testutil.CollectAndCount(c, "clari_forecast_value"); n != 2 {
		t.Fatalf("enabled: clari_forecast_value series = %d, want 2", n)
	}
	c.SetExposeForecastValues(false)
	if n := testutil.CollectAndCount(c, "clari_forecast_value"); n != 0 {
		t.Errorf("disabled: clari_forecast_value series = %d, want 0", n)
	}
	// Swings stay: they carry no revenue amounts and feed the anomaly alert.
	if n := testutil.CollectAndCount(c, "clari_forecast_swing_anomalous"); n != 2 {
		t.Errorf("disabled: clari_forecast_swing_anomalous series = %d, want 2", n)
	}
}

func TestExportCollectorExposesUnknownReasonsAfterKnownOnes(t *testing.T) {
	st := testState{Targets: []testTarget{{
		Forecast: "f", Period: "2026_Q1",
		FailuresByReason: map[string]float64{"timeout": 1, "new_reason": 4},
	}}}
	c := NewExportCollector(testSource(func() testState { return st }), testExportOptions(ExportOptions{}))
	want := `
# HELP clari_export_failures_total Export runs that failed, by reason (failed, aborted, cancelled, timeout, empty, period_mismatch, api_error, decode_error) (cached: state of the background export runner, never fetched on scrape).
# TYPE clari_export_failures_total counter
clari_export_failures_total{forecast="f",period="2026_Q1",reason="aborted"} 0
clari_export_failures_total{forecast="f",period="2026_Q1",reason="api_error"} 0
clari_export_failures_total{forecast="f",period="2026_Q1",reason="cancelled"} 0
clari_export_failures_total{forecast="f",period="2026_Q1",reason="decode_error"} 0
clari_export_failures_total{forecast="f",period="2026_Q1",reason="empty"} 0
clari_export_failures_total{forecast="f",period="2026_Q1",reason="failed"} 0
clari_export_failures_total{forecast="f",period="2026_Q1",reason="new_reason"} 4
clari_export_failures_total{forecast="f",period="2026_Q1",reason="period_mismatch"} 0
clari_export_failures_total{forecast="f",period="2026_Q1",reason="timeout"} 1
`
	if err := testutil.CollectAndCompare(c, strings.NewReader(want), "clari_export_failures_total"); err != nil {
		t.Error(err)
	}
}

func TestExportCollectorInvalidLabelValueDoesNotPanic(t *testing.T) {
	st := testState{Targets: []testTarget{{Forecast: "bad\xff", Period: "2026_Q1"}}}
	c := NewExportCollector(testSource(func() testState { return st }), testExportOptions(ExportOptions{}))
	if _, err := testutil.CollectAndLint(c); err == nil {
		t.Fatal("gathering a non-UTF-8 label value: want an error, got none")
	}
}

func TestExportDurationHistogramFollowsConfiguredForecasts(t *testing.T) {
	c := NewExportCollector(nil, ExportOptions{DurationBuckets: []float64{10, 60}})
	c.SetForecasts([]string{"net_arr", "bookings"})
	c.ObserveDuration("net_arr", 30*time.Second)
	c.ObserveDuration("old_tab", 5*time.Second) // not configured: still recorded...
	want := `
# HELP clari_export_duration_seconds Duration of export jobs from create to decoded results, by forecast.
# TYPE clari_export_duration_seconds histogram
clari_export_duration_seconds_bucket{forecast="bookings",le="10"} 0
clari_export_duration_seconds_bucket{forecast="bookings",le="60"} 0
clari_export_duration_seconds_bucket{forecast="bookings",le="+Inf"} 0
clari_export_duration_seconds_sum{forecast="bookings"} 0
clari_export_duration_seconds_count{forecast="bookings"} 0
clari_export_duration_seconds_bucket{forecast="net_arr",le="10"} 0
clari_export_duration_seconds_bucket{forecast="net_arr",le="60"} 1
clari_export_duration_seconds_bucket{forecast="net_arr",le="+Inf"} 1
clari_export_duration_seconds_sum{forecast="net_arr"} 30
clari_export_duration_seconds_count{forecast="net_arr"} 1
clari_export_duration_seconds_bucket{forecast="old_tab",le="10"} 1
clari_export_duration_seconds_bucket{forecast="old_tab",le="60"} 1
clari_export_duration_seconds_bucket{forecast="old_tab",le="+Inf"} 1
clari_export_duration_seconds_sum{forecast="old_tab"} 5
clari_export_duration_seconds_count{forecast="old_tab"} 1
`
	if err := testutil.CollectAndCompare(c, strings.NewReader(want)); err != nil {
		t.Fatal(err)
	}
	c.SetForecasts([]string{"net_arr"}) // ...until the next reload drops it
	want = `
# HELP clari_export_duration_seconds Duration of export jobs from create to decoded results, by forecast.
# TYPE clari_export_duration_seconds histogram
clari_export_duration_seconds_bucket{forecast="net_arr",le="10"} 0
clari_export_duration_seconds_bucket{forecast="net_arr",le="60"} 1
clari_export_duration_seconds_bucket{forecast="net_arr",le="+Inf"} 1
clari_export_duration_seconds_sum{forecast="net_arr"} 30
clari_export_duration_seconds_count{forecast="net_arr"} 1
`
	if err := testutil.CollectAndCompare(c, strings.NewReader(want)); err != nil {
		t.Error(err)
	}
}

func TestExportCollectorLint(t *testing.T) {
	c := NewExportCollector(testSource(exportState), testExportOptions(ExportOptions{ExposeForecastValues: true}))
	c.SetForecasts([]string{"net_arr"})
	c.ObserveDuration("net_arr", time.Minute)
	lintClean(t, c)
}

// A state of an unchanged generation is served from the families built for
// it; a new generation (or toggling forecast values) rebuilds them.
func TestExportCollectorReusesFamiliesOfTheSameGeneration(t *testing.T) {
	var mu sync.Mutex
	st := testState{Generation: 1, Targets: []testTarget{{Forecast: "f", Period: "2026_Q1", RunsTotal: 1}}}
	c := NewExportCollector(testSource(func() testState {
		mu.Lock()
		defer mu.Unlock()
		return st
	}), testExportOptions(ExportOptions{}))
	runs := func() float64 { return testutil.ToFloat64(nameFilter{c, "clari_export_runs_total"}) }
	set := func(gen uint64, n float64) {
		mu.Lock()
		st = testState{Generation: gen, Targets: []testTarget{{Forecast: "f", Period: "2026_Q1", RunsTotal: n}}}
		mu.Unlock()
	}

	if got := runs(); got != 1 {
		t.Fatalf("generation 1: runs = %v, want 1", got)
	}
	set(1, 2) // a source breaking the contract: same generation, new data
	if got := runs(); got != 1 {
		t.Errorf("same generation: runs = %v, want the reused 1", got)
	}
	set(2, 3)
	if got := runs(); got != 3 {
		t.Errorf("generation 2: runs = %v, want 3", got)
	}
	set(0, 4) // generation 0: never reused
	if got := runs(); got != 4 {
		t.Errorf("generation 0: runs = %v, want 4", got)
	}
	set(0, 5)
	if got := runs(); got != 5 {
		t.Errorf("generation 0 again: runs = %v, want 5", got)
	}
}

func TestExportCollectorRebuildsWhenForecastValuesToggle(t *testing.T) {
	st := exportState()
	st.Generation = 7
	c := NewExportCollector(testSource(func() testState { return st }), testExportOptions(ExportOptions{}))
	if n := testutil.CollectAndCount(c, "clari_forecast_value"); n != 0 {
		t.Fatalf("disabled: %d clari_forecast_value series", n)
	}
	c.SetExposeForecastValues(true)
	if n := testutil.CollectAndCount(c, "clari_forecast_value"); n != 2 {
		t.Errorf("enabled, same generation: %d clari_forecast_value series, want 2", n)
	}
}
