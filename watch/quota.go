package watch

import (
	"slices"
	"time"

	"github.com/clari-exporter/clari_exporter/clari"
)

// rateWindow is how far back the burn rate of the projection looks.
const rateWindow = 7 * 24 * time.Hour

// projectionHorizon is how far ahead the exhaustion is projected; beyond it
// the projection is absent.
const projectionHorizon = 30 * 24 * time.Hour

// OrgQuota is the org-wide quota as /admin/limits shows it, read with any
// token and costing nothing.
type OrgQuota struct {
	// Known is false until /admin/limits was read once.
	Known bool
	// Submitted are the exports counted in the rolling window, Running the
	// running ones, ByOthers those not made by this exporter.
	Submitted, Running, ByOthers int
	// UnknownAge counts submitted ids whose embedded time is implausible
	// (their first-seen time stands in).
	UnknownAge int
	// OldestRunningAge is the age of the oldest running export (0: none).
	OldestRunningAge time.Duration
	// Available and Limit are availableMonthlyQuota and monthlyQuota.
	Available, Limit int
	// Exhaustion is when Available is projected to reach the reserve, at the
	// last 7 days' rate with old ids rolling out; ExhaustionKnown is false
	// when that is not within 30 days.
	Exhaustion      time.Time
	ExhaustionKnown bool
	// RatePerDay is the burn rate the projection used.
	RatePerDay float64
}

// orgClock remembers when an id without a plausible embedded time was first
// seen, so its age and roll-off have a stand-in. Ids that left the window
// are forgotten.
type orgClock map[string]time.Time

// created returns the creation time of id and whether it is only its
// first-seen time.
func (c orgClock) created(id string, now time.Time) (time.Time, bool) {
	if t, ok := clari.PlausibleJobIDTime(id, now, clari.QuotaWindow); ok {
		return t, false
	}
	t, ok := c[id]
	if !ok {
		t = now
		c[id] = t
	}
	return t, true
}

// orgQuota reads the limits: own tells this exporter's job ids apart,
// reserve is schedule.quota_reserve.
func orgQuota(l clari.Limits, now time.Time, clock orgClock, own func(string) bool, reserve int) OrgQuota {
	q := OrgQuota{Known: true, Submitted: len(l.SubmittedJobIDs), Running: len(l.RunningJobIDs),
		Available: l.AvailableMonthlyQuota, Limit: l.MonthlyQuota}
	seen := make(map[string]bool, len(l.SubmittedJobIDs))
	rollOff := make([]time.Time, 0, len(l.SubmittedJobIDs))
	recent := 0
	for _, id := range l.SubmittedJobIDs {
		seen[id] = true
		c, unknown := clock.created(id, now)
		if unknown {
			q.UnknownAge++
		}
		if !own(id) {
			q.ByOthers++
		}
		if now.Sub(c) <= rateWindow {
			recent++
		}
		rollOff = append(rollOff, c.Add(clari.QuotaWindow))
	}
	for _, id := range l.RunningJobIDs {
		seen[id] = true
		c, _ := clock.created(id, now)
		q.OldestRunningAge = max(q.OldestRunningAge, now.Sub(c))
	}
	for id := range clock {
		if !seen[id] {
			delete(clock, id)
		}
	}
	q.RatePerDay = float64(recent) / (float64(rateWindow) / float64(24*time.Hour))
	q.Exhaustion, q.ExhaustionKnown = project(now, float64(l.AvailableMonthlyQuota), float64(reserve), float64(recent)/rateWindow.Seconds(), rollOff)
	return q
}

// project finds the first time available quota is at or below reserve when
// new exports come at ratePerSec and each submitted one frees a unit at its
// roll-off time. Within each stretch between roll-offs the available quota
// falls linearly, so the crossing is solved exactly.
func project(now time.Time, available, reserve, ratePerSec float64, rollOff []time.Time) (time.Time, bool) {
	if available <= reserve {
		return now, true
	}
	slices.SortFunc(rollOff, func(a, b time.Time) int { return a.Compare(b) })
	end := now.Add(projectionHorizon)
	t, a := now, available
	for i := 0; ; i++ {
		next := end
		if i < len(rollOff) && rollOff[i].Before(end) {
			next = rollOff[i]
		}
		if next.Before(t) {
			next = t // a roll-off already due: free it now
		}
		if ratePerSec > 0 {
			if cross := t.Add(time.Duration((a - reserve) / ratePerSec * float64(time.Second))); cross.Before(next) || cross.Equal(next) {
				if cross.After(end) {
					return time.Time{}, false
				}
				return cross, true
			}
		}
		if !next.Before(end) {
			return time.Time{}, false
		}
		a -= ratePerSec * next.Sub(t).Seconds()
		a++ // the id rolls out of the window
		t = next
	}
}
