package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/clari-exporter/clari_exporter/clari"
	"github.com/clari-exporter/clari_exporter/clari/clarisim"
	"github.com/clari-exporter/clari_exporter/internal/testtier"
	"github.com/clari-exporter/clari_exporter/landing"
)

// TestE2ELandingPageInChromium runs the exporter against the simulator on a
// fast schedule (two forecasts, a current and a historical quarter each,
// the first job of one forecast failing), quiesces it with a reload to long
// intervals, renders / in headless Chromium and checks the DOM against the
// simulator's jobs: one row per configured target with its newest job,
// outcome and reason; the recent runs newest first; and no secret.
func TestE2ELandingPageInChromium(t *testing.T) {
	t.Parallel()
	chromium := testtier.Tool(t, "chromium", "chromium")

	sim := clarisim.New(clarisim.Options{APIKey: testAPIKey, Seed: 5,
		Tenant:   clarisim.TenantSpec{Users: 10, Fields: 2},
		Scenario: clarisim.Scenario{JobDuration: 100 * time.Millisecond}})
	simSrv := httptest.NewServer(sim)
	t.Cleanup(func() { simSrv.Close(); sim.Close() })
	if err := sim.NextJobEnds("bookings", clari.StatusFailed); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	body := func(current, historical string) string {
		return fmt.Sprintf(`
clari:
  base_url: %s
  api_key_file: %%KEYFILE%%
  poll_interval: 50ms
  probe_interval: 1s
forecasts:
  - id: net_arr
    types_to_export: [forecast, quota]
    historical_quarters: 1
  - id: bookings
    types_to_export: [forecast]
    historical_quarters: 1
schedule:
  current_interval: %s
  historical_interval: %s
  monthly_budget: 20000000
storage:
  path: %s
`, simSrv.URL, current, historical, filepath.Join(dir, "state.db"))
	}
	cfgPath := writeConfig(t, body("1s", "1s"))
	base, logs := serveConfigFile(t, cfgPath)

	// Two runs or more of every target, then no new ones: long intervals.
	ownJobs := func() []clarisim.JobInfo {
		var out []clarisim.JobInfo
		for _, j := range sim.Jobs() {
			if !j.Foreign && !j.Pipeline {
				out = append(out, j)
			}
		}
		return out
	}
	waitFor(t, 60*time.Second, "two jobs of each of the 4 targets", func() bool {
		per := map[string]int{}
		for _, j := range ownJobs() {
			per[j.ForecastID+"/"+j.Period]++
		}
		if len(per) < 4 {
			return false
		}
		for _, n := range per {
			if n < 2 {
				return false
			}
		}
		return true
	})
	keyFile := filepath.Join(filepath.Dir(cfgPath), "clari.key")
	writeFile(t, cfgPath, []byte(strings.ReplaceAll(body("1h", "1h"), "%KEYFILE%", keyFile)))
	resp, err := http.Post(base+"/-/reload", "text/plain", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST /-/reload: %d\n%s", resp.StatusCode, tail(logs(), 20))
	}

	// Quiet: every job the simulator made has finished and is recorded
	// (nothing in flight), and no new job appeared for a while.
	var jobs []clarisim.JobInfo
	var dom string
	waitFor(t, 60*time.Second, "the exporter to go quiet with every job recorded", func() bool {
		before := len(ownJobs())
		time.Sleep(1500 * time.Millisecond)
		jobs = ownJobs()
		if len(jobs) != before {
			return false
		}
		for _, j := range jobs {
			if j.Job.Status != clari.StatusDone && j.Job.Status != clari.StatusFailed {
				return false
			}
		}
		dom = dumpDOM(t, chromium, base+"/")
		if os.Getenv("CLARI_LANDING_DOM") != "" {
			_ = os.WriteFile(os.Getenv("CLARI_LANDING_DOM"), []byte(dom), 0o600)
		}
		return strings.Contains(dom, "<h2>Jobs in flight</h2>") && !strings.Contains(dom, `<table id="inflight">`) &&
			len(domRows(dom, "recent")) == min(len(jobs), landing.RecentRuns)
	})

	// Targets: one row per configured target, with its newest job.
	newest := map[string]clarisim.JobInfo{}
	for _, j := range jobs {
		k := j.ForecastID + "/" + j.Period
		if n, ok := newest[k]; !ok || j.Created.After(n.Created) {
			newest[k] = j
		}
	}
	targets := domRows(dom, "targets")
	if len(targets) != 4 {
		t.Fatalf("%d target rows, want 4 (2 forecasts x current and 1 historical quarter):\n%s", len(targets), dom)
	}
	for _, r := range targets {
		j, ok := newest[r.forecast+"/"+r.period]
		if !ok {
			t.Errorf("target %s %s: the simulator made no job for it", r.forecast, r.period)
			continue
		}
		checkRow(t, "target", r, j)
	}

	// Recent runs: exactly the simulator's jobs, newest first.
	recent := domRows(dom, "recent")
	var want []string
	for _, j := range jobs {
		want = append(want, j.Job.JobID)
	}
	var got []string
	byID := map[string]clarisim.JobInfo{}
	for _, j := range jobs {
		byID[j.Job.JobID] = j
	}
	failed := 0
	for i, r := range recent {
		got = append(got, r.job)
		j, ok := byID[r.job]
		if !ok {
			t.Errorf("recent run %s is not a job of the simulator", r.job)
			continue
		}
		checkRow(t, "recent", r, j)
		if r.outcome == "failed" {
			failed++
		}
		if i > 0 && r.when > recent[i-1].when {
			t.Errorf("recent runs not newest first: %s after %s", r.when, recent[i-1].when)
		}
	}
	slices.Sort(want)
	slices.Sort(got)
	if len(jobs) <= landing.RecentRuns && !slices.Equal(got, want) {
		t.Errorf("recent runs %v, the simulator's jobs %v", got, want)
	}
	if failed != 1 {
		t.Errorf("%d failed runs shown, want the 1 injected", failed)
	}

	t.Logf("the simulator made %d jobs; the page shows %d targets and %d recent runs (%d failed)", len(jobs), len(targets), len(recent), failed)

	// Links, and nothing secret.
	for _, link := range []string{`href="/metrics"`, `href="/-/ready"`, `href="` + docsURL + `"`} {
		if !strings.Contains(dom, link) {
			t.Errorf("the page has no link %s", link)
		}
	}
	for _, secret := range []string{testAPIKey, "api_key"} {
		if strings.Contains(dom, secret) {
			t.Errorf("the rendered page contains %q", secret)
		}
	}
}

