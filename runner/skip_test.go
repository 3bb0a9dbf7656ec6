package runner_test

import (
	"context"
	"testing"
	"time"

	"github.com/clari-exporter/clari_exporter/clari"
	"github.com/clari-exporter/clari_exporter/clari/clarisim"
	"github.com/clari-exporter/clari_exporter/config"
	"github.com/clari-exporter/clari_exporter/runner"
)

// checkOnlySkips asserts every target was skipped with reason (and nothing
// else) and that no run was counted.
func checkOnlySkips(t *testing.T, es *runner.State, reason string) {
	t.Helper()
	if len(es.Targets) != 2 {
		t.Fatalf("%d targets, want 2", len(es.Targets))
	}
	for _, ts := range es.Targets {
		if ts.Skips[reason] < 1 || sum(ts.Skips) != ts.Skips[reason] {
			t.Errorf("%s: skips %v, want only %q", ts.Forecast, ts.Skips, reason)
		}
		if ts.Runs != 0 || ts.HasRun() || sum(ts.Failures) != 0 {
			t.Errorf("%s: runs %v failures %v, want no run", ts.Forecast, ts.Runs, ts.Failures)
		}
	}
}

func TestSkipQuotaReserve(t *testing.T) {
	t.Parallel()
	// 50 exports left, reserve 100 (the default): starting one would dig
	// into the production pipeline's share.
	e := newEnv(t, envOptions{scenario: clarisim.Scenario{MonthlyQuota: 50}})
	if e.config().Schedule.QuotaReserve <= 50 {
		t.Fatalf("test needs a quota reserve above 50, config has %d", e.config().Schedule.QuotaReserve)
	}
	es := runUntil(t, e.runner(nil), "both targets skipped", allSkipped(runner.SkipQuotaReserve))
	checkOnlySkips(t, es, runner.SkipQuotaReserve)
	if st := e.sim.Stats(); st.JobsCreated != 0 || st.CreateCalls != 0 {
		t.Errorf("JobsCreated %d, create calls %d; want none", st.JobsCreated, st.CreateCalls)
	}
}

func TestSkipConcurrency(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{scenario: clarisim.Scenario{ConcurrentLimit: 1}})
	// Another pipeline's job holds the only slot.
	must(t, e.sim.NextJobEnds("", clarisim.NeverFinish))
	if _, err := e.client(clari.BreakerOptions{}).CreateExport(context.Background(), clari.ExportRequest{ForecastID: "bookings"}); err != nil {
		t.Fatal(err)
	}
	if l := e.sim.Limits(); l.AvailableConcurrentLimit != 0 {
		t.Fatalf("setup: %d free slots, want 0", l.AvailableConcurrentLimit)
	}
	es := runUntil(t, e.runner(nil), "both targets skipped", allSkipped(runner.SkipConcurrency))
	checkOnlySkips(t, es, runner.SkipConcurrency)
	if st := e.sim.Stats(); st.JobsCreated != 1 || st.CreateCalls != 1 {
		t.Errorf("JobsCreated %d, create calls %d; want only the foreign one", st.JobsCreated, st.CreateCalls)
	}
}

func TestSkipCircuitOpen(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	must(t, e.sim.AddFault(clarisim.Fault{Kind: clarisim.FaultServerError, Endpoint: clari.EndpointLimits, Count: -1}))
	c := e.client(clari.BreakerOptions{Enabled: true, ConsecutiveFailures: 1, OpenTimeout: time.Minute})
	if _, err := c.Limits(context.Background()); err == nil {
		t.Fatal("setup: limits succeeded despite the 5xx fault")
	}
	if s := c.BreakerState(); s != clari.BreakerOpen {
		t.Fatalf("setup: breaker %s, want open", s)
	}
	before := e.sim.Stats().Requests[clari.EndpointLimits]
	es := runUntil(t, e.runner(func(o *runner.Options) { o.API = c }), "both targets skipped", allSkipped(runner.SkipCircuitOpen))
	checkOnlySkips(t, es, runner.SkipCircuitOpen)
	st := e.sim.Stats()
	if st.JobsCreated != 0 || st.CreateCalls != 0 {
		t.Errorf("JobsCreated %d, create calls %d; want none", st.JobsCreated, st.CreateCalls)
	}
	if n := st.Requests[clari.EndpointLimits]; n != before {
		t.Errorf("%d limits requests reached Clari through an open breaker", n-before)
	}
}

