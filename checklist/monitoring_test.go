package checklist

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/clari-exporter/clari_exporter/alerts"
	"github.com/clari-exporter/clari_exporter/clari/clarisim"
	"github.com/clari-exporter/clari_exporter/internal/testtier"
)

// startProcess runs a server binary until the test ends; its output goes
// to a log file shown when the test fails.
func startProcess(t *testing.T, dir, name string, args ...string) {
	t.Helper()
	logPath := filepath.Join(dir, filepath.Base(name)+".log")
	logf, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(name, args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		logf.Close()
		if t.Failed() {
			if b, err := os.ReadFile(logPath); err == nil {
				t.Logf("%s log (tail):\n%s", name, tail(string(b), 3000))
			}
		}
	})
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

// waitFor polls cond every 100ms until it is true or the deadline passes.
func waitFor(t *testing.T, what string, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("timed out after %s waiting for %s", d, what)
}

func httpOK(url string) bool {
	resp, err := http.Get(url)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

func post(t *testing.T, url string) {
	t.Helper()
	resp, err := http.Post(url, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST %s: HTTP %d", url, resp.StatusCode)
	}
}

// targetHealth returns the health of the first active target of job.
func targetHealth(promURL, job string) string {
	var pt promTargets
	resp, err := http.Get(promURL + "/api/v1/targets?state=active")
	if err != nil {
		return ""
	}
	defer resp.Body.Close()
	if json.NewDecoder(resp.Body).Decode(&pt) != nil {
		return ""
	}
	for _, tg := range pt.Data.ActiveTargets {
		if tg.Labels["job"] == job {
			return tg.Health
		}
	}
	return ""
}

func alertRuleCount(promURL string) int {
	var pr promRules
	resp, err := http.Get(promURL + "/api/v1/rules?type=alert")
	if err != nil {
		return -1
	}
	defer resp.Body.Close()
	if json.NewDecoder(resp.Body).Decode(&pr) != nil {
		return -1
	}
	n := 0
	for _, g := range pr.Data.Groups {
		n += len(g.Rules)
	}
	return n
}

const promConfig = `global: {scrape_interval: 1s, evaluation_interval: 1s}
rule_files: [%q]
scrape_configs:
  - job_name: %s
    static_configs: [{targets: [%q]}]
`

// TestPrometheusChecks runs Debian's Prometheus with the shipped rules and
// a scrape of a stand-in exporter, then reloads it with one rule and a
// dead target.
func TestPrometheusChecks(t *testing.T) {
	prom := testtier.ToolAt(t, "/usr/bin/prometheus", "prometheus")
	s := startSim(t, clarisim.Scenario{})
	exporter := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "clari_up 1")
	}))
	t.Cleanup(exporter.Close)

	dir := t.TempDir()
	rules := writeFile(t, dir, "clari.rules.yml", string(alerts.RulesFile), 0o644)
	cfgPath := writeFile(t, dir, "prometheus.yml", fmt.Sprintf(promConfig, rules, "clari_exporter", strings.TrimPrefix(exporter.URL, "http://")), 0o644)
	addr := closedAddr(t)
	startProcess(t, dir, prom, "--config.file="+cfgPath, "--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+addr, "--web.enable-lifecycle", "--log.level=warn")
	promURL := "http://" + addr
	waitFor(t, "Prometheus ready", 30*time.Second, func() bool { return httpOK(promURL + "/-/ready") })
	waitFor(t, "the exporter target up", 60*time.Second, func() bool { return targetHealth(promURL, "clari_exporter") == "up" })

	rf, err := alerts.Load()
	if err != nil {
		t.Fatal(err)
	}
	nAlerts := len(rf.AlertingRules())
	cfg := writeConfig(t, s.URL)
	// Credentials in the URL must never be printed (Prometheus without a
	// web config ignores them).
	withCreds := "http://audit:prom-secret-pw@" + addr
	rep := audit(t, Options{ConfigFile: cfg, PrometheusURL: withCreds})
	expect(t, rep, CheckPrometheusRules, Pass, fmt.Sprintf("has all %d shipped alert rules loaded", nAlerts))
	r := expect(t, rep, CheckPrometheusTarget, Pass, "job clari_exporter target "+exporter.URL+"/metrics up, last scrape ")
	if strings.Contains(r.Detail, "-") {
		t.Errorf("negative scrape age: %s", r.Detail)
	}
	assertNoSecrets(t, rep, "prom-secret-pw")

	// Now only one shipped rule and a target nobody listens on.
	one := writeFile(t, dir, "one.rules.yml", "groups:\n- name: x\n  rules:\n  - alert: ClariExporterDown\n    expr: vector(1)\n", 0o644)
	writeFile(t, dir, "prometheus.yml", fmt.Sprintf(promConfig, one, "clari_exporter", closedAddr(t)), 0o644)
	post(t, promURL+"/-/reload")
	waitFor(t, "the reload", 60*time.Second, func() bool {
		return alertRuleCount(promURL) == 1 && targetHealth(promURL, "clari_exporter") == "down"
	})
	rep = audit(t, Options{ConfigFile: cfg, PrometheusURL: promURL})
	expect(t, rep, CheckPrometheusRules, Fail, fmt.Sprintf("lacks %d of the %d shipped alert rules", nAlerts-1, nAlerts), "ClariExportFailed")
	expect(t, rep, CheckPrometheusTarget, Fail, "down (")
	if rep.ExitCode != 1 {
		t.Errorf("exit code %d, want 1 (P1)", rep.ExitCode)
	}

	// A scrape job not named clari*: ClariExporterDown would not see it.
	writeFile(t, dir, "prometheus.yml", fmt.Sprintf(promConfig, rules, "sidecar", strings.TrimPrefix(exporter.URL, "http://")), 0o644)
	post(t, promURL+"/-/reload")
	waitFor(t, "the second reload", 60*time.Second, func() bool { return targetHealth(promURL, "sidecar") != "" })
	rep = audit(t, Options{ConfigFile: cfg, PrometheusURL: promURL})
	expect(t, rep, CheckPrometheusTarget, Fail, "no active target of a job matching clari.*")

	// Unreachable Prometheus: FAIL lines, not a hang.
	rep = audit(t, Options{ConfigFile: cfg, PrometheusURL: "http://" + closedAddr(t), Timeout: 2 * time.Second})
	expect(t, rep, CheckPrometheusRules, Fail, "connection refused")
	expect(t, rep, CheckPrometheusTarget, Fail, "connection refused")
}

