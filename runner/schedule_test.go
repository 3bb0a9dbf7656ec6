package runner_test

import (
	"context"
	"testing"
	"time"

	"github.com/prometheus/common/model"

	"github.com/clari-exporter/clari_exporter/clari"
	"github.com/clari-exporter/clari_exporter/config"
	"github.com/clari-exporter/clari_exporter/runner"
	"github.com/clari-exporter/clari_exporter/store"
)

func everyMinute(c *config.Config) { c.Schedule.CurrentInterval = model.Duration(time.Minute) }

// TestScheduleInterval: a target is exported again only once its interval
// has passed on the runner's clock.
func TestScheduleInterval(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{config: everyMinute, scenario: scenarioInstant()})
	r := e.runner(nil)
	runUntil(t, r, "first exports", allRan(1))
	// ~20 ticks at the same runner time + almost an interval: nothing is due.
	e.clock.Advance(50 * time.Second)
	runFor(t, r, 200*time.Millisecond)
	if n := e.sim.Stats().JobsCreated; n != 2 {
		t.Fatalf("JobsCreated %d before the interval passed, want 2", n)
	}
	e.clock.Advance(15 * time.Second)
	es := runUntil(t, r, "second exports", allRan(2))
	if n := e.sim.Stats().JobsCreated; n != 4 {
		t.Errorf("JobsCreated %d after one interval, want 4", n)
	}
	for _, ts := range es.Targets {
		if ts.Runs != 2 {
			t.Errorf("%s: RunsTotal %v, want 2", ts.Forecast, ts.Runs)
		}
	}
}

// TestScheduleLongestWaitingFirst: of two due targets the one whose last
// attempt is older goes first, whatever the file order.
func TestScheduleLongestWaitingFirst(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{config: everyMinute, scenario: scenarioInstant()})
	ctx := context.Background()
	now := e.clock.Now()
	period := e.config().FiscalCalendar.PeriodAt(now).Label()
	// Both were last attempted more than an interval ago, bookings (second
	// in the file) longer ago than net_arr.
	for _, p := range []struct {
		forecast string
		ago      time.Duration
	}{{"net_arr", 2 * time.Minute}, {"bookings", 5 * time.Minute}} {
		run := store.Run{Forecast: p.forecast, Period: period, JobID: "seed-" + p.forecast, Outcome: "failed",
			StartedAt: now.Add(-p.ago - time.Second), FinishedAt: now.Add(-p.ago)}
		must(t, e.store.FinishRun(ctx, run, nil))
	}
	runUntil(t, e.runner(nil), "both exported", allRan(2))
	jobs := e.sim.Jobs()
	if len(jobs) != 2 || jobs[0].ForecastID != "bookings" || jobs[1].ForecastID != "net_arr" {
		var order []string
		for _, j := range jobs {
			order = append(order, j.ForecastID)
		}
		t.Errorf("export order %v, want [bookings net_arr] (longest waiting first)", order)
	}
}

// TestScheduleDisabled: a watcher never exports, not even a resume-free
// first export, but still reports every target as missing coverage.
func TestScheduleDisabled(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{config: func(c *config.Config) { c.Schedule.Enabled = false }})
	es := runFor(t, e.runner(nil), 150*time.Millisecond)
	st := e.sim.Stats()
	if st.JobsCreated != 0 || st.Requests[clari.EndpointLimits] != 0 {
		t.Errorf("disabled schedule: %d jobs, %d limits calls; want none", st.JobsCreated, st.Requests[clari.EndpointLimits])
	}
	if len(es.Targets) != 2 || es.CoverageMissing["net_arr"] != 1 || es.CoverageMissing["bookings"] != 1 {
		t.Errorf("targets %+v coverage %v, want both targets listed and missing", es.Targets, es.CoverageMissing)
	}
}

// TestCoverageMissing: never exported, failed and stale targets count;
// fresh successes do not; max age comes from the config.
func TestCoverageMissing(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{config: func(c *config.Config) {
		everyMinute(c)                        // current max age 2 min
		c.Forecasts[0].HistoricalQuarters = 1 // net_arr: 2 targets
	}, scenario: scenarioInstant()})
	r := e.runner(nil)
	must(t, r.Load(context.Background()))
	check := func(when string, es *runner.State, netArr, bookings int) {
		t.Helper()
		if es.CoverageMissing["net_arr"] != netArr || es.CoverageMissing["bookings"] != bookings || len(es.CoverageMissing) != 2 {
			t.Errorf("%s: CoverageMissing %v, want net_arr %d bookings %d", when, es.CoverageMissing, netArr, bookings)
		}
	}
	check("never exported", r.ExportState(), 2, 1)

	must(t, e.sim.NextJobEnds("bookings", clari.StatusFailed))
	es := runUntil(t, r, "all three targets ran", allRan(1))
	if len(es.Targets) != 3 {
		t.Fatalf("%d targets, want 3", len(es.Targets))
	}
	check("after exports (bookings failed)", es, 0, 1)

	// 3 min later the current quarter (max age 2 min) is stale, the
	// historical one (max age 2 × 7 d) is not.
	e.clock.Advance(3 * time.Minute)
	check("3 min later", r.ExportState(), 1, 1)

	// A longer configured max age takes effect on the next read.
	e.setConfig(func(c *config.Config) { c.Forecasts[0].CurrentMaxAge = model.Duration(10 * time.Minute) })
	check("with current_max_age 10m", r.ExportState(), 0, 1)
}
