package landing

import (
	"html"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-kit/log"
	"github.com/go-kit/log/level"

	"github.com/clari-exporter/clari_exporter/checklist"
	"github.com/clari-exporter/clari_exporter/config"
	"github.com/clari-exporter/clari_exporter/runlog"
	"github.com/clari-exporter/clari_exporter/runner"
	"github.com/clari-exporter/clari_exporter/snapshot"
	"github.com/clari-exporter/clari_exporter/store"
	"github.com/clari-exporter/clari_exporter/warehouse/checkstate"
	"github.com/clari-exporter/clari_exporter/watch"
)

// oncallFixture is a page with one failed run whose lines the history
// kept, a target that was re-queued, skipped and swung, warehouse drift
// and an audit with a P1 failure.
type oncallFixture struct {
	h                *Handler
	cur, hist        config.Target
	failedAt, doneAt time.Time
}

func newOncallFixture(t *testing.T) oncallFixture {
	t.Helper()
	cfg := testConfig(t)
	targets := cfg.Targets(now)
	cur, hist := targets[0], targets[1]
	clock := now.Add(-2 * time.Hour)
	logs := runlog.New(runlog.Options{Now: func() time.Time { return clock }})
	logger := logs.Logger(log.NewNopLogger())

	// The older run succeeded, the newer failed with a 503; each logs
	// while it runs.
	doneStart := now.Add(-2 * time.Hour)
	level.Info(logger).Log("msg", "export done", "forecast", cur.Forecast, "period", cur.Period, "job", "job-ok", "rows", 100)
	doneAt := doneStart.Add(3 * time.Second)
	failStart := now.Add(-time.Hour)
	clock = failStart.Add(time.Second)
	level.Warn(logger).Log("msg", "export job timed out; re-queued", "forecast", cur.Forecast, "period", cur.Period, "job", "job-a")
	clock = failStart.Add(2 * time.Second)
	level.Error(logger).Log("msg", "export failed", "forecast", cur.Forecast, "period", cur.Period, "job", "job-b", "reason", "api_error",
		"err", "POST https://api.clari.com/v4/export/forecast/net_arr: 503 Service Unavailable")
	level.Warn(logger).Log("msg", "anomalous swing", "forecast", cur.Forecast, "period", cur.Period, "field", "commit",
		"previous", 7654321.5, "latest", 9950617.95, "ratio", 0.3)
	failedAt := failStart.Add(2 * time.Second)

	runs := &fakeRuns{runs: map[[2]string][]store.Run{
		{cur.Forecast, cur.Period}: {
			{Forecast: cur.Forecast, Period: cur.Period, JobID: "job-b", Outcome: "api_error", StartedAt: failStart, FinishedAt: failedAt, Duration: 2 * time.Second, Requeues: 1},
			{Forecast: cur.Forecast, Period: cur.Period, JobID: "job-ok", Outcome: store.OutcomeDone, StartedAt: doneStart, FinishedAt: doneAt, Duration: 3 * time.Second, Rows: 100},
		},
	}}
	export := &runner.State{Targets: []runner.Target{
		{TargetState: store.TargetState{Forecast: cur.Forecast, Period: cur.Period, Requeues: 1,
			Skips: map[string]uint64{runner.SkipQuotaReserve: 3, runner.SkipConcurrency: 0}},
			Swings: []snapshot.Swing{{Field: "commit", Previous: 7654321.5, Latest: 9950617.95, Ratio: 0.3, Anomalous: true},
				{Field: "best_case", Previous: 100, Latest: 101, Ratio: 0.01}}},
	}}
	wh := checkstate.State{Reconciliations: []checkstate.Reconciliation{
		{Forecast: cur.Forecast, Period: cur.Period, Expected: 100, Actual: 100},
		{Forecast: hist.Forecast, Period: hist.Period, Expected: 100, Actual: 90, MismatchRatio: 0.1},
	}}
	audit := []checklist.Result{
		{ID: "docs_present", Priority: "P3", Status: checklist.Warn, Title: "docs", Detail: "no runbook url"},
		{ID: "metrics_protected", Priority: "P1", Status: checklist.Fail, Title: "metrics are protected", Detail: "forecast values exposed without auth"},
		{ID: "api_token_valid", Priority: "P1", Status: checklist.Pass, Title: "token"},
	}
	h := New(Options{Name: "Clari Exporter", Config: func() *config.File { return &cfg.File }, Runs: runs,
		Export: func() *runner.State { return export }, Warehouse: func() checkstate.State { return wh },
		Audit: func() []checklist.Result { return audit }, Ready: func() bool { return true },
		Logs: logs, Now: func() time.Time { return now }})
	return oncallFixture{h: h, cur: cur, hist: hist, failedAt: failedAt, doneAt: doneAt}
}

