package main

// End-to-end acceptance of the alerting pipeline (issue 4): the simulator,
// the exporter in-process, the Debian Prometheus with the shipped rule file,
// the Debian Alertmanager with the shipped config (only its timers and
// receiver URLs rewritten) and an httptest webhook standing in for the
// pager. Run with: go test -race -count=1 -run E2E ./cmd/clari_exporter/
// (TestDemo/ScrapeHasEveryRuleAndDashboardMetric checks the demo's scrape
// against the metrics the rules and dashboards read).

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
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

	"gopkg.in/yaml.v3"

	"github.com/clari-exporter/clari_exporter/alerts"
	"github.com/clari-exporter/clari_exporter/clari"
	"github.com/clari-exporter/clari_exporter/clari/clarisim"
	"github.com/clari-exporter/clari_exporter/internal/dashquery"
	"github.com/clari-exporter/clari_exporter/internal/testlog"
	"github.com/clari-exporter/clari_exporter/internal/testtier"
)

// Time to page: from an export failure until the pager webhook holds the
// firing critical alert. The product's acceptance figure is 15 s (issue 4);
// every run logs its time against it (docs/performance.md reports them).
// The tests assert 10× what they expect, so a busy CI machine under -race
// passes and a page that never comes, or comes a minute late, fails: they
// expect 4 s (scrape 1 s + evaluation 1 s + group_wait 1 s and the wait for
// the failing run; measured 2.8–3.8 s).
const (
	acceptedTimeToPage = 15 * time.Second
	expectedTimeToPage = 4 * time.Second
	maxTimeToPage      = 10 * expectedTimeToPage
)

