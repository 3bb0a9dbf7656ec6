package runner_test

import (
	"context"
	"testing"
	"time"

	"github.com/clari-exporter/clari_exporter/config"
	"github.com/clari-exporter/clari_exporter/runner"
	"github.com/clari-exporter/clari_exporter/store"
)

// TestDepartedTargetsArePrunedFromTheStoreAfterRetention: a target that
// left the config is deleted from the store once it saw nothing for
// storage.departed_retention; one that left recently, and a configured one
// however old its last run, are kept.
func TestDepartedTargetsArePrunedFromTheStoreAfterRetention(t *testing.T) {
	e := newEnv(t, envOptions{forecasts: []string{"net_arr"}, config: func(c *config.Config) {
		c.Schedule.Enabled = false // no exports: only the sweep touches the store
	}})
	ctx := context.Background()
	day := 24 * time.Hour
	now := e.clock.Now()
	current := e.config().Targets(now)[0]
	for _, r := range []store.Run{
		{Forecast: current.Forecast, Period: current.Period, JobID: "configured", FinishedAt: now.Add(-200 * day)},
		{Forecast: "old_fc", Period: "2025_Q1", JobID: "long-gone", FinishedAt: now.Add(-100 * day)},
		{Forecast: "old_fc", Period: "2025_Q2", JobID: "recently-gone", FinishedAt: now.Add(-10 * day)},
	} {
		r.Outcome, r.StartedAt = "failed", r.FinishedAt.Add(-time.Minute)
		if err := e.store.FinishRun(ctx, r, nil); err != nil {
			t.Fatal(err)
		}
	}
	stored := func() map[[2]string]bool {
		states, err := e.store.TargetStates(ctx)
		if err != nil {
			t.Fatal(err)
		}
		out := map[[2]string]bool{}
		for _, s := range states {
			out[[2]string{s.Forecast, s.Period}] = true
		}
		return out
	}
	runUntil(t, e.runner(nil), "the long-departed target pruned", func(*runner.State) bool {
		return !stored()[[2]string{"old_fc", "2025_Q1"}]
	})
	if got := stored(); !got[[2]string{current.Forecast, current.Period}] || !got[[2]string{"old_fc", "2025_Q2"}] {
		t.Fatalf("store holds %v: the configured target and the recently departed one must stay", got)
	}

	// 81 days later the other one has been idle for the 90 days too.
	e.clock.Advance(81 * day)
	runUntil(t, e.runner(nil), "the recently departed target pruned", func(*runner.State) bool {
		return !stored()[[2]string{"old_fc", "2025_Q2"}]
	})
}
