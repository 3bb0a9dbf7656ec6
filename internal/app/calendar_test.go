package app

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/clari-exporter/clari_exporter/clari/clarisim"
)

// series scrapes h and returns the value of the first series of name
// whose labels include want.
func series(t *testing.T, h http.Handler, name string, want map[string]string) (float64, bool) {
	t.Helper()
	mfs := scrapeHandler(t, h)
	mf := mfs[name]
	if mf == nil {
		return 0, false
	}
next:
	for _, m := range mf.Metric {
		got := map[string]string{}
		for _, l := range m.Label {
			got[l.GetName()] = l.GetValue()
		}
		for k, v := range want {
			if got[k] != v {
				continue next
			}
		}
		if m.Gauge != nil {
			return m.Gauge.GetValue(), true
		}
		return m.Counter.GetValue(), true
	}
	return 0, false
}

// februarySim is a simulator whose tenant has GitLab's February year, on
// a clock starting 2026-12-08 (Clari's current quarter: 2027_Q4).
func februarySim(t *testing.T) (*clarisim.Sim, *httptest.Server) {
	t.Helper()
	now := time.Date(2026, time.December, 8, 12, 0, 0, 0, time.UTC) // the day of the wrong quarters
	start := time.Now()
	clock := func() time.Time { return now.Add(time.Since(start)) }
	sim := clarisim.New(clarisim.Options{APIKey: testKey, Seed: 1, Clock: clock,
		Tenant:   clarisim.TenantSpec{Users: 3, Fields: 1, Quarters: 8, FiscalStartMonth: time.February},
		Scenario: clarisim.Scenario{JobDuration: 20 * time.Millisecond}})
	srv := httptest.NewServer(sim)
	t.Cleanup(func() { srv.Close(); sim.Close() })
	return sim, srv
}

// writeCalendarConfig writes a config exporting net_arr with 2 historical
// quarters from base and returns its path; calendar is the YAML of a
// fiscal_calendar section, or "".
func writeCalendarConfig(t *testing.T, dir, base, calendar string) string {
	t.Helper()
	key := filepath.Join(dir, "clari.key")
	if err := os.WriteFile(key, []byte(testKey), 0o600); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "clari.yml")
	cfg := fmt.Sprintf(`
clari:
  base_url: %s
  api_key_file: %s
  poll_interval: 20ms
%sforecasts:
  - id: net_arr
    historical_quarters: 2
schedule:
  monthly_budget: 1000
storage:
  path: %s
`, base, key, calendar, filepath.Join(dir, "state.db"))
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// waitMetrics polls a's /metrics until cond holds, failing after 30 s.
func waitMetrics(t *testing.T, a *App, what string, cond func(h http.Handler) bool) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); !cond(a.Handler()); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("never reached: %s", what)
		}
	}
}

// TestMinimalConfigLearnsAFebruaryYear: the README's minimal config (no
// fiscal_calendar) against a February-year tenant (GitLab's) exports
// exactly Clari's current quarter and the historical ones before it, under
// Clari's labels, and shows clari_fiscal_calendar_info{source="clari",
// start_month="2"}. After a restart no export is spent to re-learn it.
func TestMinimalConfigLearnsAFebruaryYear(t *testing.T) {
	sim, srv := februarySim(t)
	path := writeCalendarConfig(t, t.TempDir(), srv.URL, "")
	want := []string{"2027_Q4", "2027_Q3", "2027_Q2"}
	exported := func() (asked, got []string) {
		for _, j := range sim.Jobs() {
			asked, got = append(asked, j.Request.TimePeriod), append(got, j.Period)
		}
		return asked, got
	}
	learned := map[string]string{"source": "clari", "start_month": "2", "year_label": "end"}

	for restart := range 2 {
		a, err := New(Options{ConfigFile: path, Web: webFlags(freeAddr(t)), Tick: 10 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- a.Run(ctx) }()
		ranAll := func() bool {
			for _, p := range want {
				if v, ok := series(t, a.Handler(), "clari_export_runs_total", map[string]string{"forecast": "net_arr", "period": p}); !ok || v != 1 {
					return false
				}
			}
			v, ok := series(t, a.Handler(), "clari_fiscal_calendar_info", learned)
			return ok && v == 1
		}
		deadline := time.Now().Add(30 * time.Second)
		for !ranAll() {
			if time.Now().After(deadline) {
				cancel()
				<-done
				asked, got := exported()
				t.Fatalf("start %d: the learned quarters %v never all ran once with the learned calendar on /metrics; jobs asked %q, got %q", restart, want, asked, got)
			}
			time.Sleep(10 * time.Millisecond)
		}
		if restart == 1 {
			time.Sleep(300 * time.Millisecond) // ~30 ticks: time for a wrong export to start
		}
		cancel()
		if err := <-done; err != nil {
			t.Fatalf("Run = %v", err)
		}
		asked, got := exported()
		if wantAsked := []string{"", "2027_Q3", "2027_Q2"}; !slices.Equal(asked, wantAsked) || !slices.Equal(got, want) {
			t.Fatalf("start %d: jobs asked for %q and exported %q; want %q and %q (nothing else, nothing re-learned)", restart, asked, got, wantAsked, want)
		}
	}
}

// TestWrongFiscalCalendarReloadedLive: fiscal_calendar start_month 1
// against the February tenant spends one export (failure
// calendar_mismatch), sets clari_fiscal_calendar_mismatch and holds the
// other targets (skipped calendar_mismatch); the file fixed and reloaded,
// the mismatch clears at once and Clari's quarters are exported.
func TestWrongFiscalCalendarReloadedLive(t *testing.T) {
	sim, srv := februarySim(t)
	dir := t.TempDir()
	path := writeCalendarConfig(t, dir, srv.URL, "fiscal_calendar:\n  start_month: 1\n")
	a, err := New(Options{ConfigFile: path, Web: webFlags(freeAddr(t)), Tick: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	run(t, a)
	waitMetrics(t, a, "the mismatch found and the other targets held", func(h http.Handler) bool {
		m, _ := series(t, h, "clari_fiscal_calendar_mismatch", nil)
		failed, _ := series(t, h, "clari_export_failures_total", map[string]string{"period": "2026_Q4", "reason": "calendar_mismatch"})
		held, _ := series(t, h, "clari_export_skipped_total", map[string]string{"period": "2026_Q2", "reason": "calendar_mismatch"})
		return m == 1 && failed == 1 && held == 1
	})
	if n := sim.Stats().JobsCreated; n != 1 {
		t.Fatalf("JobsCreated %d, want 1 spent on the wrong calendar", n)
	}
	writeCalendarConfig(t, dir, srv.URL, "fiscal_calendar:\n  start_month: 2\n")
	if err := a.Reload(); err != nil {
		t.Fatalf("reload: %v", err)
	}
	if m, _ := series(t, a.Handler(), "clari_fiscal_calendar_mismatch", nil); m != 0 {
		t.Errorf("clari_fiscal_calendar_mismatch %v right after the reload, want 0", m)
	}
	waitMetrics(t, a, "Clari's quarters exported after the reload", func(h http.Handler) bool {
		for _, p := range []string{"2027_Q4", "2027_Q3", "2027_Q2"} {
			if v, ok := series(t, h, "clari_export_runs_total", map[string]string{"period": p}); !ok || v != 1 {
				return false
			}
		}
		v, ok := series(t, h, "clari_fiscal_calendar_info", map[string]string{"source": "config", "start_month": "2"})
		return ok && v == 1
	})
	if n := sim.Stats().JobsCreated; n != 4 {
		t.Errorf("JobsCreated %d, want 1 + the 3 targets", n)
	}
}
