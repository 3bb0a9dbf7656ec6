package config

import (
	"strings"
	"testing"
	"time"
)

func date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

func TestPeriodAt(t *testing.T) {
	jan := FiscalCalendar{StartMonth: 1, YearLabel: YearLabelEnd}
	febEnd := FiscalCalendar{StartMonth: 2, YearLabel: YearLabelEnd}
	febStart := FiscalCalendar{StartMonth: 2, YearLabel: YearLabelStart}
	oct := FiscalCalendar{StartMonth: 10, YearLabel: YearLabelEnd}
	cases := []struct {
		name       string
		fc         FiscalCalendar
		at         time.Time
		label      string
		start, end time.Time
	}{
		{"jan start mid Q4", jan, date(2026, 11, 27), "2026_Q4", date(2026, 10, 1), date(2027, 1, 1)},
		{"jan start first day", jan, date(2026, 1, 1), "2026_Q1", date(2026, 1, 1), date(2026, 4, 1)},
		{"jan start last instant", jan, time.Date(2026, 12, 31, 23, 59, 59, 0, time.UTC), "2026_Q4", date(2026, 10, 1), date(2027, 1, 1)},
		{"jan start year_label start is the same", FiscalCalendar{StartMonth: 1, YearLabel: YearLabelStart}, date(2026, 5, 5), "2026_Q2", date(2026, 4, 1), date(2026, 7, 1)},
		{"zero calendar is calendar year", FiscalCalendar{}, date(2026, 7, 1), "2026_Q3", date(2026, 7, 1), date(2026, 10, 1)},
		{"feb end: FY2027 Q1 is Feb-Apr 2026", febEnd, date(2026, 2, 1), "2027_Q1", date(2026, 2, 1), date(2026, 5, 1)},
		{"feb end: April", febEnd, date(2026, 4, 30), "2027_Q1", date(2026, 2, 1), date(2026, 5, 1)},
		{"feb end: January is last quarter of previous FY", febEnd, date(2026, 1, 31), "2026_Q4", date(2025, 11, 1), date(2026, 2, 1)},
		{"feb end: Q4 spans new year", febEnd, date(2026, 12, 15), "2027_Q4", date(2026, 11, 1), date(2027, 2, 1)},
		{"feb start: FY2026 Q1", febStart, date(2026, 2, 1), "2026_Q1", date(2026, 2, 1), date(2026, 5, 1)},
		{"feb start: January", febStart, date(2026, 1, 15), "2025_Q4", date(2025, 11, 1), date(2026, 2, 1)},
		{"oct end: US federal FY2026 Q1", oct, date(2025, 10, 1), "2026_Q1", date(2025, 10, 1), date(2026, 1, 1)},
		{"oct end: September", oct, date(2026, 9, 30), "2026_Q4", date(2026, 7, 1), date(2026, 10, 1)},
		{"utc date decides", jan, time.Date(2026, 1, 1, 1, 0, 0, 0, time.FixedZone("UTC+5", 5*3600)), "2025_Q4", date(2025, 10, 1), date(2026, 1, 1)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := tc.fc.PeriodAt(tc.at)
			if p.Label() != tc.label || !p.Start.Equal(tc.start) || !p.End.Equal(tc.end) {
				t.Errorf("PeriodAt(%s) = %s [%s, %s), want %s [%s, %s)", tc.at, p.Label(), p.Start.Format(time.DateOnly), p.End.Format(time.DateOnly),
					tc.label, tc.start.Format(time.DateOnly), tc.end.Format(time.DateOnly))
			}
			back, err := tc.fc.PeriodOf(tc.label)
			if err != nil || back != p {
				t.Errorf("PeriodOf(%s) = %+v, %v; want %+v", tc.label, back, err, p)
			}
		})
	}
}

// Every day of several years maps to a quarter that contains it and whose
// label maps back to the same dates; consecutive quarters tile the time line.
func TestPeriodRoundTripAllCalendars(t *testing.T) {
	for m := 1; m <= 12; m++ {
		for _, yl := range []string{YearLabelEnd, YearLabelStart} {
			fc := FiscalCalendar{StartMonth: m, YearLabel: yl}
			var prev Period
			first := true
			for d := date(2023, 1, 1); d.Before(date(2029, 1, 1)); d = d.AddDate(0, 0, 1) {
				p := fc.PeriodAt(d)
				if !p.Contains(d) {
					t.Fatalf("%+v: PeriodAt(%s) = %s does not contain it", fc, d, p)
				}
				if p.Quarter == 1 && p.Start.Month() != time.Month(m) {
					t.Fatalf("%+v: Q1 starts in %s", fc, p.Start.Month())
				}
				if back, err := fc.PeriodOf(p.Label()); err != nil || back != p {
					t.Fatalf("%+v: PeriodOf(%s) = %+v, %v, want %+v", fc, p.Label(), back, err, p)
				}
				if !first && p != prev {
					if !p.Start.Equal(prev.End) || fc.Shift(prev, 1) != p || fc.Shift(p, -1) != prev {
						t.Fatalf("%+v: %s does not follow %s", fc, p, prev)
					}
				}
				prev, first = p, false
			}
		}
	}
}

func TestShiftAcrossYears(t *testing.T) {
	fc := FiscalCalendar{StartMonth: 2, YearLabel: YearLabelEnd}
	q1, _ := fc.PeriodOf("2027_Q1")
	cases := map[int]string{-1: "2026_Q4", -4: "2026_Q1", -5: "2025_Q4", 0: "2027_Q1", 3: "2027_Q4", 4: "2028_Q1", -9: "2024_Q4"}
	for n, want := range cases {
		if got := fc.Shift(q1, n); got.Label() != want {
			t.Errorf("Shift(2027_Q1, %d) = %s, want %s", n, got, want)
		}
	}
	if got := fc.Shift(q1, -1); !got.Start.Equal(date(2025, 11, 1)) {
		t.Errorf("2026_Q4 starts %s", got.Start)
	}
	rec := fc.Recent(date(2026, 3, 1), 4)
	var labels []string
	for _, p := range rec {
		labels = append(labels, p.Label())
	}
	if strings.Join(labels, ",") != "2027_Q1,2026_Q4,2026_Q3,2026_Q2,2026_Q1" {
		t.Errorf("Recent = %v", labels)
	}
}

func TestParsePeriodLabel(t *testing.T) {
	y, q, err := ParsePeriodLabel("2026_Q4")
	if err != nil || y != 2026 || q != 4 {
		t.Errorf("ParsePeriodLabel(2026_Q4) = %d, %d, %v", y, q, err)
	}
	for _, bad := range []string{"2026-Q4", "2026_Q5", "2026_Q0", "26_Q1", "2026_q4", "", " 2026_Q4", "2026_Q4 ", "20261_Q1", "2026Q4"} {
		if _, _, err := ParsePeriodLabel(bad); err == nil || !strings.Contains(err.Error(), "YYYY_QN") {
			t.Errorf("ParsePeriodLabel(%q) = %v, want error naming the format", bad, err)
		}
		if _, err := (FiscalCalendar{}).PeriodOf(bad); err == nil {
			t.Errorf("PeriodOf(%q) succeeded", bad)
		}
	}
	if l := FormatPeriodLabel(2026, 1); l != "2026_Q1" {
		t.Errorf("FormatPeriodLabel = %s", l)
	}
}
