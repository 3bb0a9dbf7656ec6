package fiscal_test

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/clari-exporter/clari_exporter/clari"
	"github.com/clari-exporter/clari_exporter/config"
	"github.com/clari-exporter/clari_exporter/fiscal"
	"github.com/clari-exporter/clari_exporter/store"
)

var (
	febEnd   = config.FiscalCalendar{StartMonth: 2, YearLabel: config.YearLabelEnd}
	febStart = config.FiscalCalendar{StartMonth: 2, YearLabel: config.YearLabelStart}
	jan      = config.FiscalCalendar{StartMonth: 1, YearLabel: config.YearLabelEnd}
	oct      = config.FiscalCalendar{StartMonth: 10, YearLabel: config.YearLabelEnd}
)

func TestLearnFromOnePeriod(t *testing.T) {
	cases := []struct {
		id, start, end string
		want           config.FiscalCalendar
	}{
		// GitLab: the year starts 1 February and is named by the year it ends.
		{"2027_Q4", "2026-11-01", "2027-01-31", febEnd},
		{"2024_Q1", "2023-02-01", "2023-04-30", febEnd},
		{"2026_Q4", "2026-11-01", "2027-01-31", febStart},
		{"2026_Q4", "2026-10-01", "2026-12-31", jan},
		{"2027_Q1", "2026-10-01", "2026-12-31", oct},
		// The next quarter's first day as endDate is accepted too.
		{"2027_Q4", "2026-11-01", "2027-02-01", febEnd},
	}
	for _, c := range cases {
		got, err := fiscal.Learn(store.CalendarPeriod{PeriodID: c.id, StartDate: c.start, EndDate: c.end})
		if err != nil || got != c.want {
			t.Errorf("Learn(%s %s..%s) = %+v, %v; want %+v", c.id, c.start, c.end, got, err, c.want)
		}
	}
}

func TestLearnRefusesWhatNoCalendarFits(t *testing.T) {
	cases := []struct{ id, start, end, want string }{
		{"2027_Q4", "2026-11-03", "2027-02-01", "not on the first of a month"},
		{"2027_Q4", "2026-11-01", "2026-12-31", "fits no fiscal calendar"},       // two months
		{"2029_Q4", "2026-11-01", "2027-01-31", "fits no fiscal calendar"},       // year two off
		{"Q4 2027", "2026-11-01", "2027-01-31", "must be a fiscal quarter like"}, // a label, not an id
		{"2027_Q4", "11/01/2026", "2027-01-31", "is not a date"},
	}
	for _, c := range cases {
		_, err := fiscal.Learn(store.CalendarPeriod{PeriodID: c.id, StartDate: c.start, EndDate: c.end})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Learn(%s %s..%s) error = %v, want one containing %q", c.id, c.start, c.end, err, c.want)
		}
	}
}

// bookEnv is a Book over a fresh SQLite store and a swappable config.
type bookEnv struct {
	st   store.Store
	path string
	cfg  atomic.Pointer[config.File]
}

func newBookEnv(t *testing.T) *bookEnv {
	t.Helper()
	e := &bookEnv{path: t.TempDir() + "/s.db"}
	e.open(t)
	c := config.Default().File
	c.Forecasts = []config.Forecast{config.DefaultForecast("net_arr")}
	e.cfg.Store(&c)
	return e
}

