package dashboards

import (
	"bytes"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/cog/plugins"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/prometheus"

	"github.com/clari-exporter/clari_exporter/alerts"
	"github.com/clari-exporter/clari_exporter/internal/testtier"
)

const jsonDir = "grafana"

// TestCommittedJSONIsGenerated fails when grafana/*.json differs from what
// the builders produce: run `go generate ./dashboards`.
func TestCommittedJSONIsGenerated(t *testing.T) {
	want, err := Files()
	if err != nil {
		t.Fatal(err)
	}
	if len(want) == 0 {
		t.Fatal("the generator produced no dashboard")
	}
	onDisk, err := filepath.Glob(filepath.Join(jsonDir, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range onDisk {
		if _, ok := want[filepath.Base(path)]; !ok {
			t.Errorf("%s is not produced by the generator; delete it or add a builder", path)
		}
	}
	for name, data := range want {
		got, err := os.ReadFile(filepath.Join(jsonDir, name))
		if err != nil {
			t.Errorf("%v (run go generate ./dashboards)", err)
			continue
		}
		if !bytes.Equal(got, data) {
			t.Errorf("%s/%s differs from the generator's output; run go generate ./dashboards", jsonDir, name)
		}
	}
}

// decodeStrict decodes a committed file with the SDK's strict decoder:
// unknown fields, wrong types and missing required fields fail. Encoding
// the result again must give the same bytes, so nothing in the file is
// outside the SDK's model.
func decodeStrict(t *testing.T, path string) Dashboard {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	d, err := strictDashboard(data)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	again, err := Render(d)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(again, data) {
		t.Errorf("%s: re-encoding the strictly decoded dashboard changes it; the file holds something the SDK does not model", path)
	}
	return d
}

var registerPlugins sync.Once

// strictDashboard validates data with the SDK's strict decoder and returns
// it decoded by the SDK's ordinary decoder. v0.0.22's strict decoder reports
// every error but drops the panels, queries and options it decoded: on
// success their decoders return an empty cog.BuildErrors, a non-nil error
// value, which the level above takes for a failure.
func strictDashboard(data []byte) (Dashboard, error) {
	// Panels and queries decode into their plugin's types only once the
	// SDK's plugin variants are registered.
	registerPlugins.Do(plugins.RegisterDefaultPlugins)
	var strict Dashboard
	if err := strict.UnmarshalJSONStrict(data); err != nil {
		var errs cog.BuildErrors
		if !errors.As(err, &errs) || len(errs) > 0 {
			return strict, err
		}
	}
	var d Dashboard
	err := json.Unmarshal(data, &d)
	return d, err
}

// promQuery is a panel target as the Prometheus query it must be.
func promQuery(target any) (prometheus.Dataquery, bool) {
	switch q := target.(type) {
	case prometheus.Dataquery:
		return q, true
	case *prometheus.Dataquery:
		return *q, true
	}
	return prometheus.Dataquery{}, false
}

// TestStrictDecodingRejectsUnknownFields proves the strict decoding above
// can fail: an unknown field in a panel, in a query or at the top is refused.
func TestStrictDecodingRejectsUnknownFields(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(jsonDir, "clari-api.json"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := strictDashboard(data); err != nil {
		t.Fatalf("the committed file does not decode: %v", err)
	}
	for name, edit := range map[string][2]string{
		"top level": {`"uid": "clari-api"`, `"uid": "clari-api", "bogus": 1`},
		"panel":     {`"type": "stat",`, `"type": "stat", "bogus": 1,`},
		"query":     {`"editorMode": "code",`, `"editorMode": "code", "bogus": 1,`},
		"type":      {`"refresh": "1m"`, `"refresh": 60`},
	} {
		bad := strings.Replace(string(data), edit[0], edit[1], 1)
		if bad == string(data) {
			t.Fatalf("%s: %q not found in clari-api.json", name, edit[0])
		}
		if _, err := strictDashboard([]byte(bad)); err == nil {
			t.Errorf("%s: strict decoding accepted %q", name, edit[1])
		}
	}
}

var (
	variableUse = regexp.MustCompile(`\$\{?([a-zA-Z_][a-zA-Z0-9_]*)\}?`)
	// A dashboard variable must only appear as a regex matcher value, which
	// is what makes "All" (.*) and multi-value selections valid.
	regexUse = regexp.MustCompile(`=~"\$\{?[a-zA-Z_][a-zA-Z0-9_]*\}?"`)
)

// TestDashboardsAreValid decodes every committed file strictly and checks
// what Grafana relies on: uids, the ${datasource} variable, unique panel
// ids, non-overlapping grid positions, queries.
func TestDashboardsAreValid(t *testing.T) {
	paths, _ := filepath.Glob(filepath.Join(jsonDir, "*.json"))
	if len(paths) != len(builders) {
		t.Fatalf("found %d dashboards in %s, want %d", len(paths), jsonDir, len(builders))
	}
	uids := map[string]string{}
	for _, path := range paths {
		d := decodeStrict(t, path)
		uid, title := deref(d.Uid), deref(d.Title)
		if uid == "" || title == "" {
			t.Errorf("%s: uid %q and title %q must be set", path, uid, title)
		}
		if prev, dup := uids[uid]; dup {
			t.Errorf("%s: uid %q already used by %s", path, uid, prev)
		}
		uids[uid] = path
		if want := dashboard.NewDashboard().SchemaVersion; d.SchemaVersion != want {
			t.Errorf("%s: schemaVersion %d, want the SDK's %d", path, d.SchemaVersion, want)
		}
		vars := map[string]dashboard.VariableModel{}
		for _, v := range d.Templating.List {
			vars[v.Name] = v
		}
		if v, ok := vars["datasource"]; !ok || v.Type != "datasource" || v.Query == nil || deref(v.Query.String) != "prometheus" {
			t.Errorf("%s: no datasource variable of type prometheus", path)
		}
		for _, v := range d.Templating.List {
			if v.Type == "query" && (v.Datasource == nil || deref(v.Datasource.Uid) != "${datasource}") {
				t.Errorf("%s: variable %s does not use ${datasource}", path, v.Name)
			}
		}

		ids := map[uint32]bool{}
		occupied := map[[2]uint32]uint32{}
		for _, pr := range d.Panels {
			var (
				id     uint32
				g      *dashboard.GridPos
				ptitle string
			)
			switch {
			case pr.RowPanel != nil:
				id, g, ptitle = pr.RowPanel.Id, pr.RowPanel.GridPos, deref(pr.RowPanel.Title)
			case pr.Panel != nil && pr.Panel.Id != nil:
				id, g, ptitle = *pr.Panel.Id, pr.Panel.GridPos, deref(pr.Panel.Title)
			default:
				t.Errorf("%s: a panel without an id", path)
				continue
			}
			if ids[id] {
				t.Errorf("%s: panel id %d used twice", path, id)
			}
			ids[id] = true
			if g == nil || g.W == 0 || g.H == 0 || g.X+g.W > 24 {
				t.Errorf("%s: panel %q has grid position %+v outside the 24-column grid", path, ptitle, g)
				continue
			}
			for x := g.X; x < g.X+g.W; x++ {
				for y := g.Y; y < g.Y+g.H; y++ {
					if other, ok := occupied[[2]uint32{x, y}]; ok {
						t.Errorf("%s: panel %d overlaps panel %d at (%d,%d)", path, id, other, x, y)
					}
					occupied[[2]uint32{x, y}] = id
				}
			}
			if pr.Panel == nil {
				continue
			}
			p := pr.Panel
			if p.Datasource == nil || deref(p.Datasource.Uid) != "${datasource}" || deref(p.Datasource.Type) != "prometheus" {
				t.Errorf("%s: panel %q does not use the ${datasource} variable", path, ptitle)
			}
			if len(p.Targets) == 0 {
				t.Errorf("%s: panel %q has no queries", path, ptitle)
			}
			refs := map[string]bool{}
			for _, tg := range p.Targets {
				q, ok := promQuery(tg)
				if !ok {
					t.Errorf("%s: panel %q: query %T is not a Prometheus query", path, ptitle, tg)
					continue
				}
				ref := deref(q.RefId)
				if refs[ref] || ref == "" {
					t.Errorf("%s: panel %q: refId %q empty or repeated", path, ptitle, ref)
				}
				refs[ref] = true
				if q.Datasource == nil || deref(q.Datasource.Uid) != "${datasource}" || strings.TrimSpace(q.Expr) == "" {
					t.Errorf("%s: panel %q: query %s has no expr or a fixed datasource", path, ptitle, ref)
				}
				checkVariables(t, path, ptitle, q.Expr, vars)
			}
		}
	}
}

func checkVariables(t *testing.T, path, panel, expr string, vars map[string]dashboard.VariableModel) {
	t.Helper()
	for _, m := range variableUse.FindAllStringSubmatch(expr, -1) {
		name := m[1]
		if _, builtin := gridVars[name]; builtin {
			continue
		}
		if _, ok := vars[name]; !ok {
			t.Errorf("%s: panel %q uses $%s, which the dashboard does not define", path, panel, name)
		}
	}
	stripped := regexUse.ReplaceAllString(expr, "")
	for _, m := range variableUse.FindAllStringSubmatch(stripped, -1) {
		if _, builtin := gridVars[m[1]]; !builtin {
			t.Errorf("%s: panel %q uses $%s outside a =~\"...\" matcher", path, panel, m[1])
		}
	}
}

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
	for _, q := range must(t, PanelQueries) {
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
	for _, n := range must(t, MetricNames) {
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
	used := must(t, RecordingRules)
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
	got := Expand(`sum(rate(x{job=~"$job",f=~"${forecast}"}[$__rate_interval])) / sum(increase(x[$__range]))`)
	want := `sum(rate(x{job=~".*",f=~".*"}[5m])) / sum(increase(x[1h]))`
	if got != want {
		t.Errorf("Expand = %q, want %q", got, want)
	}
	for _, q := range must(t, Queries) {
		if strings.Contains(q, "$") {
			t.Errorf("Queries() returned %q with an unexpanded variable", q)
		}
	}
}

func TestMetricNames(t *testing.T) {
	names := must(t, MetricNames)
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
	queries := must(t, Queries)
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
