package config

import (
	"fmt"
	"regexp"
	"strconv"
	"time"
)

// Period is one fiscal quarter. Start and End are midnight UTC dates; End
// is exclusive (the next quarter's Start).
type Period struct {
	Year    int // fiscal year, named per FiscalCalendar.YearLabel
	Quarter int // 1..4
	Start   time.Time
	End     time.Time
}

// Label is Clari's timePeriod id: "2026_Q4".
func (p Period) Label() string { return FormatPeriodLabel(p.Year, p.Quarter) }

// String is the label.
func (p Period) String() string { return p.Label() }

// Contains reports whether t falls in [Start, End).
func (p Period) Contains(t time.Time) bool { return !t.Before(p.Start) && t.Before(p.End) }

// FormatPeriodLabel formats a fiscal year and quarter as Clari's "YYYY_QN".
func FormatPeriodLabel(year, quarter int) string { return fmt.Sprintf("%04d_Q%d", year, quarter) }

var periodLabel = regexp.MustCompile(`^([0-9]{4})_Q([1-4])$`)

// ParsePeriodLabel validates a "YYYY_QN" label (e.g. 2026_Q4) and returns
// its fiscal year and quarter. "2026-Q4", "2026_Q5" and "26_Q1" are errors.
func ParsePeriodLabel(s string) (year, quarter int, err error) {
	m := periodLabel.FindStringSubmatch(s)
	if m == nil {
		return 0, 0, fmt.Errorf("period %q: must be a fiscal quarter like 2026_Q4 (YYYY_QN, N 1..4)", s)
	}
	year, _ = strconv.Atoi(m[1])
	quarter, _ = strconv.Atoi(m[2])
	return year, quarter, nil
}

// norm returns fc with zero values replaced by the defaults, so a zero
// FiscalCalendar is the calendar year.
func (fc FiscalCalendar) norm() FiscalCalendar {
	if fc.StartMonth < 1 || fc.StartMonth > 12 {
		fc.StartMonth = 1
	}
	if fc.YearLabel != YearLabelStart {
		fc.YearLabel = YearLabelEnd
	}
	return fc
}

// startYearOf is the calendar year in which fiscal year fy starts.
func (fc FiscalCalendar) startYearOf(fy int) int {
	if fc.StartMonth > 1 && fc.YearLabel == YearLabelEnd {
		return fy - 1
	}
	return fy
}

// period builds the quarter q of fiscal year fy.
func (fc FiscalCalendar) period(fy, q int) Period {
	fc = fc.norm()
	start := time.Date(fc.startYearOf(fy), time.Month(fc.StartMonth+3*(q-1)), 1, 0, 0, 0, 0, time.UTC)
	return Period{Year: fy, Quarter: q, Start: start, End: start.AddDate(0, 3, 0)}
}

// PeriodOf returns the dates of a "YYYY_QN" label in this calendar.
func (fc FiscalCalendar) PeriodOf(label string) (Period, error) {
	fy, q, err := ParsePeriodLabel(label)
	if err != nil {
		return Period{}, err
	}
	return fc.period(fy, q), nil
}

// PeriodAt returns the fiscal quarter containing t (its UTC date).
func (fc FiscalCalendar) PeriodAt(t time.Time) Period {
	fc = fc.norm()
	t = t.UTC()
	// Months since the start of the fiscal year that contains t.
	offset := (int(t.Month()) - fc.StartMonth + 12) % 12
	startYear := t.Year()
	if int(t.Month()) < fc.StartMonth {
		startYear--
	}
	fy := startYear
	if fc.StartMonth > 1 && fc.YearLabel == YearLabelEnd {
		fy++
	}
	return fc.period(fy, offset/3+1)
}

// Shift returns the quarter n quarters after p (n < 0: before), e.g.
// Shift(p, -1) is the previous quarter.
func (fc FiscalCalendar) Shift(p Period, n int) Period {
	q := p.Year*4 + (p.Quarter - 1) + n
	return fc.period(floorDiv(q, 4), q-floorDiv(q, 4)*4+1)
}

// Recent returns the quarter containing now followed by the n quarters
// before it, newest first.
func (fc FiscalCalendar) Recent(now time.Time, n int) []Period {
	cur := fc.PeriodAt(now)
	out := make([]Period, 0, n+1)
	for i := 0; i <= n; i++ {
		out = append(out, fc.Shift(cur, -i))
	}
	return out
}

func floorDiv(a, b int) int {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}