func (e *bookEnv) open(t *testing.T) {
	t.Helper()
	st, err := store.OpenSQLite(e.path, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	e.st = st
}

func (e *bookEnv) book(t *testing.T) *fiscal.Book {
	t.Helper()
	b := fiscal.NewBook(e.st, e.cfg.Load, nil)
	if err := b.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	return b
}

func (e *bookEnv) setCalendar(cal config.FiscalCalendar) {
	c := *e.cfg.Load()
	c.FiscalCalendar = cal
	e.cfg.Store(&c)
}

var currentFeb = clari.TimePeriod{TimePeriodID: "2027_Q4", StartDate: "2026-11-01", EndDate: "2027-01-31"}

// TestBookLearnsAndKeepsTheCalendar: without a configured calendar the
// first stated period teaches it, and a restart (a new Book on the same
// store) knows it without another document.
func TestBookLearnsAndKeepsTheCalendar(t *testing.T) {
	e := newBookEnv(t)
	b := e.book(t)
	if s, got := b.State(), b.Resolve(e.cfg.Load()).Targets(t0()); s.Source != fiscal.SourceUnknown || len(got) != 0 {
		t.Fatalf("before any document: %+v, targets %+v; want unknown and no targets", s, got)
	}
	if err := b.Observe(context.Background(), e.cfg.Load(), fiscal.OriginPipeline, currentFeb); err != nil {
		t.Fatalf("Observe: %v", err)
	}
	want := fiscal.State{Source: fiscal.SourceClari, StartMonth: 2, YearLabel: config.YearLabelEnd, Verified: true}
	if s := b.State(); s != want {
		t.Fatalf("after learning: %+v, want %+v", s, want)
	}
	if got := b.Resolve(e.cfg.Load()).Targets(t0()); len(got) == 0 || got[0].Period != "2027_Q4" {
		t.Fatalf("targets on 2026-12-08: %+v, want Clari's current 2027_Q4 first", got)
	}
	_ = e.st.Close()
	e.open(t)
	if s := e.book(t).State(); s != want {
		t.Fatalf("after a restart: %+v, want %+v", s, want)
	}
}

// TestBookFindsAWrongConfiguredCalendar: a configured January calendar is
// contradicted by a February tenant's period; the mismatch names the fix,
// survives a restart, and a reload with the right calendar clears it with
// no further document.
func TestBookFindsAWrongConfiguredCalendar(t *testing.T) {
	e := newBookEnv(t)
	e.setCalendar(jan)
	b := e.book(t)
	if s := b.State(); s.Source != fiscal.SourceConfig || s.Verified || s.Mismatch {
		t.Fatalf("configured, nothing stated yet: %+v, want config, unverified, no mismatch", s)
	}
	// Clari's 2026_Q4 (asked for in the January calendar) is Nov 2025 to Jan 2026.
	err := b.Observe(context.Background(), e.cfg.Load(), fiscal.OriginExport,
		clari.TimePeriod{TimePeriodID: "2026_Q4", StartDate: "2025-11-01", EndDate: "2026-01-31"})
	var m *fiscal.MismatchError
	if !asMismatch(err, &m) || !strings.Contains(err.Error(), "fiscal_calendar.start_month: 2") {
		t.Fatalf("Observe = %v, want a mismatch naming fiscal_calendar.start_month: 2", err)
	}
	check := func(when string, b *fiscal.Book) {
		s := b.State()
		if !s.Mismatch || !strings.Contains(s.Fix, "fiscal_calendar.start_month: 2") || b.Mismatch(e.cfg.Load()) == nil {
			t.Fatalf("%s: %+v, want a mismatch naming start_month: 2", when, s)
		}
	}
	check("after the document", b)
	_ = e.st.Close()
	e.open(t)
	b = e.book(t)
	check("after a restart", b)
	e.setCalendar(oct) // still wrong: caught without a document
	check("after a reload with another wrong calendar", b)
	e.setCalendar(febEnd)
	want := fiscal.State{Source: fiscal.SourceConfig, StartMonth: 2, YearLabel: config.YearLabelEnd, Verified: true}
	if s := b.State(); s != want || b.Mismatch(e.cfg.Load()) != nil {
		t.Fatalf("after a reload with the right calendar: %+v, want %+v", s, want)
	}
}

func asMismatch(err error, m **fiscal.MismatchError) bool {
	var ok bool
	*m, ok = err.(*fiscal.MismatchError)
	return ok
}