var (
	markRe = regexp.MustCompile(`<span class="mark ([a-z]+)"[^>]*>([^<]*)</span>`)
	hrefRe = regexp.MustCompile(`<a class="run-link" href="([^"]*)">`)
)

// rowHTML is the HTML of the row of (forecast, period) in table id.
func rowHTML(t *testing.T, body, id, forecast, period string) string {
	t.Helper()
	for _, m := range tableRe.FindAllStringSubmatch(body, -1) {
		if m[1] != id {
			continue
		}
		for _, r := range rowRe.FindAllStringSubmatch(m[2], -1) {
			if r[2] == forecast && r[3] == period {
				return r[4]
			}
		}
	}
	t.Fatalf("no row %s %s in table %s:\n%s", forecast, period, id, body)
	return ""
}

func TestTargetsShowWhatTheyWentThrough(t *testing.T) {
	f := newOncallFixture(t)
	_, body := render(t, f.h, "/")

	cur := rowHTML(t, body, "targets", f.cur.Forecast, f.cur.Period)
	if got := cellRe("error").FindStringSubmatch(cur); got == nil ||
		got[1] != "export failed: POST https://api.clari.com/v4/export/forecast/net_arr: 503 Service Unavailable" {
		t.Errorf("the failed run's error text: %v\n%s", got, cur)
	}
	if !strings.Contains(cur, `<td class="when" title="`+utc(f.failedAt)+`">59 min ago</td>`) {
		t.Errorf("the last run's age is not human:\n%s", cur)
	}
	marks := map[string]string{}
	for _, m := range markRe.FindAllStringSubmatch(cur, -1) {
		marks[m[1]] += html.UnescapeString(m[2]) + ";"
	}
	want := map[string]string{"requeue": "re-queued 1×;", "skip": "skipped: quota_reserve 3×;", "swing": "swing: commit +30.0 %;"}
	for k, v := range want {
		if marks[k] != v {
			t.Errorf("mark %s: %q, want %q (all: %v)", k, marks[k], v, marks)
		}
	}
	if _, ok := marks["drift"]; ok {
		t.Errorf("drift shown for a target whose warehouse rows match: %v", marks)
	}
	if !strings.Contains(cur, `<svg class="sparkline"`) || !strings.Contains(cur, `<circle class="failure"`) {
		t.Errorf("no sparkline with the failure marked:\n%s", cur)
	}
	hist := rowHTML(t, body, "targets", f.hist.Forecast, f.hist.Period)
	if m := markRe.FindAllStringSubmatch(hist, -1); len(m) != 1 || m[0][1] != "drift" || m[0][2] != "drift: warehouse 90 rows, export 100 (10.0 % apart)" {
		t.Errorf("the drifting target's marks: %v", m)
	}
	if strings.Contains(hist, "<svg") {
		t.Error("a sparkline for a target that never ran")
	}

	// The audit: the P1 failure first, the warning after, the pass not
	// listed; readiness is not green beside it.
	audit := regexp.MustCompile(`<tr class="([a-z]+)" data-check="([a-z_]+)"><td class="priority">(P[1-3])</td>`).FindAllStringSubmatch(body, -1)
	if len(audit) != 2 || audit[0][2] != "metrics_protected" || audit[0][1] != "fail" || audit[0][3] != "P1" || audit[1][2] != "docs_present" || audit[1][1] != "warn" {
		t.Errorf("audit rows %v, want metrics_protected (P1 FAIL) then docs_present (P3 WARN)", audit)
	}
	if !strings.Contains(body, `<li id="readiness" class="failed">`) || !strings.Contains(body, "1 P1 failure") {
		t.Errorf("readiness beside a P1 FAIL:\n%s", body)
	}

	// No revenue figure reaches the page, from the swing or its log line.
	for _, money := range []string{"7654321", "7,654,321", "9950617", "9,950,617"} {
		if strings.Contains(body, money) {
			t.Errorf("the page shows the revenue figure %s", money)
		}
	}
}

