package runner_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-kit/log"
	"github.com/prometheus/common/model"

	"github.com/clari-exporter/clari_exporter/clari"
	"github.com/clari-exporter/clari_exporter/clari/clarisim"
	"github.com/clari-exporter/clari_exporter/config"
	"github.com/clari-exporter/clari_exporter/fiscal"
	"github.com/clari-exporter/clari_exporter/internal/testlog"
	"github.com/clari-exporter/clari_exporter/runner"
)

// februaryTenant is GitLab's calendar: the fiscal year starts 1 February
// and is named by the year it ends in. On simBase (2026-11-16) Clari's
// current quarter is 2027_Q4 (2026-11-01 to 2027-01-31); a January
// calendar calls that day's quarter 2026_Q4.
func februaryTenant(t *clarisim.TenantSpec) { t.FiscalStartMonth = time.February }

// historical sets every forecast's historical_quarters to n.
func historical(n int) func(*config.Config) {
	return func(c *config.Config) {
		for i := range c.Forecasts {
			c.Forecasts[i].HistoricalQuarters = n
		}
	}
}

// exportedPeriods lists, in create order, what each of the exporter's own
// jobs asked for ("" for no timePeriod) and what Clari exported.
func exportedPeriods(sim *clarisim.Sim) (asked, got []string) {
	for _, j := range sim.Jobs() {
		if !j.Foreign && !j.Pipeline {
			asked, got = append(asked, j.Request.TimePeriod), append(got, j.Period)
		}
	}
	return asked, got
}

func (e *env) book() *fiscal.Book {
	return fiscal.NewBook(e.store, func() *config.File { return &e.config().File }, nil)
}

// TestLearnsTheFiscalCalendarFromClari: without fiscal_calendar, against a
// February-year tenant, the first export asks for no period, Clari's
// answer teaches the calendar, and then exactly the intended quarters are
// exported (current + 2 historical, Clari's labels) and no other. After a
// restart the learned calendar is reused: no export is spent to re-learn.
func TestLearnsTheFiscalCalendarFromClari(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{forecasts: []string{"net_arr"}, tenant: februaryTenant, learnCalendar: true,
		config: historical(2), scenario: scenarioInstant()})
	book := e.book()
	r := e.runner(func(o *runner.Options) { o.Calendar = book })
	want := []string{"2027_Q4", "2027_Q3", "2027_Q2"}
	es := runUntil(t, r, "the learned quarters exported", func(es *runner.State) bool { return len(es.Targets) == 3 && allRan(1)(es) })
	var periods []string
	for _, ts := range es.Targets {
		periods = append(periods, ts.Period)
		if !ts.LastRunSuccess || ts.Runs != 1 {
			t.Errorf("%s: runs %d, last success %v; want one successful run", ts.Period, ts.Runs, ts.LastRunSuccess)
		}
	}
	if !slices.Equal(periods, want) {
		t.Fatalf("targets %v, want %v", periods, want)
	}
	asked, got := exportedPeriods(e.sim)
	if wantAsked := []string{"", "2027_Q3", "2027_Q2"}; !slices.Equal(asked, wantAsked) || !slices.Equal(got, want) {
		t.Fatalf("jobs asked for %q and exported %q; want %q and %q", asked, got, wantAsked, want)
	}
	wantState := fiscal.State{Source: fiscal.SourceClari, StartMonth: 2, YearLabel: config.YearLabelEnd, Verified: true}
	if s := book.State(); s != wantState {
		t.Fatalf("calendar %+v, want %+v", s, wantState)
	}

	// A restart: a new runner and book on the same store.
	r2 := e.runner(func(o *runner.Options) { o.Calendar = e.book() })
	if err := r2.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	runFor(t, r2, 300*time.Millisecond)
	if n := e.sim.Stats().JobsCreated; n != 3 {
		t.Fatalf("JobsCreated %d after a restart, want still 3 (nothing re-learned, nothing due)", n)
	}
	if es := r2.ExportState(); len(es.Targets) != 3 || es.Targets[0].Period != "2027_Q4" || es.Targets[0].Runs != 1 {
		t.Fatalf("after a restart the targets are %+v, want the three learned ones", es.Targets)
	}
}