// TestSkipNotRetriedBeforeInterval: a skip counts as an attempt, so a
// skipped target is not hammered every tick.
func TestSkipNotRetriedBeforeInterval(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{scenario: clarisim.Scenario{MonthlyQuota: 50}})
	r := e.runner(nil)
	runUntil(t, r, "both targets skipped", allSkipped(runner.SkipQuotaReserve))
	es := runFor(t, r, 150*time.Millisecond) // ~15 more ticks
	for _, ts := range es.Targets {
		if ts.Skips[runner.SkipQuotaReserve] != 1 {
			t.Errorf("%s: %v quota skips in 15 ticks, want 1", ts.Forecast, ts.Skips[runner.SkipQuotaReserve])
		}
	}
}

// slotThiefAPI lets the budget check see a free slot, then has another
// pipeline take it before the create, so Clari refuses the create.
type slotThiefAPI struct {
	runner.ExportAPI
	thief *clari.Client
	stole bool
}

func (a *slotThiefAPI) Limits(ctx context.Context) (clari.Limits, error) {
	lim, err := a.ExportAPI.Limits(ctx)
	if err == nil && !a.stole {
		a.stole = true
		if _, err := a.thief.CreateExport(ctx, clari.ExportRequest{ForecastID: "bookings"}); err != nil {
			return lim, err
		}
	}
	return lim, err
}

// TestRefusedCreateSkipReason: Clari's quota-reached refusal of a create
// is counted under the limit that actually ran out.
func TestRefusedCreateSkipReason(t *testing.T) {
	t.Parallel()
	t.Run("concurrency", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, envOptions{forecasts: []string{"net_arr"}, scenario: clarisim.Scenario{ConcurrentLimit: 1}})
		must(t, e.sim.NextJobEnds("bookings", clarisim.NeverFinish))
		api := &slotThiefAPI{ExportAPI: e.client(clari.BreakerOptions{}), thief: e.client(clari.BreakerOptions{})}
		es := runUntil(t, e.runner(func(o *runner.Options) { o.API = api }), "net_arr skipped", func(es *runner.State) bool {
			return sum(target(t, es, "net_arr").Skips) >= 1
		})
		ts := target(t, es, "net_arr")
		if ts.Skips[runner.SkipConcurrency] != 1 || sum(ts.Skips) != 1 || ts.Runs != 0 {
			t.Errorf("skips %v runs %v, want one concurrency skip and no run", ts.Skips, ts.Runs)
		}
		if st := e.sim.Stats(); st.CreateCalls != 2 || st.JobsCreated != 1 {
			t.Errorf("create calls %d jobs %d, want the refused create and the thief's job", st.CreateCalls, st.JobsCreated)
		}
	})
	t.Run("quota", func(t *testing.T) {
		t.Parallel()
		// A reserve of 0 lets the last export through the budget check;
		// the thief spends it first.
		e := newEnv(t, envOptions{forecasts: []string{"net_arr"}, scenario: clarisim.Scenario{MonthlyQuota: 1},
			config: func(c *config.Config) { c.Schedule.QuotaReserve = 0 }})
		api := &slotThiefAPI{ExportAPI: e.client(clari.BreakerOptions{}), thief: e.client(clari.BreakerOptions{})}
		es := runUntil(t, e.runner(func(o *runner.Options) { o.API = api }), "net_arr skipped", func(es *runner.State) bool {
			return sum(target(t, es, "net_arr").Skips) >= 1
		})
		ts := target(t, es, "net_arr")
		// Clari's 400 export_monthly_quota_reached is its own reason,
		// distinct from the exporter holding back for its reserve.
		if ts.Skips[runner.SkipQuotaExhausted] != 1 || sum(ts.Skips) != 1 || ts.Runs != 0 {
			t.Errorf("skips %v runs %v, want one quota_exhausted skip and no run", ts.Skips, ts.Runs)
		}
		noIntentsLeft(t, e.store) // the refused create made no job
	})
}
