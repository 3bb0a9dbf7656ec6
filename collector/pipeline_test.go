package collector

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/clari-exporter/clari_exporter/watch"
)

// pipelineMetrics are METRICS.md "Pipeline watch".
var pipelineMetrics = []string{
	"clari_org_exports_submitted", "clari_org_exports_running", "clari_org_oldest_running_export_age_seconds",
	"clari_org_exports_by_others", "clari_org_exports_unknown_age", "clari_export_quota_exhaustion_projected_timestamp_seconds",
	"clari_pipeline_jobs_total", "clari_pipeline_job_duration_seconds", "clari_pipeline_last_success_timestamp_seconds",
	"clari_pipeline_last_job_success", "clari_pipeline_jobs_running", "clari_pipeline_jobs_stuck",
	"clari_pipeline_jobs_undownloaded", "clari_pipeline_export_rows", "clari_pipeline_export_duplicate_rows",
	"clari_pipeline_export_check_failures_total", "clari_pipeline_forecast_swing_ratio",
	"clari_pipeline_forecast_swing_anomalous", "clari_pipeline_watch_last_success_timestamp_seconds",
}

func init() { contractMetrics = append(contractMetrics, pipelineMetrics...) }

type fakePipelineTarget struct{ f, p string }

func (t fakePipelineTarget) PipelineLabels() (string, string) { return t.f, t.p }
func (t fakePipelineTarget) PipelineCounts() (map[string]uint64, map[string]uint64) {
	return map[string]uint64{"done": 3, "failed": 1, "aborted": 0, "cancelled": 0},
		map[string]uint64{"empty": 1, "period_mismatch": 0, "decode_error": 0, "download_error": 0}
}
func (t fakePipelineTarget) PipelineLastJob() (time.Time, bool, bool) { return t0, true, false }
func (t fakePipelineTarget) PipelineRows() (int, int, map[string]int, bool) {
	return 120, 2, map[string]int{"forecast": 120}, true
}
func (t fakePipelineTarget) EachPipelineSwing(fn func(string, float64, bool)) {
	fn("commit", 0.3, true)
	fn("best_case", math.NaN(), false) // no baseline: ratio left out
}

type fakePipelineState struct{ on bool }

func (s fakePipelineState) PipelineEnabled() bool { return s.on }
func (s fakePipelineState) OrgQuota() (bool, int, int, int, int, time.Duration, time.Time, bool) {
	return true, 400, 2, 390, 1, 90 * time.Second, t0.Add(48 * time.Hour), true
}
func (s fakePipelineState) LastListSuccess() time.Time { return t0 }
func (s fakePipelineState) PipelineTargets() []fakePipelineTarget {
	return []fakePipelineTarget{{"net_arr", "2026_Q4"}}
}
func (s fakePipelineState) EachPipelineForecast(fn func(string, int, int, int, []uint64, uint64, float64)) {
	fn("net_arr", 1, 1, 0, []uint64{1, 3, 4}, 4, 150)
}

func testPipelineSource(on bool) PipelineSource {
	return PipelineSourceOf[fakePipelineTarget](func() fakePipelineState { return fakePipelineState{on} })
}

var testPipelineOptions = PipelineOptions{DurationBuckets: []float64{30, 60, 120}, CheckReasons: watch.CheckReasons}

func TestPipelineCollector(t *testing.T) {
	c := NewPipelineCollector(testPipelineSource(true), testPipelineOptions)
	want := `# HELP clari_pipeline_last_job_success 1 if the newest terminal pipeline job of the target is DONE, 0 if it FAILED, ABORTED or was CANCELLED.
# TYPE clari_pipeline_last_job_success gauge
clari_pipeline_last_job_success{forecast="net_arr",period="2026_Q4"} 0
# HELP clari_pipeline_forecast_swing_ratio (latest - previous) / abs(previous) of a field's forecast total between consecutive pipeline exports.
# TYPE clari_pipeline_forecast_swing_ratio gauge
clari_pipeline_forecast_swing_ratio{field="commit",forecast="net_arr",period="2026_Q4"} 0.3
# HELP clari_org_exports_by_others Exports in the quota window not created by this exporter.
# TYPE clari_org_exports_by_others gauge
clari_org_exports_by_others 390
`
	if err := testutil.CollectAndCompare(c, strings.NewReader(want), "clari_pipeline_last_job_success", "clari_pipeline_forecast_swing_ratio", "clari_org_exports_by_others"); err != nil {
		t.Fatal(err)
	}
	if n := testutil.CollectAndCount(c, "clari_pipeline_jobs_total"); n != 4 {
		t.Fatalf("%d jobs_total children, want one per status", n)
	}
	if n := testutil.CollectAndCount(NewPipelineCollector(testPipelineSource(false), testPipelineOptions)); n != 0 {
		t.Fatalf("watch off: %d series", n)
	}
	if n := testutil.CollectAndCount(NewPipelineCollector(nil, testPipelineOptions)); n != 0 {
		t.Fatalf("no source: %d series", n)
	}
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(c)
	if _, err := reg.Gather(); err != nil {
		t.Fatal(err)
	}
}