const blackholeAM = `route:
  receiver: default
  routes:
    - receiver: blackhole
      matchers: ['severity="critical"']
receivers:
  - name: default
    webhook_configs: [{url: 'http://127.0.0.1:1/default'}]
  - name: blackhole
`

// TestAlertmanagerRoute runs Debian's Alertmanager with the shipped
// deploy/alertmanager.yml (critical → pager webhook), then with a config
// that sends critical alerts to a receiver without integrations.
func TestAlertmanagerRoute(t *testing.T) {
	am := testtier.ToolAt(t, "/usr/bin/prometheus-alertmanager", "prometheus-alertmanager")
	s := startSim(t, clarisim.Scenario{})
	shipped, err := os.ReadFile("../deploy/alertmanager.yml")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cfgPath := writeFile(t, dir, "alertmanager.yml", string(shipped), 0o644)
	addr := closedAddr(t)
	startProcess(t, dir, am, "--config.file="+cfgPath, "--storage.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+addr, "--cluster.listen-address=", "--log.level=warn")
	amURL := "http://" + addr
	waitFor(t, "Alertmanager ready", 30*time.Second, func() bool { return httpOK(amURL + "/-/ready") })

	cfg := writeConfig(t, s.URL)
	rep := audit(t, Options{ConfigFile: cfg, AlertmanagerURL: amURL})
	r := expect(t, rep, CheckAlertmanagerRoute, Pass, `{alertname="ClariExportFailed", severity="critical"}`, "receiver pager (webhook)", `severity="critical"`)
	if strings.Contains(r.Detail, "webhook-logger") {
		t.Errorf("detail carries a receiver URL: %s", r.Detail)
	}

	writeFile(t, dir, "alertmanager.yml", blackholeAM, 0o644)
	post(t, amURL+"/-/reload")
	waitFor(t, "the reload", 10*time.Second, func() bool {
		var st amStatus
		resp, err := http.Get(amURL + "/api/v2/status")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		return json.NewDecoder(resp.Body).Decode(&st) == nil && strings.Contains(st.Config.Original, "blackhole")
	})
	rep = audit(t, Options{ConfigFile: cfg, AlertmanagerURL: amURL})
	expect(t, rep, CheckAlertmanagerRoute, Fail, "only to receiver blackhole", "no integration")
	if rep.ExitCode != 1 {
		t.Errorf("exit code %d, want 1 (P1)", rep.ExitCode)
	}
}