func TestRunPageShowsTheRecordAndItsLogLines(t *testing.T) {
	f := newOncallFixture(t)
	_, body := render(t, f.h, "/")
	links := hrefRe.FindAllStringSubmatch(body, -1)
	if len(links) != 3 {
		t.Fatalf("run links %v, want 3: the target's last run, and both runs in the recent runs", links)
	}
	link := strings.ReplaceAll(links[0][1], "&amp;", "&")
	want := runPath + "?" + url.Values{"at": {itoa64(f.failedAt.UnixNano())}, "forecast": {f.cur.Forecast}, "period": {f.cur.Period}}.Encode()
	if link != want {
		t.Fatalf("the last run links %s, want %s", link, want)
	}
	code, page := render(t, f.h, link)
	if code != http.StatusOK {
		t.Fatalf("run page: %d\n%s", code, page)
	}
	for _, s := range []string{`<td class="job">job-b</td>`, `<td class="status">api_error</td>`, `<td class="requeues">1</td>`,
		`<td class="error">export failed: POST https://api.clari.com/v4/export/forecast/net_arr: 503 Service Unavailable</td>`,
		`<td class="msg">export job timed out; re-queued</td>`, `<td class="msg">export failed</td>`, `<td class="msg">anomalous swing</td>`,
		"previous=(hidden) latest=(hidden) ratio=0.3"} {
		if !strings.Contains(page, s) {
			t.Errorf("the run page lacks %s:\n%s", s, page)
		}
	}
	if strings.Contains(page, "export done") {
		t.Error("the run page shows a line of the run before it")
	}
	if strings.Contains(page, `id="incomplete"`) {
		t.Error("every line of a run the history saw whole is kept: no incomplete note")
	}
	for _, money := range []string{"7654321", "9950617"} {
		if strings.Contains(page, money) {
			t.Errorf("the run page shows the revenue figure %s", money)
		}
	}

	// The successful run before it: its own line only.
	okLink := runPath + "?" + url.Values{"at": {itoa64(f.doneAt.UnixNano())}, "forecast": {f.cur.Forecast}, "period": {f.cur.Period}}.Encode()
	if code, page := render(t, f.h, okLink); code != http.StatusOK || !strings.Contains(page, `<td class="msg">export done</td>`) ||
		strings.Contains(page, "export failed") || !strings.Contains(page, `<td class="outcome ok">ok</td>`) {
		t.Errorf("the successful run's page (%d):\n%s", code, page)
	}
	for _, bad := range []string{runPath, runPath + "?forecast=net_arr&period=2026_Q4&at=12", runPath + "?forecast=net_arr&period=2026_Q4&at=x"} {
		if code, page := render(t, f.h, bad); code != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404\n%s", bad, code, page)
		}
	}
}

