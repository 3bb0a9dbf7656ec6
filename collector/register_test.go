package collector

import (
	"sort"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/prometheus/common/expfmt"

	"github.com/clari-exporter/clari_exporter/clari"
	"github.com/clari-exporter/clari_exporter/fiscal/calendar"
	"github.com/clari-exporter/clari_exporter/runner"
)

// contractMetrics are the names METRICS.md promises (the contract with
// alerts/, dashboards/ and the readiness audit).
var contractMetrics = []string{
	"clari_up", "clari_api_probe_duration_seconds", "clari_api_requests_total",
	"clari_api_request_duration_seconds", "clari_api_retries_total", "clari_api_circuit_breaker_state",
	"clari_export_quota_available", "clari_export_quota_limit", "clari_api_key_rotation_timestamp_seconds",
	"clari_exporter_build_info", "clari_exporter_config_last_reload_successful", "clari_exporter_leader",
	"clari_export_runs_total", "clari_export_failures_total", "clari_export_requeues_total",
	"clari_export_skipped_total", "clari_export_last_run_timestamp_seconds",
	"clari_export_last_success_timestamp_seconds", "clari_export_last_run_success",
	"clari_export_duration_seconds", "clari_export_last_duration_seconds", "clari_export_rows",
	"clari_export_duplicate_rows", "clari_export_period_coverage_missing",
	"clari_forecast_value", "clari_forecast_swing_ratio", "clari_forecast_swing_anomalous",
	"clari_reconciliation_expected_rows", "clari_reconciliation_actual_rows",
	"clari_reconciliation_mismatch_ratio", "clari_reconciliation_last_run_timestamp_seconds",
	"clari_warehouse_duplicate_keys", "clari_warehouse_surplus_rows",
	"clari_warehouse_periods_beyond_retention", "clari_warehouse_last_load_timestamp_seconds",
	"clari_readiness_check",
}

// fullSet is every collector with the producers' own label-value lists,
// as internal/app builds it (docs/metrics.md documents these).
func fullSet() *Set {
	s := NewSet(Options{
		API:   APIVocabulary{Endpoints: clari.Endpoints, RetryReasons: clari.RetryReasons, BreakerStates: clari.BreakerStates},
		Probe: probeOf(sampleProbe),
		Exporter: ExporterOptions{Reload: fakeReload{ok: true, at: t0}, KeyRotationTime: func() float64 { return 1790000000 },
			KeyRotationDue: func() float64 { return 1797776000 }},
		Export:          testSource(exportState),
		ExportOptions:   ExportOptions{ExposeForecastValues: true, FailureReasons: runner.FailureReasons, SkipReasons: runner.SkipReasons},
		Warehouse:       warehouseOf(warehouseState()),
		Readiness:       readinessChecks,
		Pipeline:        testPipelineSource(true),
		PipelineOptions: testPipelineOptions,
		Calendar:        func() calendar.State { return learnedFebruary },
	})
	s.Export.SetForecasts([]string{"net_arr"})
	return s
}

func TestSetExposesTheWholeMetricContract(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	if err := fullSet().Register(reg); err != nil {
		t.Fatal(err)
	}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatalf("gather: %v", err)
	}
	got := map[string]bool{}
	for _, mf := range mfs {
		got[mf.GetName()] = true
	}
	for _, name := range contractMetrics {
		if !got[name] {
			t.Errorf("METRICS.md metric %s is not exposed", name)
		}
	}
	problems, err := testutil.GatherAndLint(reg)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("lint: %s: %s", p.Metric, p.Text)
	}
}

func TestSetRegisterTwiceNamesTheCollector(t *testing.T) {
	reg := prometheus.NewRegistry()
	s := NewSet(Options{})
	if err := s.Register(reg); err != nil {
		t.Fatal(err)
	}
	err := s.Register(reg)
	if err == nil || !strings.Contains(err.Error(), "api collector") {
		t.Errorf("second Register: err = %v, want one naming the api collector", err)
	}
}

// Through the handler a scrape serves everything, the probe included.
func TestHandlerServesTheSet(t *testing.T) {
	reg := prometheus.NewRegistry()
	s := fullSet()
	if err := s.Register(reg); err != nil {
		t.Fatal(err)
	}
	h, err := NewHandler(HandlerOptions{Gatherers: []prometheus.Gatherer{reg}})
	if err != nil {
		t.Fatal(err)
	}
	body := scrape(t, h, "10")
	for _, want := range []string{"\nclari_up 1\n", `clari_export_rows{forecast="net_arr",period="2026_Q4"} 1200`, `clari_readiness_check{check="api_key_secret_store",priority="P1"} 0`} {
		if !strings.Contains(body, want) {
			t.Errorf("scrape lacks %q", want)
		}
	}
}

// The fast path (Set.Gather) must expose exactly what the registry path
// (Set.Register) does.
func TestSetGatherMatchesRegistry(t *testing.T) {
	s := fullSet()
	reg := prometheus.NewPedanticRegistry()
	if err := s.Register(reg); err != nil {
		t.Fatal(err)
	}
	viaRegistry := gatherText(t, reg)
	viaSet := gatherText(t, s)
	if viaSet != viaRegistry {
		t.Errorf("Set.Gather differs from the registry:\n--- Set.Gather\n%s\n--- registry\n%s", viaSet, viaRegistry)
	}
	if !strings.Contains(viaSet, `clari_forecast_value{data_type="quota",field="commit",forecast="net_arr",period="2026_Q4"} 2e+06`) {
		t.Errorf("Set.Gather lacks the export families:\n%s", viaSet)
	}
}

func TestSetGatherReportsInvalidLabelValues(t *testing.T) {
	s := NewSet(Options{Export: testSource(func() testState {
		return testState{Targets: []testTarget{
			{Forecast: "ok", Period: "2026_Q1"},
			{Forecast: "ok", Period: "2026_Q2", Values: []testValue{{Field: "bad\xff", DataType: "forecast"}}},
		}}
	})})
	mfs, err := s.Gather()
	if err == nil || !strings.Contains(err.Error(), "not valid UTF-8") {
		t.Errorf("err = %v, want one about invalid UTF-8", err)
	}
	for _, mf := range mfs {
		if mf.GetName() == "clari_export_runs_total" && len(mf.Metric) != 1 {
			t.Errorf("clari_export_runs_total: %d series, want only the valid target's", len(mf.Metric))
		}
	}
}

func TestMergeGatherersRejectsDuplicateFamilies(t *testing.T) {
	reg := prometheus.NewRegistry()
	reg.MustRegister(NewReadinessCollector(readinessChecks))
	mfs, err := mergeGatherers{reg, reg}.Gather()
	if err == nil || !strings.Contains(err.Error(), "clari_readiness_check is gathered twice") {
		t.Errorf("err = %v, want one naming the duplicate family", err)
	}
	if len(mfs) != 1 {
		t.Errorf("families = %d, want the duplicate served once", len(mfs))
	}
}

// gatherText is g's exposition with its lines sorted, so two gatherers that
// order series differently compare equal.
func gatherText(t *testing.T, g prometheus.Gatherer) string {
	t.Helper()
	mfs, err := g.Gather()
	if err != nil {
		t.Fatalf("gather: %v", err)
	}
	var buf strings.Builder
	for _, mf := range mfs {
		if _, err := expfmt.MetricFamilyToText(&buf, mf); err != nil {
			t.Fatal(err)
		}
	}
	lines := strings.Split(buf.String(), "\n")
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}
