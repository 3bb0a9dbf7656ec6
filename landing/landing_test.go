package landing

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/clari-exporter/clari_exporter/config"
	"github.com/clari-exporter/clari_exporter/store"
	"github.com/clari-exporter/clari_exporter/watch"
)

// fakeRuns serves runs per target, newest first, as store.Store does.
type fakeRuns struct {
	runs     map[[2]string][]store.Run
	inflight []store.InFlight
	err      error
	reads    int // RecentRuns calls
}

func (f *fakeRuns) RecentRuns(_ context.Context, n int) ([]store.Run, error) {
	f.reads++
	if f.err != nil {
		return nil, f.err
	}
	keys := slices.Collect(maps.Keys(f.runs))
	slices.SortFunc(keys, func(a, b [2]string) int { return cmp.Or(cmp.Compare(a[0], b[0]), cmp.Compare(a[1], b[1])) })
	var out []store.Run
	for _, k := range keys {
		rs := f.runs[k]
		out = append(out, rs[:min(n, len(rs))]...)
	}
	return out, nil
}

func (f *fakeRuns) Runs(_ context.Context, forecast, period string, n int) ([]store.Run, error) {
	if f.err != nil {
		return nil, f.err
	}
	rs := f.runs[[2]string{forecast, period}]
	return rs[:min(n, len(rs))], nil
}

func (f *fakeRuns) InFlight(context.Context) ([]store.InFlight, error) { return f.inflight, nil }

var now = time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)

