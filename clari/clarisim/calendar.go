package clarisim

import (
	"fmt"
	"strconv"
	"time"
)

// Quarter is one fiscal quarter of the tenant's calendar.
type Quarter struct {
	// FiscalYear is the calendar year the fiscal year ends in.
	FiscalYear int
	// Q is 1..4.
	Q int
	// Start is the first day (00:00 UTC); End the last day (00:00 UTC).
	Start, End time.Time
}

// ID returns the Clari period id, e.g. "2026_Q4".
func (q Quarter) ID() string { return strconv.Itoa(q.FiscalYear) + "_Q" + strconv.Itoa(q.Q) }

// Label returns the display label, e.g. "Q4 2026".
func (q Quarter) Label() string { return "Q" + strconv.Itoa(q.Q) + " " + strconv.Itoa(q.FiscalYear) }

// CRMID returns the CRM's id of the period (timePeriods[].crmId): an
// 18-character Salesforce-style Period id made from the quarter.
func (q Quarter) CRMID() string {
	return "0260000000000" + strconv.Itoa(q.FiscalYear) + strconv.Itoa(q.Q)
}

// index orders quarters: consecutive quarters have consecutive indexes.
func (q Quarter) index() int { return q.FiscalYear*4 + q.Q - 1 }

// QuarterOf returns the fiscal quarter containing t for a fiscal year that
// starts in fiscalStart (January when out of range).
func QuarterOf(t time.Time, fiscalStart time.Month) Quarter {
	if fiscalStart < time.January || fiscalStart > time.December {
		fiscalStart = time.January
	}
	t = t.UTC()
	// Months since the start of the fiscal year that contains t.
	m := (int(t.Month()) - int(fiscalStart) + 12) % 12
	fyStartYear := t.Year()
	if int(t.Month()) < int(fiscalStart) {
		fyStartYear--
	}
	fy := fyStartYear
	if fiscalStart != time.January {
		fy++
	}
	return makeQuarter(fy, m/3+1, fiscalStart)
}

func makeQuarter(fy, q int, fiscalStart time.Month) Quarter {
	startYear := fy
	if fiscalStart != time.January {
		startYear--
	}
	start := time.Date(startYear, fiscalStart+time.Month(3*(q-1)), 1, 0, 0, 0, 0, time.UTC)
	end := start.AddDate(0, 3, -1)
	return Quarter{FiscalYear: fy, Q: q, Start: start, End: end}
}

// ParsePeriod parses a "YYYY_QN" period id.
func ParsePeriod(s string, fiscalStart time.Month) (Quarter, error) {
	if len(s) != 7 || s[4] != '_' || s[5] != 'Q' || s[6] < '1' || s[6] > '4' {
		return Quarter{}, fmt.Errorf("period %q is not of the form YYYY_QN", s)
	}
	y, err := strconv.Atoi(s[:4])
	if err != nil || y < 1000 {
		return Quarter{}, fmt.Errorf("period %q has no valid year", s)
	}
	if fiscalStart < time.January || fiscalStart > time.December {
		fiscalStart = time.January
	}
	return makeQuarter(y, int(s[6]-'0'), fiscalStart), nil
}

// ResolvePeriod returns the quarter Clari exports for the requested period at
// time now: the requested one when it is one of the spec's exportable
// quarters, otherwise (empty, malformed, future or too old) the current
// quarter. fellBack reports the silent fallback.
func ResolvePeriod(spec TenantSpec, requested string, now time.Time) (q Quarter, fellBack bool) {
	spec = spec.WithDefaults()
	cur := QuarterOf(now, spec.FiscalStartMonth)
	if requested == "" {
		return cur, false
	}
	p, err := ParsePeriod(requested, spec.FiscalStartMonth)
	if err != nil || p.index() > cur.index() || p.index() <= cur.index()-spec.Quarters {
		return cur, true
	}
	return p, false
}

// Week is one 7-day time frame of a quarter.
type Week struct {
	// N is 1-based: the CSV's 0-based "Week" column is N-1.
	N          int
	Start, End time.Time // End = Start + 6 days
}

// TimeFrameID returns "TF:yyyy-mm-dd" (the week start).
func (w Week) TimeFrameID() string { return "TF:" + w.Start.Format("2006-01-02") }

const weekLen = 7 * 24 * time.Hour

// FirstWeekStart is the first day of q's first week (the CSV's Week 0).
// With AlignWeeks it is the last WeekStart weekday on or before q's first
// day, up to 6 days before the quarter, as Clari's weeks are; otherwise the
// quarter's first day. spec must have its defaults applied.
func (t TenantSpec) FirstWeekStart(q Quarter) time.Time {
	if !t.AlignWeeks {
		return q.Start
	}
	back := (int(q.Start.Weekday()) - int(t.WeekStart) + 7) % 7
	return q.Start.AddDate(0, 0, -back)
}

// WeeksIn is the number of weeks of q: Weeks, or with AlignWeeks the weeks
// that cover the quarter (13 or 14), of which a Weeks below 13 keeps the
// first Weeks.
func (t TenantSpec) WeeksIn(q Quarter) int {
	if !t.AlignWeeks {
		return t.Weeks
	}
	n := int(q.End.Sub(t.FirstWeekStart(q))/weekLen) + 1
	if t.Weeks < 13 {
		n = min(n, t.Weeks)
	}
	return n
}

// WeekOf returns week n (1-based) of q.
func (t TenantSpec) WeekOf(q Quarter, n int) Week {
	s := t.FirstWeekStart(q).AddDate(0, 0, 7*(n-1))
	return Week{N: n, Start: s, End: s.AddDate(0, 0, 6)}
}

// exportedWeeks returns the week numbers an export of q at time now carries:
// with includeHistorical every week of the quarter so far (all of them for
// a past quarter), otherwise only the latest one.
func (t TenantSpec) exportedWeeks(q Quarter, now time.Time, includeHistorical bool) (first, last int) {
	weeks := t.WeeksIn(q)
	last = weeks
	if !now.Before(q.Start) && !now.After(q.End.Add(24*time.Hour-1)) {
		last = int(now.Sub(t.FirstWeekStart(q))/weekLen) + 1
		if last > weeks {
			last = weeks
		}
	}
	if includeHistorical {
		return 1, last
	}
	return last, last
}

// PeriodOf returns the id of the tenant's fiscal quarter containing day: the
// calendar a client needs to place CSV rows (clari.Visitor.PeriodOf).
func (t TenantSpec) PeriodOf(day time.Time) string {
	return QuarterOf(day, t.WithDefaults().FiscalStartMonth).ID()
}
