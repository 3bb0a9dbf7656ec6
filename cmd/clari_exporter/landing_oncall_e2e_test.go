package main

import (
	"context"
	"database/sql"
	"fmt"
	"html"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/clari-exporter/clari_exporter/clari"
	"github.com/clari-exporter/clari_exporter/clari/clarisim"
	"github.com/clari-exporter/clari_exporter/config"
	"github.com/clari-exporter/clari_exporter/internal/testtier"
)

// TestE2ELandingOnCallInChromium walks the exporter through what an
// on-call meets (a failed job, an anomalous swing, an export skipped at the
// quota reserve, rows missing from the warehouse, an audit P1 failure)
// against a February-year simulator tenant, then renders / and the failed
// run's page in headless Chromium and reads the DOM: the failed run's
// error text, its page with the record and log lines, a sparkline per
// target with the failure marked, the skip, swing, drift and audit
// markers, Readiness not green beside a P1 failure, and no secret.
// CLARI_LANDING_SCREENSHOT_DIR keeps screenshots of both pages.
func TestE2ELandingOnCallInChromium(t *testing.T) {
	t.Parallel()
	chromium := testtier.Tool(t, "chromium", "chromium")

	sim := clarisim.New(clarisim.Options{APIKey: testAPIKey, Seed: 11,
		Tenant:   clarisim.TenantSpec{Users: 20, Fields: 2}.WithFebruaryYear(),
		Scenario: clarisim.Scenario{JobDuration: 100 * time.Millisecond}})
	simSrv := startSim(t, sim)
	if err := sim.NextJobEnds("bookings", clari.StatusFailed); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	whPath := filepath.Join(dir, "warehouse.db")
	// The key is inline on purpose: the audit's P1 api_key_secret_store
	// fails, and the page must still not show the key.
	cfgPath := writeConfig(t, fmt.Sprintf(`
clari:
  base_url: %s
  api_key: %s
  poll_interval: 50ms
  probe_interval: 1s
fiscal_calendar:
  start_month: 2
  year_label: end
forecasts:
  - id: net_arr
    types_to_export: [forecast, quota]
    historical_quarters: 1
  - id: bookings
    types_to_export: [forecast]
    historical_quarters: 0
schedule:
  current_interval: 1s
  historical_interval: 2s
  monthly_budget: 20000000
  quota_reserve: 0
swing:
  threshold: 0.2
  min_baseline: 1000
storage:
  path: %s
warehouse:
  driver: sqlite
  dsn: %s
  sink: true
  check_interval: 1s
`, simSrv, testAPIKey, filepath.Join(dir, "state.db"), whPath))
	base, logs := serveConfigFile(t, cfgPath)

	cal := config.FiscalCalendar{StartMonth: 2, YearLabel: config.YearLabelEnd}
	periods := cal.Recent(time.Now(), 1)
	cur, hist := periods[0].Label(), periods[1].Label()
	metric := func(name string, labels map[string]string) float64 {
		mfs, _ := scrape(t, base)
		return sum(mfs, name, labels)
	}
	netCur := map[string]string{"forecast": "net_arr", "period": cur}

	// 1. The first bookings job fails; every target exports at least once.
	waitFor(t, 60*time.Second, "the failed bookings run and a good export of every target", func() bool {
		mfs, _ := scrape(t, base)
		if sum(mfs, "clari_export_failures_total", map[string]string{"forecast": "bookings", "reason": "failed"}) < 1 {
			return false
		}
		for _, tg := range []map[string]string{netCur, {"forecast": "net_arr", "period": hist}, {"forecast": "bookings", "period": cur}} {
			if sum(mfs, "clari_export_runs_total", tg)-sum(mfs, "clari_export_failures_total", tg) < 1 {
				return false
			}
		}
		return true
	})

	// 2. net_arr swings +50 %; once the exporter flags it, the quota is
	// squeezed to nothing, so every later export is skipped at the reserve
	// and the flagged swing stays the newest. A run that slipped in before
	// the squeeze compares two swung exports and clears the flag: swing
	// again.
	squeeze := func(quota int) {
		if err := sim.UpdateScenario(func(sc *clarisim.Scenario) { sc.MonthlyQuota = quota }); err != nil {
			t.Fatal(err)
		}
	}
	for attempt := 1; ; attempt++ {
		if attempt > 5 {
			t.Fatalf("the swing was never the newest export when the quota ran out\n%s", tail(logs(), 30))
		}
		squeeze(1000)
		if err := sim.Swing("net_arr", 1.5); err != nil {
			t.Fatal(err)
		}
		waitFor(t, 30*time.Second, "the anomalous swing of net_arr "+cur, func() bool {
			return metric("clari_forecast_swing_anomalous", netCur) >= 1
		})
		lim := sim.Limits()
		squeeze(lim.MonthlyQuota - lim.AvailableMonthlyQuota)
		skips := metric("clari_export_skipped_total", netCur)
		waitFor(t, 30*time.Second, "net_arr "+cur+" skipped at the reserve with nothing in flight", func() bool {
			return metric("clari_export_skipped_total", netCur) > skips && allEnded(sim)
		})
		if metric("clari_forecast_swing_anomalous", netCur) >= 1 {
			break
		}
	}

	// 3. Rows of net_arr's historical quarter go missing from the
	// warehouse; with no export running, the reconciliation keeps seeing it.
	// The exporter reads and loads this file meanwhile: wait for its lock
	// instead of failing with SQLITE_BUSY.
	db, err := sql.Open("sqlite", whPath+"?_pragma=busy_timeout(30000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	res, err := db.ExecContext(context.Background(), `DELETE FROM clari_forecast_entries WHERE forecast_id = ? AND time_period_id = ? AND user_id IN (?, ?, ?)`,
		"net_arr", hist, clarisim.UserID(0), clarisim.UserID(1), clarisim.UserID(2))
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		t.Fatal("no warehouse row deleted: the drift needs the sink to have loaded net_arr " + hist)
	}
	waitFor(t, 30*time.Second, "the reconciliation drift, and a skip of every target", func() bool {
		mfs, _ := scrape(t, base)
		for _, tg := range []map[string]string{netCur, {"forecast": "net_arr", "period": hist}, {"forecast": "bookings", "period": cur}} {
			if sum(mfs, "clari_export_skipped_total", tg) < 1 {
				return false
			}
		}
		return sum(mfs, "clari_reconciliation_mismatch_ratio", map[string]string{"forecast": "net_arr", "period": hist}) > 0
	})

	// 4. What Chromium renders.
	shots := os.Getenv("CLARI_LANDING_SCREENSHOT_DIR")
	dom := dumpDOM(t, chromium, base+"/")
	if shots != "" {
		screenshot(t, chromium, base+"/", filepath.Join(shots, "landing.png"))
	}

	// The failed run: the simulator's FAILED job, its error text, its link.
	var failedJob string
	for _, j := range sim.Jobs() {
		if j.ForecastID == "bookings" && j.Job.Status == clari.StatusFailed {
			failedJob = j.Job.JobID
		}
	}
	if failedJob == "" {
		t.Fatal("the simulator has no FAILED bookings job")
	}
	var failedRow string
	for _, tr := range domTR.FindAllStringSubmatch(tableHTML(dom, "recent"), -1) {
		if strings.Contains(tr[4], `<td class="job">`+failedJob+`</td>`) {
			failedRow = tr[4]
		}
	}
	if failedRow == "" {
		t.Fatalf("the failed job %s is not among the recent runs:\n%s", failedJob, dom)
	}
	errText := cell(failedRow, "error")
	if !strings.HasPrefix(errText, "export failed: ") || !strings.Contains(errText, failedJob) || !strings.Contains(errText, "FAILED") {
		t.Errorf("the failed run's error text %q does not say the job ended FAILED", errText)
	}
	if !strings.Contains(logs(), failedJob) {
		t.Errorf("the exporter's log does not name the failed job %s the page shows", failedJob)
	}
	link := regexp.MustCompile(`<a class="run-link" href="([^"]+)">`).FindStringSubmatch(failedRow)
	if link == nil {
		t.Fatalf("the failed run links no run page:\n%s", failedRow)
	}
	runURL := base + html.UnescapeString(link[1])
	runDOM := dumpDOM(t, chromium, runURL)
	if shots != "" {
		screenshot(t, chromium, runURL, filepath.Join(shots, "run.png"))
	}
	if !strings.Contains(runDOM, `<td class="job">`+failedJob+`</td>`) || !strings.Contains(runDOM, `<td class="status">failed</td>`) {
		t.Errorf("the run page's record is not the failed job %s:\n%s", failedJob, runDOM)
	}
	logRows := regexp.MustCompile(`<tr class="(error|warn|info|debug)"><td class="time">[^<]+</td><td class="level">[a-z]+</td><td class="msg">([^<]*)</td>`).FindAllStringSubmatch(tableHTML(runDOM, "log"), -1)
	var msgs []string
	for _, m := range logRows {
		msgs = append(msgs, m[2])
	}
	if !strings.Contains(strings.Join(msgs, "\n"), "export failed") {
		t.Errorf("the run page's log lines %q lack the failure", msgs)
	}
	if strings.Contains(runDOM, `id="incomplete"`) {
		t.Error("the run page says lines may be missing for a run of this process")
	}

	// Targets: a sparkline each, the bookings failure marked on it, and
	// the markers.
	targets := map[string]string{}
	for _, tr := range domTR.FindAllStringSubmatch(tableHTML(dom, "targets"), -1) {
		targets[tr[2]+" "+tr[3]] = tr[4]
	}
	if len(targets) != 3 {
		t.Fatalf("%d target rows, want 3:\n%s", len(targets), dom)
	}
	for k, tr := range targets {
		if !strings.Contains(tr, `<svg class="sparkline"`) || !strings.Contains(tr, `<polyline class="duration"`) {
			t.Errorf("target %s has no sparkline", k)
		}
		if !strings.Contains(tr, `<span class="mark skip"`) || !strings.Contains(tr, "skipped: quota_reserve") {
			t.Errorf("target %s does not show its quota_reserve skips", k)
		}
	}
	if !strings.Contains(targets["bookings "+cur], `<circle class="failure"`) {
		t.Errorf("the bookings sparkline does not mark its failed run:\n%s", targets["bookings "+cur])
	}
	if !regexp.MustCompile(`<span class="mark swing"[^>]*>swing: [^<]+ \+5\d\.\d %</span>`).MatchString(targets["net_arr "+cur]) {
		t.Errorf("net_arr %s does not show its +50 %% swing:\n%s", cur, targets["net_arr "+cur])
	}
	if !regexp.MustCompile(`<span class="mark drift"[^>]*>drift: warehouse \d+ rows, export \d+ `).MatchString(targets["net_arr "+hist]) {
		t.Errorf("net_arr %s does not show its warehouse drift:\n%s", hist, targets["net_arr "+hist])
	}

	// The audit: the inline key is a P1 failure, and Readiness is not
	// green beside it.
	if !regexp.MustCompile(`<tr class="fail" data-check="api_key_secret_store"><td class="priority">P1</td><td class="result">FAIL</td>`).MatchString(dom) {
		t.Errorf("the audit does not list api_key_secret_store as a P1 FAIL:\n%s", tableHTML(dom, "audit"))
	}
	if !strings.Contains(dom, `<li id="readiness" class="failed">`) {
		t.Errorf("Readiness is not marked failed beside a P1 audit failure:\n%s", dom)
	}

	// Nothing secret, no script.
	for name, page := range map[string]string{"landing page": dom, "run page": runDOM} {
		for _, secret := range []string{testAPIKey, whPath} {
			if strings.Contains(page, secret) {
				t.Errorf("the %s shows the secret %q", name, secret)
			}
		}
		if strings.Contains(page, "<script") {
			t.Errorf("the %s has JavaScript", name)
		}
	}
}