func testConfig(t *testing.T) *config.Config {
	t.Helper()
	cfg, err := config.Parse([]byte(`
clari:
  api_key: k-secret-123456
fiscal_calendar:
  start_month: 1
forecasts:
  - id: net_arr
    historical_quarters: 1
  - id: bookings
    historical_quarters: 0
schedule:
  monthly_budget: 1000
`), "test.yml")
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func render(t *testing.T, h http.Handler, path string) (int, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	return rec.Code, rec.Body.String()
}

var (
	tableRe = regexp.MustCompile(`(?s)<table id="([a-z]+)">(.*?)</table>`)
	rowRe   = regexp.MustCompile(`(?s)<tr class="([a-z]+)" data-forecast="([^"]*)" data-period="([^"]*)">(.*?)</tr>`)
	jobRe   = regexp.MustCompile(`<td class="job">([^<]*)</td>`)
	cellRe  = func(class string) *regexp.Regexp {
		return regexp.MustCompile(`<td class="(?:num )?` + class + `"[^>]*>([^<]*)</td>`)
	}
)

type pageRow struct{ class, forecast, period, job, reason, rows string }

func tableRows(t *testing.T, body, id string) []pageRow {
	t.Helper()
	for _, m := range tableRe.FindAllStringSubmatch(body, -1) {
		if m[1] != id {
			continue
		}
		var out []pageRow
		for _, r := range rowRe.FindAllStringSubmatch(m[2], -1) {
			pr := pageRow{class: r[1], forecast: r[2], period: r[3]}
			if j := jobRe.FindStringSubmatch(r[4]); j != nil {
				pr.job = j[1]
			}
			if j := cellRe("reason").FindStringSubmatch(r[4]); j != nil {
				pr.reason = j[1]
			}
			if j := cellRe("rows").FindStringSubmatch(r[4]); j != nil {
				pr.rows = j[1]
			}
			out = append(out, pr)
		}
		return out
	}
	t.Fatalf("no table %s in:\n%s", id, body)
	return nil
}

func TestPageShowsTargetsInFlightAndRecentRuns(t *testing.T) {
	cfg := testConfig(t)
	targets := cfg.Targets(now)
	if len(targets) != 3 {
		t.Fatalf("%d targets, want 3", len(targets))
	}
	runs := &fakeRuns{runs: map[[2]string][]store.Run{}}
	// net_arr current: 40 runs, one a minute, the newest failed. net_arr
	// historical: 30 runs interleaved. bookings: never ran.
	cur, hist := targets[0], targets[1]
	for i := range 40 {
		r := store.Run{Forecast: cur.Forecast, Period: cur.Period, JobID: fmt.Sprintf("job-c-%02d", i), Outcome: store.OutcomeDone,
			FinishedAt: now.Add(-time.Duration(i) * time.Minute), Duration: 3 * time.Second, Rows: 100 + i}
		if i == 0 {
			r.Outcome, r.Rows = "period_mismatch", 0
		}
		runs.runs[[2]string{cur.Forecast, cur.Period}] = append(runs.runs[[2]string{cur.Forecast, cur.Period}], r)
	}
	for i := range 30 {
		runs.runs[[2]string{hist.Forecast, hist.Period}] = append(runs.runs[[2]string{hist.Forecast, hist.Period}], store.Run{
			Forecast: hist.Forecast, Period: hist.Period, JobID: fmt.Sprintf("job-h-%02d", i), Outcome: store.OutcomeDone,
			FinishedAt: now.Add(-time.Duration(i)*time.Minute - 30*time.Second), Duration: time.Second, Rows: 7})
	}
	runs.inflight = []store.InFlight{{Forecast: cur.Forecast, Period: cur.Period, JobID: "job-running", CreatedAt: now.Add(-5 * time.Second)}}

	h := New(Options{Name: "Clari Exporter", Description: "desc", Version: "v1", MetricsPath: "/metrics", DocsURL: "https://example.invalid/docs",
		Config: func() *config.File { return &cfg.File }, Runs: runs, Now: func() time.Time { return now }})
	code, body := render(t, h, "/")
	if code != http.StatusOK {
		t.Fatalf("status %d:\n%s", code, body)
	}

	got := tableRows(t, body, "targets")
	want := []pageRow{
		{class: "failed", forecast: cur.Forecast, period: cur.Period, job: "job-c-00", reason: "period_mismatch", rows: "0"},
		{class: "ok", forecast: hist.Forecast, period: hist.Period, job: "job-h-00", rows: "7"},
		{class: "never", forecast: "bookings", period: targets[2].Period},
	}
	if !slices.Equal(got, want) {
		t.Errorf("targets table:\n got %+v\nwant %+v", got, want)
	}

	recent := tableRows(t, body, "recent")
	if len(recent) != RecentRuns {
		t.Fatalf("%d recent runs, want the bound %d", len(recent), RecentRuns)
	}
	// Newest first: the two targets interleave minute by minute.
	for i, r := range recent {
		wantJob := fmt.Sprintf("job-c-%02d", i/2)
		if i%2 == 1 {
			wantJob = fmt.Sprintf("job-h-%02d", i/2)
		}
		if r.job != wantJob {
			t.Fatalf("recent run %d is %s, want %s (newest first)", i, r.job, wantJob)
		}
	}

	inflight := regexp.MustCompile(`(?s)<table id="inflight">.*job-running.*</table>`)
	if !inflight.MatchString(body) {
		t.Errorf("the in-flight job is not shown:\n%s", body)
	}
	for _, link := range []string{`href="/metrics"`, `href="/-/ready"`, `href="/-/healthy"`, `href="https://example.invalid/docs"`} {
		if !strings.Contains(body, link) {
			t.Errorf("no link %s", link)
		}
	}
	if strings.Contains(body, "k-secret-123456") {
		t.Error("the page shows the API key")
	}
	if strings.Contains(body, "<script") {
		t.Error("the page uses JavaScript")
	}
}

func TestPageShowsStoreErrorsAndOnlyServesRoot(t *testing.T) {
	cfg := testConfig(t)
	h := New(Options{Name: "x", Config: func() *config.File { return &cfg.File },
		Runs: &fakeRuns{err: errors.New("database is locked")}, Now: func() time.Time { return now }})
	code, body := render(t, h, "/")
	if code != http.StatusOK || !strings.Contains(body, "could not be read (see the exporter&#39;s log)") {
		t.Errorf("a store error should be noted on the page (status %d):\n%s", code, body)
	}
	if strings.Contains(body, "database is locked") {
		t.Error("the store's error text reached the page; it belongs in the log")
	}
	if rows := tableRows(t, body, "targets"); len(rows) != 3 || rows[0].class != "never" {
		t.Errorf("targets still listed on a store error: %+v", rows)
	}
	if code, _ := render(t, h, "/nope"); code != http.StatusNotFound {
		t.Errorf("GET /nope: %d, want 404", code)
	}
}

// One page view reads the runs once, whatever the number of targets, and
// shows only the configured targets' runs.
func TestPageReadsRunsOnceAndOnlyOfConfiguredTargets(t *testing.T) {
	cfg := testConfig(t)
	runs := &fakeRuns{runs: map[[2]string][]store.Run{}}
	for _, tg := range append(cfg.Targets(now), config.Target{Forecast: "departed", Period: "2026_Q4"}) {
		runs.runs[[2]string{tg.Forecast, tg.Period}] = []store.Run{{Forecast: tg.Forecast, Period: tg.Period,
			JobID: "job-" + tg.Forecast + "-" + tg.Period, Outcome: store.OutcomeDone, FinishedAt: now.Add(-time.Minute)}}
	}
	h := New(Options{Name: "x", Config: func() *config.File { return &cfg.File }, Runs: runs, Now: func() time.Time { return now }})
	_, body := render(t, h, "/")
	if runs.reads != 1 {
		t.Errorf("one page view read the runs %d times, want 1", runs.reads)
	}
	recent := tableRows(t, body, "recent")
	if len(recent) != len(cfg.Targets(now)) {
		t.Errorf("recent runs %+v, want one of each of the %d configured targets", recent, len(cfg.Targets(now)))
	}
	if strings.Contains(body, "departed") {
		t.Error("the page shows a run of a target that is not configured")
	}
}

type fakeWatch struct{ st *watch.State }

func (f fakeWatch) State() *watch.State { return f.st }

func TestPageShowsThePipelineWatch(t *testing.T) {
	cfg := testConfig(t)
	o := Options{Name: "x", Config: func() *config.File { return &cfg.File }, Runs: &fakeRuns{}, Now: func() time.Time { return now }}
	if _, body := render(t, New(o), "/"); strings.Contains(body, `id="pipeline"`) {
		t.Error("a pipeline section without a watch")
	}
	o.Pipeline = fakeWatch{&watch.State{Enabled: false}}
	if _, body := render(t, New(o), "/"); strings.Contains(body, `id="pipeline"`) {
		t.Error("a pipeline section with the watch off")
	}
	o.Pipeline = fakeWatch{&watch.State{
		Enabled:  true,
		ListedAt: now.Add(-time.Minute),
		Org:      watch.OrgQuota{Known: true, Available: 120, Limit: 500, Submitted: 380, ByOthers: 300, ExhaustionKnown: true, Exhaustion: now.Add(72 * time.Hour)},
		Targets: []watch.Target{
			{Forecast: "net_arr", Period: "2026_Q4", Jobs: map[string]uint64{watch.StatusDone: 7, watch.StatusFailed: 2}, LastJobKnown: true, LastJobSuccess: false,
				LastSuccess: now.Add(-2 * time.Hour), Inspected: true, Rows: 4321},
			{Forecast: "pipeline_only", Period: "2026_Q3", Jobs: map[string]uint64{}},
		},
	}}
	_, body := render(t, New(o), "/")
	rows := tableRows(t, body, "pipeline")
	want := []pageRow{{class: "failed", forecast: "net_arr", period: "2026_Q4", reason: "the newest job did not end DONE", rows: "4321"}, {class: "never", forecast: "pipeline_only", period: "2026_Q3"}}
	if !slices.Equal(rows, want) {
		t.Errorf("pipeline table:\n got %+v\nwant %+v", rows, want)
	}
	for _, s := range []string{`<td class="num done">7</td>`, `<td class="num failed">2</td>`, "120 of 500 exports available", "300 by others", utc(now.Add(72 * time.Hour))} {
		if !strings.Contains(body, s) {
			t.Errorf("the pipeline section lacks %q:\n%s", s, body)
		}
	}
}

func utc(t time.Time) string { return t.UTC().Format(time.RFC3339) }
