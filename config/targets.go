package config

import (
	"fmt"
	"strings"
	"time"
)

// QuotaWindow is the rolling window of Clari's monthly export quota.
const QuotaWindow = 30 * 24 * time.Hour

// Target is one (forecast, fiscal period) the schedule keeps exported.
type Target struct {
	Forecast string        // forecast tab id
	Period   string        // "2026_Q4"
	Current  bool          // the quarter containing now (else historical)
	Interval time.Duration // how often to export it
	// MaxAge is how old its last successful export may be before the
	// period counts as missing coverage (default 2 × Interval).
	MaxAge time.Duration
}

// Targets lists, for every forecast in file order, the current fiscal
// quarter at now followed by its historical_quarters previous quarters,
// newest first. The list does not depend on schedule.enabled: a watcher
// still judges coverage. Without a known calendar (not configured, not yet
// learned: see package fiscal) no period can be named and the list is
// empty.
func (c *File) Targets(now time.Time) []Target {
	if !c.FiscalCalendar.Known() {
		return nil
	}
	var out []Target
	ci := time.Duration(c.Schedule.CurrentInterval)
	hi := time.Duration(c.Schedule.HistoricalInterval)
	for _, f := range c.Forecasts {
		for i, p := range c.FiscalCalendar.Recent(now, max(f.HistoricalQuarters, 0)) {
			t := Target{Forecast: f.ID, Period: p.Label(), Current: i == 0, Interval: hi, MaxAge: time.Duration(f.HistoricalMaxAge)}
			if t.Current {
				t.Interval, t.MaxAge = ci, time.Duration(f.CurrentMaxAge)
			}
			if t.MaxAge == 0 {
				t.MaxAge = 2 * t.Interval
			}
			out = append(out, t)
		}
		out = appendExtraPeriods(out, f, hi)
	}
	return out
}

// appendExtraPeriods adds the forecast's extra_periods that the rolling
// window does not already cover, as historical targets.
func appendExtraPeriods(out []Target, f Forecast, interval time.Duration) []Target {
	for _, label := range f.ExtraPeriods {
		covered := false
		for _, t := range out {
			covered = covered || (t.Forecast == f.ID && t.Period == label)
		}
		if covered {
			continue
		}
		maxAge := time.Duration(f.HistoricalMaxAge)
		if maxAge == 0 {
			maxAge = 2 * interval
		}
		out = append(out, Target{Forecast: f.ID, Period: label, Interval: interval, MaxAge: maxAge})
	}
	return out
}

// runsPerWindow is how many exports an interval starts in one quota
// window at most: runs at 0, i, 2i, ... inside [0, 30d).
func runsPerWindow(interval time.Duration) int {
	if interval <= 0 {
		return 0
	}
	return int((QuotaWindow + interval - 1) / interval)
}

// MonthlyExportCost is the number of exports the schedule starts per
// rolling 30 days (Clari's quota window), and the arithmetic behind it,
// e.g. "forecast net_arr: current quarter every 6h = 120; 4 historical
// quarters every 1w = 4×5 = 20". Re-queued jobs are not counted: they are
// rare and come out of schedule.quota_reserve's headroom. A disabled
// schedule costs 0.
func (c *File) MonthlyExportCost() (cost int, breakdown string) {
	if !c.Schedule.Enabled {
		return 0, "schedule.enabled is false: no exports"
	}
	ci, hi := c.Schedule.CurrentInterval, c.Schedule.HistoricalInterval
	curRuns := runsPerWindow(time.Duration(ci))
	histRuns := runsPerWindow(time.Duration(hi))
	var parts []string
	for _, f := range c.Forecasts {
		// Extra periods are counted as if outside the window (an upper bound:
		// the cost must not depend on today's date).
		n := max(f.HistoricalQuarters, 0) + len(f.ExtraPeriods)
		cost += curRuns + n*histRuns
		hist := "no historical quarters"
		switch n {
		case 0:
		case 1:
			hist = fmt.Sprintf("1 historical quarter every %s = %s", hi, thousands(histRuns))
		default:
			hist = fmt.Sprintf("%d historical quarters every %s = %d×%s = %s", n, hi, n, thousands(histRuns), thousands(n*histRuns))
		}
		parts = append(parts, fmt.Sprintf("forecast %s: current quarter every %s = %s; %s", f.ID, ci, thousands(curRuns), hist))
	}
	if len(parts) == 0 {
		return 0, "no forecasts"
	}
	return cost, strings.Join(parts, "; ")
}