// A run from before this process started: its record, and a note that
// its lines are not all here, instead of an empty log presented as whole.
func TestRunPageOfARunBeforeTheRestart(t *testing.T) {
	cfg := testConfig(t)
	cur := cfg.Targets(now)[0]
	old := store.Run{Forecast: cur.Forecast, Period: cur.Period, JobID: "job-old", Outcome: "timeout",
		StartedAt: now.Add(-30 * time.Hour), FinishedAt: now.Add(-29 * time.Hour), Duration: time.Hour}
	h := New(Options{Name: "x", Config: func() *config.File { return &cfg.File },
		Runs: &fakeRuns{runs: map[[2]string][]store.Run{{cur.Forecast, cur.Period}: {old}}},
		Logs: runlog.New(runlog.Options{Now: func() time.Time { return now }}), Now: func() time.Time { return now }})
	code, page := render(t, h, runLink(old))
	if code != http.StatusOK || !strings.Contains(page, `id="incomplete"`) || !strings.Contains(page, `id="no-lines"`) ||
		!strings.Contains(page, "timeout (the run's log lines are not kept on this replica") || !strings.Contains(page, "(29 h ago)") {
		t.Errorf("the page of a run before the restart (%d):\n%s", code, page)
	}

	// A run recorded with its error shows it without any log line: after a
	// restart, and on an HA replica that did not run it.
	old.Error = "export failed: clari: export job job-old timed out after 1h0m0s"
	h.o.Runs = &fakeRuns{runs: map[[2]string][]store.Run{{cur.Forecast, cur.Period}: {old}}}
	_, body := render(t, h, "/")
	if got := cellRe("error").FindStringSubmatch(rowHTML(t, body, "recent", cur.Forecast, cur.Period)); got == nil || got[1] != old.Error {
		t.Errorf("the recorded error is not shown: %v", got)
	}
	if _, page := render(t, h, runLink(old)); !strings.Contains(page, `<td class="error">`+old.Error+`</td>`) {
		t.Errorf("the run page does not show the recorded error:\n%s", page)
	}
}

func TestEmptyStates(t *testing.T) {
	cfg := testConfig(t)
	h := New(Options{Name: "x", Config: func() *config.File { return &cfg.File }, Runs: &fakeRuns{},
		Ready: func() bool { return false }, Audit: func() []checklist.Result { return nil }, Now: func() time.Time { return now }})
	_, body := render(t, h, "/")
	for _, s := range []string{`id="no-runs"`, `<td class="when">never</td>`, `<h2>Jobs in flight</h2>
<p>None.</p>`, `<li id="readiness" class="failed">`, "loading the persisted state"} {
		if !strings.Contains(body, s) {
			t.Errorf("the empty page lacks %q:\n%s", s, body)
		}
	}
	for _, s := range []string{`<table id="recent">`, "<svg", `<span class="mark`, `id="audit"`, `id="pipeline"`} {
		if strings.Contains(body, s) {
			t.Errorf("the empty page shows %q", s)
		}
	}

	// Ready, audit run and clean: green.
	h.o.Ready, h.o.Audit = func() bool { return true }, func() []checklist.Result {
		return []checklist.Result{{ID: "a", Priority: "P1", Status: checklist.Pass}}
	}
	if _, body := render(t, h, "/"); !strings.Contains(body, `<li id="readiness" class="ok">`) {
		t.Errorf("ready with a passing audit is not green:\n%s", body)
	}
	// Ready, audit not run yet: not green either.
	h.o.Audit = func() []checklist.Result { return nil }
	if _, body := render(t, h, "/"); !strings.Contains(body, `<li id="readiness" class="warn">`) {
		t.Errorf("ready before the audit ran:\n%s", body)
	}
}