// checkRow compares a page row with the simulator's job.
func checkRow(t *testing.T, table string, r domRow, j clarisim.JobInfo) {
	t.Helper()
	if r.job != j.Job.JobID || r.forecast != j.ForecastID || r.period != j.Period {
		t.Errorf("%s row %s %s job %s, the simulator's job is %s of %s %s", table, r.forecast, r.period, r.job, j.Job.JobID, j.ForecastID, j.Period)
	}
	switch j.Job.Status {
	case clari.StatusDone:
		if r.outcome != "ok" || r.reason != "" || r.rows == "0" || r.rows == "" {
			t.Errorf("%s row of DONE job %s: outcome %q reason %q rows %q, want ok with rows", table, r.job, r.outcome, r.reason, r.rows)
		}
	case clari.StatusFailed:
		if r.outcome != "failed" || r.reason != "failed" || !strings.HasPrefix(r.err, "export failed: ") {
			t.Errorf("%s row of FAILED job %s: outcome %q reason %q error %q, want failed/failed with the error the run logged", table, r.job, r.outcome, r.reason, r.err)
		}
	}
	if r.duration == "" || r.duration == "0s" {
		t.Errorf("%s row of job %s has no duration", table, r.job)
	}
}

// dumpDOM renders url in headless Chromium and returns the DOM after load.
func dumpDOM(t *testing.T, chromium, url string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
		"--user-data-dir="+t.TempDir(), "--dump-dom", url)
	cmd.Env = append(os.Environ(), "HOME="+t.TempDir())
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("chromium --dump-dom %s: %v", url, err)
	}
	return string(out)
}

type domRow struct{ class, forecast, period, outcome, reason, err, duration, rows, job, when, age string }

var (
	domTable = regexp.MustCompile(`(?s)<table id="([a-z]+)">(.*?)</table>`)
	domTR    = regexp.MustCompile(`(?s)<tr class="([a-z]+)" data-forecast="([^"]*)" data-period="([^"]*)">(.*?)</tr>`)
	// A cell's text; a "when" cell reads as an age ("3 s ago") and holds
	// its time in its title.
	domTD = regexp.MustCompile(`<td class="(?:num )?([a-z]+)"(?: title="([^"]*)")?>([^<]*)</td>`)
)

// domRows reads the rows of one table of the landing page.
func domRows(dom, id string) []domRow {
	for _, m := range domTable.FindAllStringSubmatch(dom, -1) {
		if m[1] != id {
			continue
		}
		var out []domRow
		for _, tr := range domTR.FindAllStringSubmatch(m[2], -1) {
			r := domRow{class: tr[1], forecast: tr[2], period: tr[3]}
			for _, td := range domTD.FindAllStringSubmatch(tr[4], -1) {
				switch td[1] {
				case "outcome":
					r.outcome = td[3]
				case "reason":
					r.reason = td[3]
				case "error":
					r.err = td[3]
				case "duration":
					r.duration = td[3]
				case "rows":
					r.rows = td[3]
				case "job":
					r.job = td[3]
				case "when":
					r.when, r.age = td[2], td[3]
				}
			}
			out = append(out, r)
		}
		return out
	}
	return nil
}