// calendarHeld is a runUntil condition: every target failed or was
// skipped for the calendar mismatch.
func calendarHeld(es *runner.State) bool {
	if len(es.Targets) == 0 {
		return false
	}
	for _, ts := range es.Targets {
		if ts.Failures[fiscal.ReasonMismatch]+ts.Skips[fiscal.ReasonMismatch] == 0 {
			return false
		}
	}
	return true
}

// TestWrongFiscalCalendarSpendsOneExport: a configured January calendar
// against a February tenant spends exactly one export (it fails
// calendar_mismatch, keeps no snapshot), every other export is skipped
// calendar_mismatch, also once their intervals pass, and the log names the
// fix. A reload with the right calendar resumes exports at once.
func TestWrongFiscalCalendarSpendsOneExport(t *testing.T) {
	t.Parallel()
	var logs testlog.Buffer
	e := newEnv(t, envOptions{tenant: februaryTenant, config: func(c *config.Config) {
		c.FiscalCalendar = config.FiscalCalendar{StartMonth: 1, YearLabel: config.YearLabelEnd}
		historical(1)(c)
	}, scenario: scenarioInstant()})
	book := e.book()
	r := e.runner(func(o *runner.Options) { o.Calendar = book; o.Logger = log.NewLogfmtLogger(&logs) })
	es := runUntil(t, r, "every target held", calendarHeld)
	if n := e.sim.Stats().JobsCreated; n != 1 {
		t.Fatalf("JobsCreated %d, want exactly 1 spent on the wrong calendar", n)
	}
	first := es.Targets[0] // the current quarter of the first forecast: the one exported
	if first.Failures[fiscal.ReasonMismatch] != 1 || first.Latest != nil {
		t.Fatalf("%s/%s: failures %v, snapshot %v; want one calendar_mismatch failure and no snapshot", first.Forecast, first.Period, first.Failures, first.Latest)
	}
	if s := book.State(); !s.Mismatch || !strings.Contains(s.Fix, "fiscal_calendar.start_month: 2") {
		t.Fatalf("calendar %+v, want a mismatch whose fix names start_month: 2", s)
	}
	if len(logs.Lines("fiscal_calendar.start_month: 2")) == 0 {
		t.Errorf("no log line names the fix; log:\n%s", logs.String())
	}
	// Intervals pass: still nothing spent.
	e.clock.Advance(8 * 24 * time.Hour)
	runFor(t, r, 200*time.Millisecond)
	if n := e.sim.Stats().JobsCreated; n != 1 {
		t.Fatalf("JobsCreated %d after the intervals passed, want still 1", n)
	}

	e.setConfig(func(c *config.Config) {
		c.FiscalCalendar = config.FiscalCalendar{StartMonth: 2, YearLabel: config.YearLabelEnd}
	})
	es = runUntil(t, r, "exports resumed after the reload", allRan(1))
	if n := e.sim.Stats().JobsCreated; n != 5 {
		t.Errorf("JobsCreated %d after the reload, want 1 + the 4 targets", n)
	}
	for _, ts := range es.Targets {
		if !strings.HasPrefix(ts.Period, "2027_") || !ts.LastRunSuccess {
			t.Errorf("after the reload %s/%s: success %v; want February labels exported", ts.Forecast, ts.Period, ts.LastRunSuccess)
		}
	}
	if s := book.State(); s.Mismatch || !s.Verified || s.Source != fiscal.SourceConfig {
		t.Errorf("calendar after the reload %+v, want the configured one verified", s)
	}
}

