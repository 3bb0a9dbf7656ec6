package watch

import (
	"context"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/go-kit/log"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/clari-exporter/clari_exporter/clari"
	"github.com/clari-exporter/clari_exporter/clari/clarisim"
	"github.com/clari-exporter/clari_exporter/collector"
	"github.com/clari-exporter/clari_exporter/config"
	"github.com/clari-exporter/clari_exporter/internal/testlog"
	"github.com/clari-exporter/clari_exporter/snapshot"
)

// contract is METRICS.md "Pipeline watch" (../shared/METRICS.md).
var contract = []string{
	"clari_org_exports_submitted", "clari_org_exports_running", "clari_org_oldest_running_export_age_seconds",
	"clari_org_exports_by_others", "clari_org_exports_unknown_age", "clari_export_quota_exhaustion_projected_timestamp_seconds",
	"clari_pipeline_jobs_total", "clari_pipeline_job_duration_seconds", "clari_pipeline_last_success_timestamp_seconds",
	"clari_pipeline_last_job_success", "clari_pipeline_jobs_running", "clari_pipeline_jobs_stuck",
	"clari_pipeline_jobs_undownloaded", "clari_pipeline_export_rows", "clari_pipeline_export_duplicate_rows",
	"clari_pipeline_export_check_failures_total", "clari_pipeline_forecast_swing_ratio",
	"clari_pipeline_forecast_swing_anomalous", "clari_pipeline_watch_last_success_timestamp_seconds",
}

func gather(t *testing.T, w *Watcher) map[string]*dto.MetricFamily {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(collector.NewPipelineCollector(collector.PipelineSourceOf(w.State), collector.PipelineOptions{DurationBuckets: DurationBuckets, CheckReasons: CheckReasons}))
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*dto.MetricFamily{}
	for _, mf := range mfs {
		out[mf.GetName()] = mf
	}
	return out
}

func value(mf *dto.MetricFamily, labels map[string]string) (float64, bool) {
	for _, m := range mf.GetMetric() {
		match := true
		for _, l := range m.GetLabel() {
			if v, ok := labels[l.GetName()]; ok && v != l.GetValue() {
				match = false
			}
		}
		if !match {
			continue
		}
		switch {
		case m.Counter != nil:
			return m.Counter.GetValue(), true
		case m.Gauge != nil:
			return m.Gauge.GetValue(), true
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount()), true
		}
	}
	return 0, false
}

func TestMetricsContract(t *testing.T) {
	e := newEnv(t, clarisim.Scenario{})
	f0 := e.sim.Tenant().Forecasts[0]
	period := clarisim.QuarterOf(e.start, e.sim.Tenant().FiscalStartMonth).ID()
	e.sim.AddOrgJobs(clarisim.OrgJob{Created: e.start.Add(-time.Hour), Duration: 2 * time.Hour})
	if err := e.sim.StartPipeline(e.start, []clarisim.PipelineJob{
		{At: time.Second, Forecast: f0, Ratio: 1},
		{At: 2 * time.Second, Forecast: f0, Final: clari.StatusFailed},
		{At: 3 * time.Second, Forecast: f0, Ratio: 1.5},
		{At: 4 * time.Second, Forecast: f0, Final: clarisim.NeverFinish},
	}); err != nil {
		t.Fatal(err)
	}
	e.cfg.Schedule.QuotaReserve = 995 // 1000 − the few jobs: projected soon
	w := e.watcher()
	if got := gather(t, w); len(got) != 0 {
		t.Fatalf("before the first poll: %d families", len(got))
	}
	poll(t, w)
	e.clk.Advance(5 * time.Minute)
	poll(t, w)
	mfs := gather(t, w)
	for _, name := range contract {
		if mfs[name] == nil {
			t.Errorf("contract metric %s not exposed", name)
		}
	}
	tl := map[string]string{"forecast": f0, "period": period}
	with := func(k, v string) map[string]string {
		m := map[string]string{k: v}
		for a, b := range tl {
			m[a] = b
		}
		return m
	}
	for _, c := range []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"clari_pipeline_jobs_total", with("status", "done"), 2},
		{"clari_pipeline_jobs_total", with("status", "failed"), 1},
		{"clari_pipeline_jobs_total", with("status", "aborted"), 0}, // pre-created
		{"clari_pipeline_export_check_failures_total", with("reason", "download_error"), 0},
		{"clari_pipeline_last_job_success", tl, 1},
		{"clari_pipeline_jobs_stuck", map[string]string{"forecast": f0}, 1},
		{"clari_pipeline_jobs_running", map[string]string{"forecast": f0}, 1},
		{"clari_pipeline_job_duration_seconds", map[string]string{"forecast": f0}, 3},
		{"clari_pipeline_forecast_swing_anomalous", tl, 1},
		{"clari_org_exports_running", nil, 2},
	} {
		mf := mfs[c.name]
		if mf == nil {
			continue
		}
		if got, ok := value(mf, c.labels); !ok || got != c.want {
			t.Errorf("%s%v = %v (found %v), want %v", c.name, c.labels, got, ok, c.want)
		}
	}
}

