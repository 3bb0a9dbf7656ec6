package store

import (
	"context"
	"testing"
	"time"
)

// TestCalendarPeriodSurvivesReopen: the period a Clari document stated is
// kept across a restart (the learned calendar is not paid for twice), the
// newest one replaces the older, and none is reported before the first.
func TestCalendarPeriodSurvivesReopen(t *testing.T) {
	forEachBackend(t, testCalendarPeriodSurvivesReopen)
}

func testCalendarPeriodSurvivesReopen(t *testing.T, b backend) {
	ctx := context.Background()
	s, loc := openStore(t, b)
	if p, ok, err := s.CalendarPeriod(ctx); err != nil || ok {
		t.Fatalf("fresh store: CalendarPeriod = %+v, %v, %v; want none", p, ok, err)
	}
	first := CalendarPeriod{PeriodID: "2027_Q3", StartDate: "2026-08-01", EndDate: "2026-10-31", Origin: "pipeline", SeenAt: t0}
	newest := CalendarPeriod{PeriodID: "2027_Q4", StartDate: "2026-11-01", EndDate: "2027-01-31", Origin: "export", SeenAt: t0.Add(time.Hour)}
	for _, p := range []CalendarPeriod{first, newest} {
		if err := s.PutCalendarPeriod(ctx, p); err != nil {
			t.Fatalf("PutCalendarPeriod(%+v): %v", p, err)
		}
	}
	s.Close()
	s2, err := b.openAt(loc)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer s2.Close()
	got, ok, err := s2.CalendarPeriod(ctx)
	if err != nil || !ok {
		t.Fatalf("after reopen: CalendarPeriod = %+v, %v, %v", got, ok, err)
	}
	if !got.SeenAt.Equal(newest.SeenAt) {
		t.Errorf("seen at %v, want %v", got.SeenAt, newest.SeenAt)
	}
	got.SeenAt = newest.SeenAt
	if got != newest {
		t.Errorf("after reopen: %+v, want the newest %+v", got, newest)
	}
}
