package watch

import (
	"context"
	"testing"
	"time"

	"github.com/clari-exporter/clari_exporter/clari"
	"github.com/clari-exporter/clari_exporter/clari/clarisim"
	"github.com/clari-exporter/clari_exporter/store"
)

func TestProjectRollOff(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	rate := 1.0 / 3600 // one export an hour
	at, ok := project(now, 10, 0, rate, nil)
	if !ok || at.Sub(now) != 10*time.Hour {
		t.Fatalf("no roll-off: %v %v", at.Sub(now), ok)
	}
	var ro []time.Time
	for i := range 5 {
		ro = append(ro, now.Add(time.Duration(2+i)*time.Hour))
	}
	if at, ok := project(now, 10, 0, rate, ro); !ok || at.Sub(now) != 15*time.Hour {
		t.Fatalf("5 ids rolling out: %v %v, want 15h", at.Sub(now), ok)
	}
	if _, ok := project(now, 10, 0, 0, nil); ok {
		t.Fatal("a zero rate projected an exhaustion")
	}
	if _, ok := project(now, 1000, 0, rate, nil); ok {
		t.Fatal("1000 hours away is not within 30 days")
	}
	if at, ok := project(now, 3, 5, rate, nil); !ok || !at.Equal(now) {
		t.Fatalf("already below the reserve: %v %v", at, ok)
	}
}

// TestOrgQuotaMatchesSimulator: the org figures equal the simulator's
// arithmetic, and for a steady rate the projection is within an hour of
// the simulator's own.
func TestOrgQuotaMatchesSimulator(t *testing.T) {
	e := newEnv(t, clarisim.Scenario{MonthlyQuota: 4400, ConcurrentLimit: 100})
	now := e.start
	if err := e.sim.SetOrgLoad(clarisim.OrgLoad{From: now.Add(-25 * 24 * time.Hour), Every: 10 * time.Minute}); err != nil {
		t.Fatal(err)
	}
	e.sim.AddOrgJobs(
		clarisim.OrgJob{Created: now.Add(-90 * time.Minute), Duration: 3 * time.Hour},
		clarisim.OrgJob{Created: now.Add(-time.Hour), IDTime: now.Add(48 * time.Hour)},           // id in the future
		clarisim.OrgJob{Created: now.Add(-2 * time.Hour), IDTime: now.Add(-90 * 24 * time.Hour)}, // id older than the window
	)
	ctx := context.Background()
	ownID, err := e.c.CreateExport(ctx, clari.ExportRequest{ForecastID: e.sim.Tenant().Forecasts[0]})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.st.FinishRun(ctx, store.Run{Forecast: e.sim.Tenant().Forecasts[0], Period: "2026_Q4", JobID: ownID, Outcome: "failed", StartedAt: now, FinishedAt: now}, nil); err != nil {
		t.Fatal(err)
	}
	e.cfg.Schedule.QuotaReserve = 350
	w := e.watcher()
	poll(t, w)
	org := w.State().Org
	l, u := e.sim.Limits(), e.sim.OrgUsage()
	if !org.Known || org.Submitted != len(l.SubmittedJobIDs) || org.Running != len(l.RunningJobIDs) || org.Available != l.AvailableMonthlyQuota || org.Limit != l.MonthlyQuota {
		t.Fatalf("org %+v, limits: %d submitted, %d running, %d/%d", org, len(l.SubmittedJobIDs), len(l.RunningJobIDs), l.AvailableMonthlyQuota, l.MonthlyQuota)
	}
	if org.ByOthers != u.ByOthers || org.ByOthers != org.Submitted-1 {
		t.Errorf("by others %d, simulator %d (submitted %d, one is ours)", org.ByOthers, u.ByOthers, org.Submitted)
	}
	if org.UnknownAge != 2 {
		t.Errorf("unknown age %d, want 2", org.UnknownAge)
	}
	if want := now.Sub(u.OldestRunningCreated); org.OldestRunningAge != want {
		t.Errorf("oldest running age %v, simulator %v", org.OldestRunningAge, want)
	}
	simAt, ok := e.sim.ProjectQuotaExhaustion(350, 30*24*time.Hour)
	if !ok || !org.ExhaustionKnown {
		t.Fatalf("projection: simulator %v %v, exporter %v %v", simAt, ok, org.Exhaustion, org.ExhaustionKnown)
	}
	if d := org.Exhaustion.Sub(simAt); d < -time.Hour || d > time.Hour {
		t.Fatalf("exporter projects %v, simulator %v: %v apart (more than an hour)", org.Exhaustion, simAt, d)
	}
	t.Logf("projection %v from now, %v from the simulator's", org.Exhaustion.Sub(now), org.Exhaustion.Sub(simAt))

	// A reserve reached only after the steady state sets in is never reached.
	e.cfg.Schedule.QuotaReserve = 50
	poll(t, w)
	if _, ok := e.sim.ProjectQuotaExhaustion(50, 30*24*time.Hour); ok {
		t.Fatal("simulator projects reserve 50 (test premise)")
	}
	if org := w.State().Org; org.ExhaustionKnown {
		t.Fatalf("projected %v although roll-off keeps the quota above 50", org.Exhaustion)
	}
}