// TestSwingWithoutBaselineIsAbsent: the watch's own state, with swings
// against an all-zero previous total (no baseline) and a new field, serves
// no swing series for them, while a field with a baseline keeps its ratio.
func TestSwingWithoutBaselineIsAbsent(t *testing.T) {
	prev := snapshot.Snapshot{Forecast: "net_arr", Period: "2027_Q4", JobID: "a", Rows: 3, Totals: []snapshot.Total{
		{Field: "commit", DataType: snapshot.SwingDataType, Value: 0}, {Field: "best_case", DataType: snapshot.SwingDataType, Value: 100000}}}
	cur := snapshot.Snapshot{Forecast: "net_arr", Period: "2027_Q4", JobID: "b", Rows: 3, Totals: []snapshot.Total{
		{Field: "commit", DataType: snapshot.SwingDataType, Value: 5000}, {Field: "best_case", DataType: snapshot.SwingDataType, Value: 130000},
		{Field: "pipeline", DataType: snapshot.SwingDataType, Value: 7000}}}
	swings := snapshot.CompareSwings([]snapshot.Snapshot{prev}, cur, snapshot.SwingConfig{Threshold: 0.2, MinHistory: 2})
	st := &State{Enabled: true, Targets: []Target{{Forecast: "net_arr", Period: "2027_Q4", Swings: swings}}}
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(collector.NewPipelineCollector(collector.PipelineSourceOf(func() *State { return st }), collector.PipelineOptions{DurationBuckets: DurationBuckets, CheckReasons: CheckReasons}))
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	ratios := map[string]float64{}
	for _, mf := range mfs {
		if mf.GetName() != "clari_pipeline_forecast_swing_ratio" {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "field" {
					ratios[l.GetValue()] = m.GetGauge().GetValue()
				}
			}
		}
	}
	if len(ratios) != 1 || math.Abs(ratios["best_case"]-0.3) > 1e-9 {
		t.Fatalf("swing ratios %v, want only best_case at 0.3 (commit had a zero baseline, pipeline none)", ratios)
	}
	if !st.Targets[0].AnomalousSwing() {
		t.Error("the +30 % swing of best_case is not flagged in the state")
	}
}

// TestAnomalousPipelineSwingIsLogged: a +50 % pipeline export leaves one
// warn line per field naming forecast, period, field, previous, latest and
// ratio; the unchanged export before it leaves none.
func TestAnomalousPipelineSwingIsLogged(t *testing.T) {
	e := newEnv(t, clarisim.Scenario{})
	f0 := e.sim.Tenant().Forecasts[0]
	period := clarisim.QuarterOf(e.start, e.sim.Tenant().FiscalStartMonth).ID()
	if err := e.sim.StartPipeline(e.start, []clarisim.PipelineJob{
		{At: time.Second, Forecast: f0, Ratio: 1},
		{At: 2 * time.Minute, Forecast: f0, Ratio: 1},
		{At: 4 * time.Minute, Forecast: f0, Ratio: 1.5},
	}); err != nil {
		t.Fatal(err)
	}
	var logs testlog.Buffer
	w := New(Options{Clari: e.c, Store: e.st, Config: func() *config.File { return &e.cfg.File }, Now: e.clk.Now,
		Sleep: func(context.Context, time.Duration) error { return nil }, Logger: log.NewLogfmtLogger(&logs)})
	const msg = "anomalous forecast swing"
	for range 2 {
		poll(t, w)
		e.clk.Advance(2 * time.Minute)
	}
	poll(t, w)
	if lines := logs.Lines(msg); len(lines) != 0 {
		t.Fatalf("swing lines before the swing: %q", lines)
	}
	e.clk.Advance(2 * time.Minute)
	poll(t, w)
	tg := target(t, w.State(), f0, period)
	lines := logs.Lines(msg)
	if len(lines) == 0 || len(lines) != len(tg.Swings) || !tg.AnomalousSwing() {
		t.Fatalf("%d swing lines for %d swings (anomalous %v): %q", len(lines), len(tg.Swings), tg.AnomalousSwing(), lines)
	}
	for _, line := range lines {
		for _, want := range []string{"level=warn", "forecast=" + f0, "period=" + period, "field=", "previous=", "latest=", "ratio=0.5 "} {
			if !strings.Contains(line, want) {
				t.Errorf("swing line %q lacks %q", line, want)
			}
		}
	}
}
