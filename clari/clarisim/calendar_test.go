package clarisim

import (
	"bytes"
	"encoding/json"
	"net/http"
	"testing"
	"time"
)

// Weekday-aligned weeks, for every start month and week-start day over
// several years: week 0 holds the quarter's first day and starts at most 6
// days before it on the chosen weekday, the weeks are consecutive and the
// last one holds the quarter's last day (13 or 14 weeks).
func TestAlignedWeeksCoverEveryQuarter(t *testing.T) {
	for m := time.January; m <= time.December; m++ {
		for wd := time.Sunday; wd <= time.Saturday; wd++ {
			spec := TenantSpec{FiscalStartMonth: m, AlignWeeks: true, WeekStart: wd}.WithDefaults()
			for y := 2023; y <= 2028; y++ {
				for qn := 1; qn <= 4; qn++ {
					q := makeQuarter(y, qn, m)
					n := spec.WeeksIn(q)
					first, last := spec.WeekOf(q, 1), spec.WeekOf(q, n)
					before := q.Start.Sub(first.Start)
					if first.Start.Weekday() != wd || before < 0 || before > 6*24*time.Hour {
						t.Fatalf("%v/%v %s: week 0 starts %s (%s), quarter %s", m, wd, q.ID(), first.Start.Format("2006-01-02"), first.Start.Weekday(), q.Start.Format("2006-01-02"))
					}
					if n < 13 || n > 14 || last.Start.After(q.End) || last.End.Before(q.End) {
						t.Fatalf("%v/%v %s: %d weeks, last %s..%s, quarter ends %s", m, wd, q.ID(), n, last.Start, last.End, q.End)
					}
					for i := 2; i <= n; i++ {
						if !spec.WeekOf(q, i).Start.Equal(spec.WeekOf(q, i-1).Start.AddDate(0, 0, 7)) {
							t.Fatalf("%s: week %d is not 7 days after week %d", q.ID(), i-1, i-2)
						}
					}
				}
			}
		}
	}
}

// A February-year tenant on 2026-12-08 (the date issue 19 was seen on):
// Clari's current quarter is 2027_Q4, November 2026 to January 2027, the
// document says so in timePeriods, and week 0 starts on Friday 2026-10-30,
// before the quarter. A January-year request label of that quarter is
// another quarter, so the label alone cannot tell the calendar: the dates
// can.
func TestFebruaryYearDocument(t *testing.T) {
	now := time.Date(2026, 12, 8, 9, 0, 0, 0, time.UTC)
	spec := TenantSpec{Users: 3, Fields: 1}.WithFebruaryYear()
	sim, srv, _ := newTestSim(t, Options{Tenant: spec, Clock: NewClock(now).Now})
	id := create(t, srv, "net_arr", `{"includeHistorical":true}`)
	code, _, b := do(t, srv, http.MethodGet, "/export/jobs/"+id+"/results", "")
	if code != 200 {
		t.Fatalf("results %d %s", code, b)
	}
	var doc struct {
		TimePeriods []struct{ TimePeriodID, Label, Year, StartDate, EndDate string } `json:"timePeriods"`
		TimeFrames  []struct{ TimeFrameID, StartDate, EndDate string }               `json:"timeFrames"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.TimePeriods) != 1 {
		t.Fatalf("timePeriods %+v", doc.TimePeriods)
	}
	p := doc.TimePeriods[0]
	if p.TimePeriodID != "2027_Q4" || p.Year != "2027" || p.StartDate != "2026-11-01" || p.EndDate != "2027-01-31" {
		t.Errorf("current quarter of a February year on %s: %+v", now.Format("2006-01-02"), p)
	}
	// Week 0 (Fri 10-30) .. the week of 12-08 (Fri 12-04): 6 weeks so far.
	if len(doc.TimeFrames) != 6 || doc.TimeFrames[0].TimeFrameID != "TF:2026-10-30" || doc.TimeFrames[0].EndDate != "2026-11-05" || doc.TimeFrames[5].StartDate != "2026-12-04" {
		t.Errorf("time frames %+v", doc.TimeFrames)
	}
	if sp := sim.Tenant(); sp.FiscalStartMonth != time.February || !sp.AlignWeeks || sp.WeekStart != time.Friday {
		t.Errorf("tenant %+v", sp)
	}
	// The CSV of the same export: Week 0 starts 10/30/2026.
	id = create(t, srv, "net_arr", `{"includeHistorical":true,"exportFormat":"CSV"}`)
	_, _, b = do(t, srv, http.MethodGet, "/export/jobs/"+id+"/results", "")
	if !bytes.Contains(b, []byte(",0,10/30/2026,11/05/2026,")) {
		t.Errorf("CSV has no week 0 starting 10/30/2026:\n%.600s", b)
	}
}