// TestLearningExportResumedAfterARestart: a restart while the learning
// export (asked without timePeriod) is in flight resumes that job, records
// it under the quarter Clari named, and spends nothing more to learn.
func TestLearningExportResumedAfterARestart(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{forecasts: []string{"net_arr"}, tenant: februaryTenant, learnCalendar: true,
		config: func(c *config.Config) {
			historical(1)(c)
			c.Clari.PollTimeout = model.Duration(30 * time.Second)
		}, scenario: clarisim.Scenario{JobDuration: time.Second}})
	r := e.runner(func(o *runner.Options) { o.Calendar = e.book() })
	runUntil(t, r, "the learning export created", func(*runner.State) bool { return e.sim.Stats().JobsCreated == 1 })
	learningJob := e.sim.Jobs()[0].Job.JobID

	book := e.book()
	r2 := e.runner(func(o *runner.Options) { o.Calendar = book })
	es := runUntil(t, r2, "both learned quarters exported", func(es *runner.State) bool { return len(es.Targets) == 2 && allRan(1)(es) })
	if n := e.sim.Stats().JobsCreated; n != 2 {
		t.Fatalf("JobsCreated %d, want 2: the learning job resumed, one historical quarter", n)
	}
	if cur := es.Targets[0]; cur.Period != "2027_Q4" || cur.Latest == nil || cur.Latest.JobID != learningJob {
		t.Fatalf("current target %+v, want 2027_Q4 recorded from the resumed learning job %s", cur.TargetState, learningJob)
	}
	if s := book.State(); s.Source != fiscal.SourceClari || s.StartMonth != 2 {
		t.Fatalf("calendar %+v, want learned February", s)
	}
	inflight, err := e.store.InFlight(context.Background())
	if err != nil || len(inflight) != 0 {
		t.Fatalf("in-flight jobs after the runs: %+v, %v; want none (the learning row under period \"\" cleared)", inflight, err)
	}
}

// TestCSVForecastWaitsForTheJSONLearningExport: CSV results state no period
// id, so a JSON forecast learns the calendar (the first forecast here
// exports CSV); the CSV export then runs with its rows placed by the
// learned February calendar, and passes its period check.
func TestCSVForecastWaitsForTheJSONLearningExport(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{tenant: februaryTenant, learnCalendar: true, scenario: scenarioInstant(),
		config: func(c *config.Config) { c.Forecasts[0].ExportFormat = "CSV" }})
	r := e.runner(func(o *runner.Options) { o.Calendar = e.book() })
	es := runUntil(t, r, "both forecasts exported", allRan(1))
	jobs := e.sim.Jobs()
	if len(jobs) != 2 || jobs[0].ForecastID != "bookings" || jobs[0].Request.TimePeriod != "" || jobs[0].Request.ExportFormat != "JSON" {
		t.Fatalf("first job %+v; want the JSON forecast bookings asked for no period", jobs[0].Request)
	}
	if jobs[1].ForecastID != "net_arr" || jobs[1].Request.TimePeriod != "2027_Q4" || jobs[1].Request.ExportFormat != "CSV" {
		t.Fatalf("second job %+v; want net_arr's CSV export of the learned 2027_Q4", jobs[1].Request)
	}
	for _, ts := range es.Targets {
		if ts.Period != "2027_Q4" || !ts.LastRunSuccess {
			t.Errorf("%s/%s: last success %v, failures %v; want 2027_Q4 exported", ts.Forecast, ts.Period, ts.LastRunSuccess, ts.Failures)
		}
	}
}

