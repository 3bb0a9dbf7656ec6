package watch

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/clari-exporter/clari_exporter/clari/clarisim"
	"github.com/clari-exporter/clari_exporter/config"
	"github.com/clari-exporter/clari_exporter/fiscal"
)

// februaryEnv is a watch over a February-year tenant's pipeline (GitLab's
// calendar) with one DONE JSON export, and a calendar book on the store.
func februaryEnv(t *testing.T) (*env, *fiscal.Book, *Watcher, string) {
	t.Helper()
	e := newTenantEnv(t, clarisim.Scenario{}, clarisim.TenantSpec{Users: 6, FiscalStartMonth: time.February})
	f0 := e.sim.Tenant().Forecasts[0]
	if err := e.sim.StartPipeline(e.start, []clarisim.PipelineJob{{At: 0, Forecast: f0}}); err != nil {
		t.Fatal(err)
	}
	book := fiscal.NewBook(e.st, func() *config.File { return &e.cfg.File }, nil)
	w := New(Options{Clari: e.c, Store: e.st, Config: func() *config.File { return &e.cfg.File }, Calendar: book, Now: e.clk.Now,
		Sleep: func(ctx context.Context, d time.Duration) error { return nil }})
	return e, book, w, f0
}

// pollUntilInspected polls (advancing the clock) until a target of
// forecast was inspected.
func pollUntilInspected(t *testing.T, e *env, w *Watcher, forecast string) Target {
	t.Helper()
	for range 40 {
		poll(t, w)
		for _, tg := range w.State().Targets {
			if tg.Forecast == forecast && tg.Inspected {
				return tg
			}
		}
		e.clk.Advance(5 * time.Second)
	}
	t.Fatalf("no export of %s was inspected in 40 polls", forecast)
	return Target{}
}

// TestWatchLearnsTheFiscalCalendar: without fiscal_calendar, the first
// inspected pipeline document teaches the February calendar: zero creates.
func TestWatchLearnsTheFiscalCalendar(t *testing.T) {
	e, book, w, f0 := februaryEnv(t)
	if s := book.State(); s.Source != fiscal.SourceUnknown {
		t.Fatalf("before any document: %+v", s)
	}
	pollUntilInspected(t, e, w, f0)
	want := fiscal.State{Source: fiscal.SourceClari, StartMonth: 2, YearLabel: config.YearLabelEnd, Verified: true}
	if s := book.State(); s != want {
		t.Fatalf("calendar %+v, want %+v", s, want)
	}
	if n := e.sim.Stats().CreateCalls; n != 0 {
		t.Fatalf("CreateCalls %d, want 0: the watch learns for free", n)
	}
}

// TestWatchChecksTheConfiguredCalendar: a configured January calendar is
// contradicted by the pipeline's document: check failure calendar_mismatch,
// and the book holds the mismatch (the runner's exports with it).
func TestWatchChecksTheConfiguredCalendar(t *testing.T) {
	e, book, w, f0 := februaryEnv(t)
	e.cfg.FiscalCalendar = config.FiscalCalendar{StartMonth: 1, YearLabel: config.YearLabelEnd}
	e.cfg.Watch.Enabled = true
	// The seed (newest DONE job at the first poll) counts no failure: let
	// the first poll see none, then one ends.
	poll(t, w)
	tg := pollUntilInspected(t, e, w, f0)
	if got := tg.CheckFailures[ReasonCalendarMismatch]; got != 1 {
		t.Errorf("check failures %v, want calendar_mismatch 1", tg.CheckFailures)
	}
	if s := book.State(); !s.Mismatch || !strings.Contains(s.Fix, "fiscal_calendar.start_month: 2") {
		t.Errorf("calendar %+v, want a mismatch naming start_month: 2", s)
	}
}
