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

// TestMinimalConfigLearnsAFebruaryYear: the README's minimal config (no
// fiscal_calendar) against a February-year tenant (GitLab's) exports
// exactly Clari's current quarter and the historical ones before it, under
// Clari's labels, and shows clari_fiscal_calendar_info{source="clari",
// start_month="2"}. After a restart no export is spent to re-learn it.
func TestMinimalConfigLearnsAFebruaryYear(t *testing.T) {
	now := time.Date(2026, time.December, 8, 12, 0, 0, 0, time.UTC) // the day of the wrong quarters
	start := time.Now()
	clock := func() time.Time { return now.Add(time.Since(start)) }
	sim := clarisim.New(clarisim.Options{APIKey: testKey, Seed: 1, Clock: clock,
		Tenant:   clarisim.TenantSpec{Users: 3, Fields: 1, Quarters: 8, FiscalStartMonth: time.February},
		Scenario: clarisim.Scenario{JobDuration: 20 * time.Millisecond}})
	srv := httptest.NewServer(sim)
	t.Cleanup(func() { srv.Close(); sim.Close() })

	dir := t.TempDir()
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
forecasts:
  - id: net_arr
    historical_quarters: 2
schedule:
  monthly_budget: 1000
storage:
  path: %s
`, srv.URL, key, filepath.Join(dir, "state.db"))
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
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
