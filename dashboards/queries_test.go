package dashboards_test

// The dashboards' queries, checked against the metric contract, the
// recording rules and a real Prometheus (package dashquery collects them).

import (
	"bytes"
	"encoding/json"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/clari-exporter/clari_exporter/alerts"
	"github.com/clari-exporter/clari_exporter/internal/dashquery"
	"github.com/clari-exporter/clari_exporter/internal/testtier"
)

// TestDashboardsCoverTheirTopics pins what each dashboard must show (issue
// 4 and checklist items 19, 21, 22, 23).
func TestDashboardsCoverTheirTopics(t *testing.T) {
	want := map[string][]string{
		"clari-pipeline": {"clari_export_runs_total", "clari_export_failures_total", "clari_export_duration_seconds",
			"clari_export_requeues_total", "clari_export_skipped_total", "clari_export_quota_available",
			"clari_export_last_success_timestamp_seconds", "forecast:clari_export_completion:ratio_rate1h",
			// pipeline watch
			`clari_pipeline_jobs_total{job=~"$job",instance=~"$instance",status="done"}`, "clari_pipeline_job_duration_seconds_bucket",
			"clari_pipeline_jobs_stuck", "clari_pipeline_jobs_undownloaded", "clari_org_exports_submitted",
			// high availability
			"max by (instance) (clari_exporter_leader{", "clari_exporter_leader_transitions_total",
			"clari_exporter_store_last_sync_timestamp_seconds"},
		"clari-forecast":  {"clari_forecast_value", "clari_forecast_swing_ratio", "clari_forecast_swing_anomalous"},
		"clari-api":       {"clari_api_requests_total", "clari_api_request_duration_seconds_bucket", `code="429"`, "clari_api_retries_total", "clari_api_circuit_breaker_state"},
		"clari-warehouse": {"clari_reconciliation_mismatch_ratio", "clari_reconciliation_expected_rows", "clari_warehouse_duplicate_keys", "clari_warehouse_periods_beyond_retention"},
		"clari-readiness": {"clari_readiness_check"},
	}
	exprs := map[string]string{}
	for _, q := range must(t, dashquery.PanelQueries) {
		exprs[q.Dashboard] += q.Expr + "\n"
	}
	for uid, needles := range want {
		for _, n := range needles {
			if !strings.Contains(exprs[uid], n) {
				t.Errorf("dashboard %s has no panel query using %s", uid, n)
			}
		}
	}
}

// awaitingProducer are the metrics dashboard panels read before the feature
// producing them has landed (issue 11: pipeline watch, issue 12: HA). The
// end-to-end tests check their queries' validity but cannot expect data.
// A name leaves this list when docs/metrics.md documents it (the test below
// says so); a name in neither fails, so the list cannot hide a typo.
var awaitingProducer = []string{
	"clari_exporter_leader_transitions_total",
	"clari_exporter_store_last_sync_timestamp_seconds",
}

// TestDashboardMetricsAreDocumented: every metric a panel reads is in the
// exporter's contract (docs/metrics.md), or awaits its producer.
func TestDashboardMetricsAreDocumented(t *testing.T) {
	doc, err := os.ReadFile("../docs/metrics.md")
	if err != nil {
		t.Fatal(err)
	}
	documented := map[string]bool{}
	for _, m := range regexp.MustCompile("(?m)^\\| `(clari_[a-z0-9_]+)`").FindAllStringSubmatch(string(doc), -1) {
		documented[m[1]] = true
	}
	if len(documented) < 30 {
		t.Fatalf("found %d metrics in docs/metrics.md, expected the whole contract", len(documented))
	}
	// A producer landing documents its metrics; the stale entry is only
	// logged so that landing does not turn this package red.
	for _, n := range awaitingProducer {
		if documented[n] {
			t.Logf("%s is documented now: remove it from awaitingProducer", n)
		}
	}
	for _, n := range must(t, dashquery.MetricNames) {
		if !documented[n] && !slices.Contains(awaitingProducer, n) {
			t.Errorf("a dashboard reads %s, which docs/metrics.md does not document (a typo, or add it to awaitingProducer)", n)
		}
	}
}

