package dashboards

import (
	"bytes"
	"encoding/json"
	"io"
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
)

const jsonDir = "grafana"

// TestCommittedJSONIsGenerated fails when grafana/*.json differs from what
// the builders produce: run `go generate ./dashboards`.
func TestCommittedJSONIsGenerated(t *testing.T) {
	want, err := Files()
	if err != nil {
		t.Fatal(err)
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

func decodeStrict(t *testing.T, path string) Dashboard {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var d Dashboard
	if err := dec.Decode(&d); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		t.Fatalf("%s: data after the dashboard object", path)
	}
	return d
}

var (
	variableUse = regexp.MustCompile(`\$\{?([a-zA-Z_][a-zA-Z0-9_]*)\}?`)
	// A dashboard variable must only appear as a regex matcher value, which
	// is what makes "All" (.*) and multi-value selections valid.
	regexUse = regexp.MustCompile(`=~"\$\{?[a-zA-Z_][a-zA-Z0-9_]*\}?"`)
)

// TestDashboardsAreValid decodes every committed file strictly and checks
// what Grafana relies on: uids, schema version, the ${datasource}
// variable, unique panel ids, non-overlapping grid positions, queries.
func TestDashboardsAreValid(t *testing.T) {
	paths, _ := filepath.Glob(filepath.Join(jsonDir, "*.json"))
	if len(paths) != 5 {
		t.Fatalf("found %d dashboards in %s, want 5", len(paths), jsonDir)
	}
	uids := map[string]string{}
	for _, path := range paths {
		d := decodeStrict(t, path)
		if d.UID == "" || d.Title == "" {
			t.Errorf("%s: uid %q and title %q must be set", path, d.UID, d.Title)
		}
		if prev, dup := uids[d.UID]; dup {
			t.Errorf("%s: uid %q already used by %s", path, d.UID, prev)
		}
		uids[d.UID] = path
		if d.SchemaVersion < 39 || d.SchemaVersion > 41 {
			t.Errorf("%s: schemaVersion %d, want 39-41 (Grafana 11/12)", path, d.SchemaVersion)
		}
		vars := map[string]Variable{}
		for _, v := range d.Templating.List {
			vars[v.Name] = v
		}
		if v, ok := vars["datasource"]; !ok || v.Type != "datasource" || v.Query != "prometheus" {
			t.Errorf("%s: no datasource variable of type prometheus", path)
		}
		for _, v := range d.Templating.List {
			if v.Type == "query" && (v.Datasource == nil || v.Datasource.UID != "${datasource}") {
				t.Errorf("%s: variable %s does not use ${datasource}", path, v.Name)
			}
		}

		ids := map[int]bool{}
		occupied := map[[2]int]int{}
		for _, p := range d.Panels {
			if ids[p.ID] {
				t.Errorf("%s: panel id %d used twice", path, p.ID)
			}
			ids[p.ID] = true
			g := p.GridPos
			if g.W <= 0 || g.H <= 0 || g.X < 0 || g.X+g.W > 24 {
				t.Errorf("%s: panel %q has grid position %+v outside the 24-column grid", path, p.Title, g)
			}
			for x := g.X; x < g.X+g.W; x++ {
				for y := g.Y; y < g.Y+g.H; y++ {
					if other, ok := occupied[[2]int{x, y}]; ok {
						t.Errorf("%s: panel %d overlaps panel %d at (%d,%d)", path, p.ID, other, x, y)
					}
					occupied[[2]int{x, y}] = p.ID
				}
			}
			if p.Type == "row" {
				continue
			}
			if p.Datasource == nil || p.Datasource.UID != "${datasource}" || p.Datasource.Type != "prometheus" {
				t.Errorf("%s: panel %q does not use the ${datasource} variable", path, p.Title)
			}
			if len(p.Targets) == 0 {
				t.Errorf("%s: panel %q has no queries", path, p.Title)
			}
			refs := map[string]bool{}
			for _, tg := range p.Targets {
				if refs[tg.RefID] || tg.RefID == "" {
					t.Errorf("%s: panel %q: refId %q empty or repeated", path, p.Title, tg.RefID)
				}
				refs[tg.RefID] = true
				if tg.Datasource.UID != "${datasource}" || strings.TrimSpace(tg.Expr) == "" {
					t.Errorf("%s: panel %q: query %s has no expr or a fixed datasource", path, p.Title, tg.RefID)
				}
				checkVariables(t, path, p.Title, tg.Expr, vars)
			}
		}
	}
}

func checkVariables(t *testing.T, path, panel, expr string, vars map[string]Variable) {
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
			"clari_export_last_success_timestamp_seconds", "forecast:clari_export_completion:ratio_rate1h"},
		"clari-forecast":  {"clari_forecast_value", "clari_forecast_swing_ratio", "clari_forecast_swing_anomalous"},
		"clari-api":       {"clari_api_requests_total", "clari_api_request_duration_seconds_bucket", `code="429"`, "clari_api_retries_total", "clari_api_circuit_breaker_state"},
		"clari-warehouse": {"clari_reconciliation_mismatch_ratio", "clari_reconciliation_expected_rows", "clari_warehouse_duplicate_keys", "clari_warehouse_periods_beyond_retention"},
		"clari-readiness": {"clari_readiness_check"},
	}
	exprs := map[string]string{}
	for _, q := range PanelQueries() {
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

func TestRecordingRulesExist(t *testing.T) {
	rf, err := alerts.Load()
	if err != nil {
		t.Fatal(err)
	}
	var defined []string
	for _, r := range rf.RecordingRules() {
		defined = append(defined, r.Record)
	}
	used := RecordingRules()
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
	for _, q := range Queries() {
		if strings.Contains(q, "$") {
			t.Errorf("Queries() returned %q with an unexpanded variable", q)
		}
	}
}

func TestMetricNames(t *testing.T) {
	names := MetricNames()
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

// requireBinary returns the path of an outside tool. It skips the test when
// the tool is missing, except in CI (CI=true), where a missing tool fails.
func requireBinary(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s not found in PATH; CI must install it (Debian package prometheus)", name)
		}
		t.Skipf("%s not found in PATH; install Prometheus (Debian package prometheus) to run this test", name)
	}
	return p
}

// startPrometheus runs a real Prometheus on a free loopback port with an
// empty TSDB and returns its base URL.
func startPrometheus(t *testing.T) string {
	t.Helper()
	bin := requireBinary(t, "prometheus")
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
	queries := Queries()
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