// Zero-quota mode: the pipeline comes first and the export tables, which
// could only be empty, are not drawn.
func TestZeroQuotaShowsThePipelineFirst(t *testing.T) {
	cfg, err := config.Parse([]byte("clari:\n  api_key: k-secret-123456\nschedule:\n  enabled: false\nwatch:\n  enabled: true\n  forecasts: [net_arr]\n"), "zq.yml")
	if err != nil {
		t.Fatal(err)
	}
	if !cfg.ZeroQuota() {
		t.Fatal("not zero-quota")
	}
	st := &watch.State{Enabled: true, ListedAt: now.Add(-time.Minute), Targets: []watch.Target{
		{Forecast: "net_arr", Period: "2027_Q4", Jobs: map[string]uint64{watch.StatusDone: 3}, LastJobKnown: true, LastJobSuccess: true,
			LastSuccess: now.Add(-3 * time.Hour), Inspected: true, Rows: 42, CheckFailures: map[string]uint64{watch.ReasonEmpty: 1, watch.ReasonDecodeError: 0},
			Swings: []snapshot.Swing{{Field: "commit", Previous: 5000000, Latest: 2500000, Ratio: -0.5, Anomalous: true}}},
	}}
	h := New(Options{Name: "x", Config: func() *config.File { return &cfg.File }, Runs: &fakeRuns{},
		Pipeline: fakeWatch{st}, Now: func() time.Time { return now }})
	_, body := render(t, h, "/")
	for _, s := range []string{`<table id="targets">`, `<table id="recent">`, `id="no-runs"`, "Jobs in flight", "5000000"} {
		if strings.Contains(body, s) {
			t.Errorf("zero-quota page shows %q", s)
		}
	}
	pipeline, zq := strings.Index(body, `<table id="pipeline">`), strings.Index(body, `id="zero-quota"`)
	if pipeline < 0 || zq < 0 || pipeline > zq {
		t.Errorf("the pipeline (at %d) should come before the zero-quota note (at %d):\n%s", pipeline, zq, body)
	}
	row := rowHTML(t, body, "pipeline", "net_arr", "2027_Q4")
	for _, s := range []string{`<td class="when" title="` + utc(now.Add(-3*time.Hour)) + `">3 h ago</td>`, `<span class="mark check">empty 1×</span>`,
		"swing: commit -50.0 %"} {
		if !strings.Contains(row, s) {
			t.Errorf("pipeline row lacks %q:\n%s", s, row)
		}
	}
	if strings.Contains(row, "decode_error") {
		t.Error("a check reason that never failed is listed")
	}
	// Zero-quota with nothing seen yet: a sentence, not an empty table.
	h.o.Pipeline = fakeWatch{&watch.State{Enabled: true}}
	if _, body := render(t, h, "/"); !strings.Contains(body, `id="no-pipeline"`) || strings.Contains(body, `<table id="pipeline">`) {
		t.Errorf("zero-quota before any pipeline job:\n%s", body)
	}
}

func itoa64(n int64) string { return strconv.FormatInt(n, 10) }

// A pipeline target whose newest inspected export failed its check shows
// as failed with the reason, even though its job ended DONE; one whose
// newest check passed after an earlier failure is ok again.
func TestPipelineTargetFailedItsCheck(t *testing.T) {
	cfg := testConfig(t)
	st := &watch.State{Enabled: true, Targets: []watch.Target{
		{Forecast: "net_arr", Period: "2027_Q4", Jobs: map[string]uint64{watch.StatusDone: 2}, LastJobKnown: true, LastJobSuccess: true,
			Inspected: true, CheckFailures: map[string]uint64{watch.ReasonPeriodMismatch: 1},
			LastCheck: watch.Check{JobID: "job-p2", Ended: now.Add(-time.Minute), Reason: watch.ReasonPeriodMismatch}},
		{Forecast: "net_arr", Period: "2027_Q3", Jobs: map[string]uint64{watch.StatusDone: 2}, LastJobKnown: true, LastJobSuccess: true,
			Inspected: true, Rows: 10, CheckFailures: map[string]uint64{watch.ReasonEmpty: 1},
			LastCheck: watch.Check{JobID: "job-p4", Ended: now.Add(-time.Minute)}},
	}}
	h := New(Options{Name: "x", Config: func() *config.File { return &cfg.File }, Runs: &fakeRuns{}, Pipeline: fakeWatch{st}, Now: func() time.Time { return now }})
	_, body := render(t, h, "/")
	got := tableRows(t, body, "pipeline")
	want := []pageRow{
		{class: "failed", forecast: "net_arr", period: "2027_Q4", reason: "period_mismatch: the newest inspected export (job job-p2) failed its check", rows: "0"},
		{class: "ok", forecast: "net_arr", period: "2027_Q3", rows: "10"},
	}
	if !slices.Equal(got, want) {
		t.Errorf("pipeline rows:\n got %+v\nwant %+v", got, want)
	}
}