func TestRecordingRulesExist(t *testing.T) {
	rf, err := alerts.Load()
	if err != nil {
		t.Fatal(err)
	}
	var defined []string
	for _, r := range rf.RecordingRules() {
		defined = append(defined, r.Record)
	}
	used := must(t, dashquery.RecordingRules)
	if len(used) == 0 {
		t.Fatal("the dashboards use no recording rule; RecordingRules() is broken")
	}
	for _, n := range used {
		if !slices.Contains(defined, n) {
			t.Errorf("dashboards read recording rule %s, which alerts/clari.rules.yml does not define", n)
		}
	}
}

func TestExpand(t *testing.T) {
	got := dashquery.Expand(`sum(rate(x{job=~"$job",f=~"${forecast}"}[$__rate_interval])) / sum(increase(x[$__range]))`)
	want := `sum(rate(x{job=~".*",f=~".*"}[5m])) / sum(increase(x[1h]))`
	if got != want {
		t.Errorf("Expand = %q, want %q", got, want)
	}
	for _, q := range must(t, dashquery.Queries) {
		if strings.Contains(q, "$") {
			t.Errorf("Queries() returned %q with an unexpanded variable", q)
		}
	}
}

func TestMetricNames(t *testing.T) {
	names := must(t, dashquery.MetricNames)
	for _, must := range []string{"clari_export_runs_total", "clari_api_request_duration_seconds", "clari_readiness_check", "clari_exporter_config_last_reload_success_timestamp_seconds"} {
		if !slices.Contains(names, must) {
			t.Errorf("MetricNames() lacks %s: %v", must, names)
		}
	}
	for _, n := range names {
		if strings.Contains(n, ":") || strings.HasSuffix(n, "_bucket") {
			t.Errorf("MetricNames() returned %q; want exposed family names only", n)
		}
	}
}

// startPrometheus runs a real Prometheus on a free loopback port with an
// empty TSDB and returns its base URL.
func startPrometheus(t *testing.T) string {
	t.Helper()
	bin := testtier.Tool(t, "prometheus", "prometheus")
	dir := t.TempDir()
	cfg := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(cfg, []byte("global:\n  scrape_interval: 1m\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()

	var logs bytes.Buffer
	cmd := exec.Command(bin, "--config.file="+cfg, "--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+addr, "--log.level=warn")
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	base := "http://" + addr
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get(base + "/-/ready")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return base
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("prometheus on %s not ready within 20s:\n%s", addr, logs.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestQueriesParseInPrometheus sends every panel and variable query (with
// variables expanded) to a real Prometheus; each must evaluate without a
// parse or type error.
func TestQueriesParseInPrometheus(t *testing.T) {
	base := startPrometheus(t)
	queries := must(t, dashquery.Queries)
	if len(queries) < 40 {
		t.Fatalf("only %d queries collected; PanelQueries() is broken", len(queries))
	}
	client := &http.Client{Timeout: 10 * time.Second}
	for _, q := range queries {
		resp, err := client.PostForm(base+"/api/v1/query", url.Values{"query": {q}})
		if err != nil {
			t.Fatal(err)
		}
		var body struct {
			Status string `json:"status"`
			Error  string `json:"error"`
		}
		err = json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		if err != nil || body.Status != "success" {
			t.Errorf("query %s: status %q, error %q (%v)", q, body.Status, body.Error, err)
		}
	}
	// The check must be able to fail: a broken query is rejected.
	resp, err := client.PostForm(base+"/api/v1/query", url.Values{"query": {`sum(rate(clari_up[5m])`}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode == http.StatusOK {
		t.Error("prometheus accepted a malformed query; the check above proves nothing")
	}
}

// must calls a dashboards function and fails the test on its error.
func must[T any](t *testing.T, f func() (T, error)) T {
	t.Helper()
	v, err := f()
	if err != nil {
		t.Fatal(err)
	}
	return v
}