// demoScrapeHasEveryRuleAndDashboardMetric: every metric family the
// shipped rules and dashboards read (taken from the files themselves, not
// from a list kept by hand) has at least one sample in a real scrape of the
// exporter running the accelerated demo scenario. Dashboard panels may read
// metrics whose producer has not landed yet (not in docs/metrics.md; the
// dashboards tests keep that set explicit): only their queries' validity is
// checked, in TestE2EAlertingPipeline.
func demoScrapeHasEveryRuleAndDashboardMetric(t *testing.T, base string, logs func() string) {
	ruleNames, err := alerts.MetricNames()
	if err != nil {
		t.Fatal(err)
	}
	dashNames, err := dashquery.MetricNames()
	if err != nil {
		t.Fatal(err)
	}
	documented := documentedMetrics(t)
	want := slices.Clone(ruleNames)
	for _, n := range dashNames {
		if documented[n] {
			want = append(want, n)
		}
	}
	slices.Sort(want)
	want = slices.Compact(want)
	if len(want) < 10 {
		t.Fatalf("rules and dashboards read only %d metric families (%v); the name extraction is broken", len(want), want)
	}
	// The rules already cover metrics of features still being built (the
	// pipeline watch, HA, per-target max age…): a rule metric of the
	// contract (METRICS.md) that the exporter does not document yet in
	// docs/metrics.md — which collector's TestDocsListEveryMetric keeps in
	// step with the code — has no producer yet and is not required here. A
	// name outside the contract is a typo and stays required; once the
	// producer lands and documents it, it is required again.
	want = slices.DeleteFunc(want, func(name string) bool {
		pending := slices.Contains(ruleNames, name) && alerts.InContract(name) && !documented[name]
		if pending {
			t.Logf("%s: read by the rules, in the contract, not produced yet (not in docs/metrics.md); not required", name)
		}
		return pending
	})

	start := time.Now()
	var missing []string
	lastMissing := -1
	deadline := start.Add(300 * time.Second) // 98 s measured in a loaded CI run
	for {
		mfs, _ := scrape(t, base)
		missing = missing[:0]
		for _, name := range want {
			if len(mfs[name].GetMetric()) == 0 {
				missing = append(missing, name)
			}
		}
		if len(missing) != lastMissing {
			t.Logf("%s: no sample yet of %v", time.Since(start).Round(100*time.Millisecond), missing)
			lastMissing = len(missing)
		}
		if len(missing) == 0 {
			t.Logf("all %d metric families have samples %s after the demo started", len(want), time.Since(start).Round(100*time.Millisecond))
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 300 s of the demo, the scrape still has no sample of %v, which the shipped rules or dashboards read\nlogs:\n%s",
				missing, tail(logs(), 20))
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// TestE2EAlertingPipeline: nothing pages while exports succeed; an injected
// export failure pages (critical, with summary, description and runbook_url)
// within maxTimeToPage (time to page logged against the 15 s figure) and resolves after the next successful export; every
// dashboard query succeeds against the same Prometheus and the core panels
// have data.
func TestE2EAlertingPipeline(t *testing.T) {
	t.Parallel()
	tools := requireAlertingTools(t)

	// The simulator and the exporter, exporting one target every 2 s.
	const exportEvery = 2 * time.Second
	sim := clarisim.New(clarisim.Options{APIKey: testAPIKey, Seed: 11,
		Tenant:   clarisim.TenantSpec{Users: 20, Fields: 2},
		Scenario: clarisim.Scenario{JobDuration: 200 * time.Millisecond}})
	simSrv := httptest.NewServer(sim)
	t.Cleanup(func() { simSrv.Close(); sim.Close() })
	dir := t.TempDir()
	// 30 days / 2 s = 1,296,000 runs of one target: the budget must allow
	// the accelerated schedule (--config.check arithmetic).
	cfgPath := writeConfig(t, fmt.Sprintf(`
clari:
  base_url: %s
  api_key_file: %%KEYFILE%%
  poll_interval: 100ms
  probe_interval: 1s
forecasts:
  - id: net_arr
    types_to_export: [forecast, quota]
    historical_quarters: 0
schedule:
  current_interval: %s
  monthly_budget: 1296000
storage:
  path: %s
`, simSrv.URL, exportEvery, filepath.Join(dir, "state.db")))
	exporterBase, exporterLogs := serveConfigFile(t, cfgPath)
	al := tools.start(t, dir, exporterBase, exporterLogs)
	hook, prom, diag := al.hook, al.prom, al.diag

	// The pipeline works (the watchdog arrives on its own receiver) and an
	// export has succeeded and been scraped and evaluated.
	waitOrDump(t, 60*time.Second, "the watchdog notification and a scraped successful export", diag, func() bool {
		return hook.firing("/watchdog", "ClariWatchdog") != nil &&
			len(prom.query(`clari_export_last_run_success{forecast="net_arr"} == 1`)) > 0
	})
	quietUntil := time.Now().Add(5 * time.Second)
	for time.Now().Before(quietUntil) {
		if pages := hook.critical(); len(pages) > 0 {
			t.Fatalf("paged before any failure was injected: %v%s", pages, diag())
		}
		time.Sleep(100 * time.Millisecond)
	}

	// Inject: the next net_arr jobs end FAILED, for longer than
	// maxTimeToPage. On the accelerated schedule one failed run is exposed
	// only until the next run succeeds, 1.8–3.1 s measured under -race on
	// the loaded machine: no longer than scrape (1 s) + evaluation (1 s) +
	// group_wait (1 s), so the alert could resolve before Alertmanager's
	// first notification and no page would come at all (in production a
	// failure stays exposed for the hours between two runs).
	failedRuns := int(maxTimeToPage/exportEvery) + 1
	injected := time.Now()
	for range failedRuns {
		if err := sim.NextJobEnds("net_arr", clari.StatusFailed); err != nil {
			t.Fatal(err)
		}
	}
	page := awaitPage(t, hook, "ClariExportFailed", injected, "failure injected → firing ClariExportFailed delivered to the pager webhook", diag)
	a := page.alert
	if a.Labels["severity"] != "critical" || a.Labels["forecast"] != "net_arr" || a.Labels["period"] == "" || a.Labels["job"] == "" {
		t.Errorf("page labels %v, want severity=critical, forecast=net_arr, a period and the scrape job", a.Labels)
	}
	if a.Annotations["summary"] == "" || a.Annotations["runbook_url"] == "" {
		t.Errorf("page annotations %v lack summary or runbook_url", a.Annotations)
	}
	if d := a.Annotations["description"]; !strings.Contains(d, "net_arr") || !strings.Contains(d, "reason in the last hour: failed") {
		t.Errorf("page description %q does not name the forecast and the failure reason", d)
	}
	if !strings.HasSuffix(a.Annotations["runbook_url"], "docs/runbooks.md#clariexportfailed") {
		t.Errorf("page runbook_url %q does not point at the ClariExportFailed runbook", a.Annotations["runbook_url"])
	}

	// Recovery: the export after the failed ones succeeds and the page
	// resolves.
	waitOrDump(t, time.Duration(failedRuns)*exportEvery+60*time.Second, "the ClariExportFailed page to resolve", diag, func() bool {
		return hook.resolved("/pager", "ClariExportFailed", a.Labels["period"])
	})
	t.Logf("resolved %s after the injection", time.Since(injected).Round(10*time.Millisecond))
	for _, n := range hook.critical() {
		if n.alert.Labels["alertname"] != "ClariExportFailed" || n.path != "/pager" {
			t.Errorf("unexpected critical notification %s on %s: %v", n.alert.Labels["alertname"], n.path, n.alert.Labels)
		}
	}
	if w := hook.firing("/pager", "ClariWatchdog"); w != nil {
		t.Errorf("ClariWatchdog reached the pager: %v", w.alert.Labels)
	}

	// Dashboards: every query is valid PromQL against this Prometheus, and
	// the core panels show data once the recording rules have run.
	queries, err := dashquery.Queries()
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range queries {
		prom.query(q) // fails the test unless status is success
	}
	core := []struct{ dashboard, panel string }{
		{"clari-pipeline", "Completion rate per forecast (1h)"},
		{"clari-pipeline", "Failures by reason (1h)"},
		{"clari-pipeline", "Export runs (1h)"},
		{"clari-pipeline", "Monthly quota left"},
		{"clari-pipeline", "Last run per target"},
		{"clari-api", "Request rate by endpoint and code"},
	}
	for _, c := range core {
		exprs := panelExprs(t, c.dashboard, c.panel)
		if len(exprs) == 0 {
			t.Errorf("dashboard %s has no panel %q", c.dashboard, c.panel)
			continue
		}
		for _, e := range exprs {
			waitOrDump(t, 60*time.Second, fmt.Sprintf("data in panel %q of %s: %s", c.panel, c.dashboard, e), diag, func() bool {
				return len(prom.query(e)) > 0
			})
		}
	}
}

// alertingTools are the outside binaries of the alerting pipeline.
type alertingTools struct{ prometheus, alertmanager string }

// requireAlertingTools finds Prometheus and Alertmanager: the test skips
// when they are absent, and fails in CI.
func requireAlertingTools(t *testing.T) alertingTools {
	t.Helper()
	return alertingTools{
		prometheus:   testtier.Tool(t, "prometheus", "prometheus"),
		alertmanager: testtier.Tool(t, "prometheus-alertmanager", "prometheus-alertmanager"),
	}
}

// alerting is the real Prometheus, with the shipped rules, scraping one
// exporter, and the real Alertmanager, with the shipped routes, notifying
// a webhook that stands in for the pager. Both run until the test ends.
type alerting struct {
	hook *webhookRecorder
	prom promClient
	// diag is every component's state and recent logs, for a failure.
	diag func() string
}

// start runs the pipeline in dir for the exporter serving on exporterBase;
// exporterLogs goes into diag.
func (tools alertingTools) start(t *testing.T, dir, exporterBase string, exporterLogs func() string) *alerting {
	t.Helper()
	// The pager: a webhook recording every Alertmanager notification.
	hook := &webhookRecorder{}
	hookSrv := httptest.NewServer(hook)
	t.Cleanup(hookSrv.Close)

	amAddr, promAddr := freeAddr(t), freeAddr(t)
	amCfg := filepath.Join(dir, "alertmanager.yml")
	writeFile(t, amCfg, rewriteAlertmanagerConfig(t, filepath.Join("..", "..", "deploy", "alertmanager.yml"), hookSrv.URL))
	amLogs := startTool(t, tools.alertmanager, "http://"+amAddr,
		"--config.file="+amCfg, "--storage.path="+filepath.Join(dir, "alertmanager"),
		"--web.listen-address="+amAddr, "--cluster.listen-address=", "--log.level=warn")

	promCfg := filepath.Join(dir, "prometheus.yml")
	writeFile(t, promCfg, prometheusConfig(t, strings.TrimPrefix(exporterBase, "http://"), amAddr))
	promLogs := startTool(t, tools.prometheus, "http://"+promAddr,
		"--config.file="+promCfg, "--storage.tsdb.path="+filepath.Join(dir, "prometheus"),
		"--web.listen-address="+promAddr, "--log.level=warn",
		// The watchdog fires at the first evaluation, which can precede the
		// discovery of the Alertmanager: that send is dropped and retried
		// only after the resend delay (default 1m). A newly firing alert is
		// sent at once either way, so this does not shorten time to page.
		"--rules.alert.resend-delay=2s")
	return &alerting{
		hook: hook,
		prom: promClient{t: t, base: "http://" + promAddr},
		diag: func() string {
			return fmt.Sprintf("\nwebhook:\n%s\nprometheus alerts: %s\nprometheus targets: %s\nalertmanager alerts: %s\nexporter logs:\n%s\nprometheus logs:\n%s\nalertmanager logs:\n%s",
				hook.dump(), fetchBody("http://"+promAddr+"/api/v1/alerts"), fetchBody("http://"+promAddr+"/api/v1/targets?state=active"),
				fetchBody("http://"+amAddr+"/api/v2/alerts"), tail(exporterLogs(), 15), tail(promLogs(), 15), tail(amLogs(), 15))
		},
	}
}

// awaitPage waits for alertname to reach the pager webhook, logs the time to
// page from from (which fromWhat names) against the acceptance figure and
// checks it is within maxTimeToPage.
func awaitPage(t *testing.T, hook *webhookRecorder, alertname string, from time.Time, fromWhat string, diag func() string) *alertNote {
	t.Helper()
	var page *alertNote
	waitOrDump(t, maxTimeToPage, "the "+alertname+" page", diag, func() bool {
		page = hook.firing("/pager", alertname)
		return page != nil
	})
	took := page.at.Sub(from)
	within := "within"
	if took > acceptedTimeToPage {
		within = "OVER"
	}
	t.Logf("time to page: %s, %s the %s acceptance figure (%s)", took.Round(10*time.Millisecond), within, acceptedTimeToPage, fromWhat)
	if took > maxTimeToPage {
		t.Errorf("time to page %s, want ≤ %s%s", took, maxTimeToPage, diag())
	}
	return page
}

// waitOrDump polls cond every 100 ms like waitFor, and on timeout fails
// with the diagnostics of every component.
func waitOrDump(t *testing.T, timeout time.Duration, what string, diag func() string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s%s", timeout, what, diag())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// startTool runs an outside server until the test ends and waits until
// base/-/ready answers 200. It returns a func giving its output so far.
func startTool(t *testing.T, bin, base string, args ...string) func() string {
	t.Helper()
	var out testlog.Buffer
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", bin, err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
	})
	deadline := time.Now().Add(60 * time.Second)
	for {
		select {
		case <-exited:
			t.Fatalf("%s exited during start-up:\n%s", bin, out.String())
		default:
		}
		if resp, err := http.Get(base + "/-/ready"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return out.String
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not ready on %s within 30s:\n%s", bin, base, out.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// fetchBody returns the body of url (or the error), cut to 3000 bytes, for
// diagnostics.
func fetchBody(url string) string {
	resp, err := http.Get(url)
	if err != nil {
		return err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 3000))
	return string(b)
}

func writeFile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

// e2eTimers replace the shipped Alertmanager timers: group_interval must be
// short for the resolved notification to follow recovery within seconds
// (the shipped 1m would dominate the test), group_wait 1 s keeps the test
// robust on a loaded machine (production adds the shipped 5 s).
var e2eTimers = map[string]string{
	"group_wait":      "1s",
	"group_interval":  "1s",
	"repeat_interval": "1h",
	"resolve_timeout": "1m",
}

// rewriteAlertmanagerConfig returns the shipped Alertmanager config with only
// its timers (e2eTimers, wherever set) and its webhook URLs changed: each URL
// keeps its path (/pager, /default, /watchdog) on the test's webhook server.
// Comments, routes, matchers, receivers and inhibition stay as shipped.
func rewriteAlertmanagerConfig(t *testing.T, path, webhookBase string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	urls, timers := 0, 0
	var walk func(n *yaml.Node, parentKey string)
	walk = func(n *yaml.Node, parentKey string) {
		if n.Kind == yaml.MappingNode {
			for i := 0; i+1 < len(n.Content); i += 2 {
				k, v := n.Content[i].Value, n.Content[i+1]
				if d, ok := e2eTimers[k]; ok && v.Kind == yaml.ScalarNode {
					v.Value = d
					timers++
				}
				if k == "url" && parentKey == "webhook_configs" && v.Kind == yaml.ScalarNode {
					u, err := url.Parse(v.Value)
					if err != nil {
						t.Fatalf("%s: webhook url %q: %v", path, v.Value, err)
					}
					v.Value = webhookBase + u.Path
					urls++
				}
			}
		}
		for i, c := range n.Content {
			key := parentKey
			if n.Kind == yaml.MappingNode && i%2 == 1 {
				key = n.Content[i-1].Value
			}
			walk(c, key)
		}
	}
	walk(&doc, "")
	if urls == 0 || timers == 0 {
		t.Fatalf("%s: found %d webhook urls and %d timers to rewrite; has its layout changed?", path, urls, timers)
	}
	out, err := yaml.Marshal(&doc)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// prometheusConfig is a Prometheus config with 1 s scrape and evaluation
// intervals, the shipped rule file, the test Alertmanager, and the exporter
// scraped under the shipped job name (ClariExporterDown selects job=~"clari.*").
func prometheusConfig(t *testing.T, exporterAddr, amAddr string) []byte {
	t.Helper()
	rules, err := filepath.Abs(filepath.Join("..", "..", alerts.RulesPath))
	if err != nil {
		t.Fatal(err)
	}
	watchdog, err := filepath.Abs(filepath.Join("..", "..", alerts.WatchdogRulesPath))
	if err != nil {
		t.Fatal(err)
	}
	job := shippedExporterJob(t)
	return fmt.Appendf(nil, `global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
rule_files:
  - %q
  - %q
alerting:
  alertmanagers:
    - static_configs:
        - targets: [%q]
scrape_configs:
  - job_name: %q
    static_configs:
      - targets: [%q]
`, rules, watchdog, amAddr, job, exporterAddr)
}

// shippedExporterJob is the job name deploy/prometheus.yml scrapes the
// exporter under.
func shippedExporterJob(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "deploy", "prometheus.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var cfg struct {
		ScrapeConfigs []struct {
			JobName string `yaml:"job_name"`
		} `yaml:"scrape_configs"`
	}
	if err := yaml.Unmarshal(data, &cfg); err != nil {
		t.Fatalf("deploy/prometheus.yml: %v", err)
	}
	clariJob := regexp.MustCompile(`^clari.*$`)
	for _, sc := range cfg.ScrapeConfigs {
		if clariJob.MatchString(sc.JobName) {
			return sc.JobName
		}
	}
	t.Fatal("deploy/prometheus.yml has no scrape job matching clari.* (ClariExporterDown relies on it)")
	return ""
}

// documentedMetrics is the set of metrics docs/metrics.md documents: the
// exporter's contract, which collector's TestDocsListEveryMetric keeps in
// step with the code.
func documentedMetrics(t *testing.T) map[string]bool {
	t.Helper()
	doc, err := os.ReadFile("../../docs/metrics.md")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for _, m := range regexp.MustCompile("(?m)^\\| `(clari_[a-z0-9_]+)`").FindAllStringSubmatch(string(doc), -1) {
		out[m[1]] = true
	}
	if len(out) < 30 {
		t.Fatalf("found %d metrics in docs/metrics.md, expected the whole contract", len(out))
	}
	return out
}

// panelExprs returns the expanded queries of one dashboard panel.
func panelExprs(t *testing.T, dashboard, panel string) []string {
	t.Helper()
	qs, err := dashquery.PanelQueries()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, q := range qs {
		if q.Dashboard == dashboard && q.Panel == panel {
			out = append(out, dashquery.Expand(q.Expr))
		}
	}
	return out
}

// promClient queries the test Prometheus.
type promClient struct {
	t    *testing.T
	base string
}

// query runs an instant query and returns its samples' labels (vector or
// scalar results). Anything but status success fails the test.
func (p promClient) query(q string) []map[string]string {
	p.t.Helper()
	resp, err := http.Get(p.base + "/api/v1/query?query=" + url.QueryEscape(q))
	if err != nil {
		p.t.Fatalf("query %s: %v", q, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var r struct {
		Status string `json:"status"`
		Error  string `json:"error"`
		Data   struct {
			ResultType string          `json:"resultType"`
			Result     json.RawMessage `json:"result"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &r); err != nil || r.Status != "success" {
		p.t.Fatalf("query %s: status %q, error %q (HTTP %d): %s", q, r.Status, r.Error, resp.StatusCode, body)
	}
	if r.Data.ResultType != "vector" && r.Data.ResultType != "matrix" {
		return []map[string]string{{}} // a scalar or string always has a value
	}
	var samples []struct {
		Metric map[string]string `json:"metric"`
	}
	if err := json.Unmarshal(r.Data.Result, &samples); err != nil {
		p.t.Fatalf("query %s: result: %v", q, err)
	}
	out := make([]map[string]string, len(samples))
	for i, s := range samples {
		out[i] = s.Metric
	}
	return out
}

// webhookRecorder is the pager: it records every alert of every Alertmanager
// webhook notification with the time it arrived and the URL path (= receiver).
type webhookRecorder struct {
	mu    sync.Mutex
	notes []alertNote
}

type alertNote struct {
	at     time.Time
	path   string
	status string // of the alert: firing or resolved
	alert  webhookAlert
}

type webhookAlert struct {
	Status      string            `json:"status"`
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations"`
}

func (w *webhookRecorder) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	at := time.Now()
	var msg struct {
		Alerts []webhookAlert `json:"alerts"`
	}
	if err := json.NewDecoder(r.Body).Decode(&msg); err != nil {
		http.Error(rw, err.Error(), http.StatusBadRequest)
		return
	}
	w.mu.Lock()
	for _, a := range msg.Alerts {
		w.notes = append(w.notes, alertNote{at: at, path: r.URL.Path, status: a.Status, alert: a})
	}
	w.mu.Unlock()
}

// firing returns the first firing alert named alertname delivered to path.
func (w *webhookRecorder) firing(path, alertname string) *alertNote {
	w.mu.Lock()
	defer w.mu.Unlock()
	for i := range w.notes {
		n := &w.notes[i]
		if n.path == path && n.status == "firing" && n.alert.Labels["alertname"] == alertname {
			c := *n
			return &c
		}
	}
	return nil
}

// resolved reports whether a resolved alertname of period reached path.
func (w *webhookRecorder) resolved(path, alertname, period string) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, n := range w.notes {
		if n.path == path && n.status == "resolved" && n.alert.Labels["alertname"] == alertname && n.alert.Labels["period"] == period {
			return true
		}
	}
	return false
}

// critical returns every delivered alert with severity critical.
func (w *webhookRecorder) critical() []alertNote {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []alertNote
	for _, n := range w.notes {
		if n.alert.Labels["severity"] == "critical" {
			out = append(out, n)
		}
	}
	return out
}

func (w *webhookRecorder) dump() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	var b strings.Builder
	for _, n := range w.notes {
		fmt.Fprintf(&b, "%s %s %s %s %v\n", n.at.Format("15:04:05.000"), n.path, n.status, n.alert.Labels["alertname"], n.alert.Labels)
	}
	return b.String()
}

func (n alertNote) String() string {
	return fmt.Sprintf("%s %s on %s %v", n.alert.Labels["alertname"], n.status, n.path, n.alert.Labels)
}