// startSim serves sim on loopback until the test ends and returns its URL.
func startSim(t *testing.T, sim *clarisim.Sim) string {
	t.Helper()
	srv := httptest.NewServer(sim)
	t.Cleanup(func() { srv.Close(); sim.Close() })
	return srv.URL
}

// allEnded reports whether every job the simulator made has ended.
func allEnded(sim *clarisim.Sim) bool {
	for _, j := range sim.Jobs() {
		if !j.Job.Status.Terminal() {
			return false
		}
	}
	return true
}

// tableHTML is the inside of the table with the given id ("" when none).
func tableHTML(dom, id string) string {
	for _, m := range domTable.FindAllStringSubmatch(dom, -1) {
		if m[1] == id {
			return m[2]
		}
	}
	return ""
}

// cell is the text of a row's cell of the given class.
func cell(row, class string) string {
	for _, td := range domTD.FindAllStringSubmatch(row, -1) {
		if td[1] == class {
			return html.UnescapeString(td[3])
		}
	}
	return ""
}

// screenshot saves what headless Chromium draws of url as a PNG.
func screenshot(t *testing.T, chromium, url, path string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
		"--user-data-dir="+t.TempDir(), "--hide-scrollbars", "--window-size=1700,1900", "--screenshot="+path, url)
	cmd.Env = append(os.Environ(), "HOME="+t.TempDir())
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("chromium --screenshot %s: %v\n%s", url, err, out)
	}
	if st, err := os.Stat(path); err != nil || st.Size() == 0 {
		t.Fatalf("no screenshot at %s: %v", path, err)
	}
	t.Logf("screenshot of %s: %s", url, path)
}