// TestFailedLearningExportIsAFailureAndNothingElseRuns: while the calendar
// is unknown the learning export is the only target, published under
// period "" so that its failure is counted (and pages) like any other;
// nothing else is exported, and it is retried on the current interval.
func TestFailedLearningExportIsAFailureAndNothingElseRuns(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{tenant: februaryTenant, learnCalendar: true, config: historical(1),
		scenario: clarisim.Scenario{JobDuration: time.Millisecond, FinalStatus: clari.StatusFailed}})
	book := e.book()
	r := e.runner(func(o *runner.Options) { o.Calendar = book })
	es := runUntil(t, r, "the learning export failed", allRan(1))
	if len(es.Targets) != 1 || es.Targets[0].Forecast != "net_arr" || es.Targets[0].Period != "" || es.Targets[0].LastRunSuccess || es.Targets[0].Failures["failed"] != 1 {
		t.Fatalf("targets %+v, want only net_arr's learning export, failed once", es.Targets)
	}
	runFor(t, r, 200*time.Millisecond)
	if n := e.sim.Stats().JobsCreated; n != 1 {
		t.Fatalf("JobsCreated %d before the interval passed, want 1 (nothing but the learning export)", n)
	}
	if s := book.State(); s.Source != fiscal.SourceUnknown {
		t.Fatalf("calendar %+v after a failed learning export, want unknown", s)
	}
	e.clock.Advance(7 * time.Hour)
	runUntil(t, r, "the learning export retried", allRan(2))
	if n := e.sim.Stats().JobsCreated; n != 2 {
		t.Fatalf("JobsCreated %d after the interval, want 2", n)
	}
}

// TestLearningExportWaitsForTheWatch: with the pipeline watch inspecting
// documents, the runner gives it one watch interval to learn the calendar
// for free; once it has, the schedule runs on it and no learning export is
// ever sent.
func TestLearningExportWaitsForTheWatch(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{forecasts: []string{"net_arr"}, tenant: februaryTenant, learnCalendar: true, scenario: scenarioInstant(),
		config: func(c *config.Config) {
			c.Watch.Enabled, c.Watch.InspectResults = true, true
			c.Watch.Interval = model.Duration(time.Hour)
		}})
	book := e.book()
	r := e.runner(func(o *runner.Options) { o.Calendar = book })
	runFor(t, r, 300*time.Millisecond)
	if n := e.sim.Stats().JobsCreated; n != 0 {
		t.Fatalf("JobsCreated %d within the watch interval, want 0: the watch may learn the calendar for free", n)
	}
	// What the watch does with the first pipeline document it inspects.
	cfg := &e.config().File
	if err := book.Observe(context.Background(), cfg, fiscal.OriginPipeline, clari.TimePeriod{TimePeriodID: "2027_Q4", StartDate: "2026-11-01", EndDate: "2027-01-31"}); err != nil {
		t.Fatal(err)
	}
	runUntil(t, r, "the learned current quarter exported", allRan(1))
	if asked, _ := exportedPeriods(e.sim); !slices.Equal(asked, []string{"2027_Q4"}) {
		t.Fatalf("jobs asked for %q, want only 2027_Q4: no learning export", asked)
	}

	// Without the watch's help the learning export goes out after one
	// watch interval.
	e2 := newEnv(t, envOptions{forecasts: []string{"net_arr"}, tenant: februaryTenant, learnCalendar: true, scenario: scenarioInstant(),
		config: func(c *config.Config) {
			c.Watch.Enabled, c.Watch.InspectResults = true, true
			c.Watch.Interval = model.Duration(time.Hour)
		}})
	r2 := e2.runner(func(o *runner.Options) { o.Calendar = e2.book() })
	began, advanced, createdBefore := time.Now(), false, -1
	runUntil(t, r2, "the learning export after the watch interval", func(es *runner.State) bool {
		if !advanced && time.Since(began) > 200*time.Millisecond {
			createdBefore = e2.sim.Stats().JobsCreated
			e2.clock.Advance(time.Hour)
			advanced = true
		}
		return advanced && allRan(1)(es)
	})
	if createdBefore != 0 {
		t.Errorf("JobsCreated %d before the watch interval passed, want 0", createdBefore)
	}
	if asked, got := exportedPeriods(e2.sim); !slices.Equal(asked, []string{""}) || !slices.Equal(got, []string{"2027_Q4"}) {
		t.Fatalf("jobs asked for %q and exported %q, want one learning export of 2027_Q4", asked, got)
	}
}
