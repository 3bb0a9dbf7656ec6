package fiscal

import (
	"fmt"
	"time"

	"github.com/clari-exporter/clari_exporter/config"
	"github.com/clari-exporter/clari_exporter/store"
)

const dateLayout = "2006-01-02"

// Learn returns the calendar in which p (a period as Clari stated it) has
// its id: the fiscal year's start month from the quarter's first day and
// quarter number, the year label from the id's year. It fails, naming what
// it found, when the dates are not a calendar-month quarter (a 4-4-5 week
// calendar cannot be expressed in fiscal_calendar) or the id does not fit
// them.
func Learn(p store.CalendarPeriod) (config.FiscalCalendar, error) {
	fy, q, err := config.ParsePeriodLabel(p.PeriodID)
	if err != nil {
		return config.FiscalCalendar{}, fmt.Errorf("the timePeriodId Clari stated: %w", err)
	}
	start, err := time.Parse(dateLayout, p.StartDate)
	if err != nil {
		return config.FiscalCalendar{}, fmt.Errorf("period %s as Clari stated it: startDate %q is not a date like 2026-11-01", p.PeriodID, p.StartDate)
	}
	if start.Day() != 1 {
		return config.FiscalCalendar{}, fmt.Errorf("period %s as Clari stated it starts on %s, not on the first of a month: "+
			"a calendar of week-based quarters cannot be expressed in fiscal_calendar", p.PeriodID, p.StartDate)
	}
	yearStart := start.AddDate(0, -3*(q-1), 0)
	cal := config.FiscalCalendar{StartMonth: int(yearStart.Month()), YearLabel: config.YearLabelEnd}
	if cal.StartMonth > 1 && fy == yearStart.Year() {
		cal.YearLabel = config.YearLabelStart
	}
	if err := Agrees(cal, p); err != nil {
		return config.FiscalCalendar{}, fmt.Errorf("period %s as Clari stated it (%s to %s) fits no fiscal calendar of calendar-month quarters", p.PeriodID, p.StartDate, p.EndDate)
	}
	return cal, nil
}

// Agrees returns nil when cal gives p's id exactly p's dates. Clari's
// endDate is the quarter's last day; the next quarter's first day is
// accepted too.
func Agrees(cal config.FiscalCalendar, p store.CalendarPeriod) error {
	want, err := cal.PeriodOf(p.PeriodID)
	if err != nil {
		return fmt.Errorf("the timePeriodId Clari stated: %w", err)
	}
	last := want.End.AddDate(0, 0, -1).Format(dateLayout)
	if p.StartDate != want.Start.Format(dateLayout) || (p.EndDate != last && p.EndDate != want.End.Format(dateLayout)) {
		return fmt.Errorf("period %s runs %s to %s in Clari; the calendar in use (%s) puts %s at %s to %s",
			p.PeriodID, p.StartDate, p.EndDate, Describe(cal), p.PeriodID, want.Start.Format(dateLayout), last)
	}
	return nil
}

// Describe names a calendar the way its configuration does:
// "start_month: 2, year_label: end".
func Describe(cal config.FiscalCalendar) string {
	yl := cal.YearLabel
	if yl == "" {
		yl = config.YearLabelEnd
	}
	return fmt.Sprintf("start_month: %d, year_label: %s", cal.StartMonth, yl)
}

// Fix is the configuration that matches cal, as a user writes it:
// "fiscal_calendar.start_month: 2, fiscal_calendar.year_label: end".
func Fix(cal config.FiscalCalendar) string {
	return fmt.Sprintf("fiscal_calendar.start_month: %d, fiscal_calendar.year_label: %s (or remove the fiscal_calendar section to use the calendar learned from Clari)", cal.StartMonth, cal.YearLabel)
}
