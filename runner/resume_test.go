package runner_test

import (
	"context"
	"testing"
	"time"

	"github.com/prometheus/common/model"

	"github.com/clari-exporter/clari_exporter/clari"
	"github.com/clari-exporter/clari_exporter/clari/clarisim"
	"github.com/clari-exporter/clari_exporter/config"
	"github.com/clari-exporter/clari_exporter/runner"
	"github.com/clari-exporter/clari_exporter/store"
)

// TestShutdownMidJobThenResume: a runner stopped while its job runs leaves
// the job in flight (no run, no failure); the next process polls the same
// job to its end instead of creating another.
func TestShutdownMidJobThenResume(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{
		forecasts: []string{"net_arr"},
		scenario:  clarisim.Scenario{JobDuration: time.Second},
		config:    func(c *config.Config) { c.Clari.PollTimeout = model.Duration(10 * time.Second) },
	})
	ctx := context.Background()

	// Process A: stopped once the job id is persisted.
	a := e.runner(nil)
	var inflight []store.InFlight
	runUntil(t, a, "the job is persisted in flight", func(*runner.State) bool {
		var err error
		inflight, err = e.store.InFlight(ctx)
		return err == nil && len(inflight) == 1
	})
	jobs := jobsOf(e.sim, "net_arr")
	if len(jobs) != 1 || inflight[0].JobID != jobs[0].Job.JobID {
		t.Fatalf("in flight %+v, simulator jobs %+v: want the one created job", inflight, jobs)
	}
	jobID := jobs[0].Job.JobID
	if j, _ := e.sim.Job(jobID); j.Job.Status.Terminal() {
		t.Fatalf("setup: job already %s when A stopped; make JobDuration longer", j.Job.Status)
	}
	// Shutdown is not a failure: no run, the row is still there.
	states, err := e.store.TargetStates(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range states {
		if s.Runs != 0 || len(s.Failures) != 0 {
			t.Errorf("%s/%s after shutdown: runs %d failures %v, want none", s.Forecast, s.Period, s.Runs, s.Failures)
		}
	}
	if ts := target(t, a.ExportState(), "net_arr"); ts.Runs != 0 || sum(ts.Failures) != 0 || ts.HasRun() {
		t.Errorf("A's state after shutdown %+v, want no run", ts)
	}
	if got, err := e.store.InFlight(ctx); err != nil || len(got) != 1 || got[0].JobID != jobID {
		t.Fatalf("in flight after shutdown %+v (err %v), want job %s", got, err, jobID)
	}
	if e.sim.Stats().Cancels != 0 {
		t.Error("the job was cancelled at shutdown; it must be left running to be resumed")
	}

	// Process B: new client, same store and simulator.
	b := e.runner(nil)
	es := runUntil(t, b, "the resumed job finished", allRan(1))
	ts := target(t, es, "net_arr")
	if ts.Runs != 1 || !ts.LastRunSuccess || !ts.HasSnapshot() || ts.Latest.Rows == 0 {
		t.Errorf("after resume: runs %v success %v snapshot %v rows %v; want one successful run with a snapshot",
			ts.Runs, ts.LastRunSuccess, ts.HasSnapshot(), ts.Latest.Rows)
	}
	if n := e.sim.Stats().JobsCreated; n != 1 {
		t.Errorf("JobsCreated %d, want 1: the resume must not create a job", n)
	}
	runs, err := e.store.Runs(ctx, "net_arr", ts.Period, 10)
	if err != nil || len(runs) != 1 || runs[0].JobID != jobID {
		t.Errorf("stored runs %+v (err %v), want one run of job %s", runs, err, jobID)
	}
	if got, err := e.store.InFlight(ctx); err != nil || len(got) != 0 {
		t.Errorf("in flight after the resumed run %+v (err %v), want none", got, err)
	}
	if j, _ := e.sim.Job(jobID); j.Job.Status != clari.StatusDone {
		t.Errorf("job %s is %s, want DONE", jobID, j.Job.Status)
	}
}

// TestUnreadableInFlightIsDropped: an in-flight row whose request cannot be
// read is dropped (with an error logged), and the target is exported anew.
func TestUnreadableInFlightIsDropped(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{forecasts: []string{"net_arr"}, scenario: scenarioInstant()})
	ctx := context.Background()
	period := e.config().FiscalCalendar.PeriodAt(e.clock.Now()).Label()
	must(t, e.store.PutInFlight(ctx, store.InFlight{Forecast: "net_arr", Period: period, JobID: "0123456789abcdef01234567",
		CreatedAt: e.clock.Now(), Request: []byte("{not json")}))
	es := runUntil(t, e.runner(nil), "net_arr exported", allRan(1))
	if ts := target(t, es, "net_arr"); !ts.LastRunSuccess || sum(ts.Failures) != 0 {
		t.Errorf("net_arr %+v, want a successful fresh export", ts)
	}
	if st := e.sim.Stats(); st.JobsCreated != 1 || st.Responses[404] != 0 {
		t.Errorf("jobs %d, 404 answers %d: want one new job and the dropped one never polled", st.JobsCreated, st.Responses[404])
	}
	if got, err := e.store.InFlight(ctx); err != nil || len(got) != 0 {
		t.Errorf("in flight %+v (err %v), want none", got, err)
	}
}

// TestRunFailsOnUnreadableStore: with no state to start from, Run gives up
// instead of exporting blind.
func TestRunFailsOnUnreadableStore(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	r := e.runner(nil)
	must(t, e.store.Close())
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := r.Run(ctx); err == nil {
		t.Fatal("Run on a closed store returned nil")
	}
	if r.Loaded() {
		t.Error("Loaded true although loading failed")
	}
	if n := e.sim.Stats().JobsCreated; n != 0 {
		t.Errorf("%d jobs created without state", n)
	}
}

// TestRequeueCountedAtShutdown: a re-queue that happened before a shutdown
// is counted although the run itself is left in flight.
func TestRequeueCountedAtShutdown(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{forecasts: []string{"net_arr"}})
	must(t, e.sim.NextJobEnds("net_arr", clarisim.NeverFinish))
	must(t, e.sim.NextJobEnds("net_arr", clarisim.NeverFinish))
	ctx := context.Background()
	r := e.runner(nil)
	runUntil(t, r, "the re-queued job is in flight", func(*runner.State) bool {
		jobs := jobsOf(e.sim, "net_arr")
		inf, err := e.store.InFlight(ctx)
		return err == nil && len(jobs) == 2 && len(inf) == 1 && inf[0].JobID == jobs[1].Job.JobID
	})
	ts := target(t, r.ExportState(), "net_arr")
	if ts.Requeues != 1 || ts.Runs != 0 || sum(ts.Failures) != 0 {
		t.Errorf("requeues %v runs %v failures %v after shutdown, want 1 requeue and no run", ts.Requeues, ts.Runs, ts.Failures)
	}
}

// TestRequeueBudgetSurvivesRestart: a re-queued job resumed after a
// restart does not get a fresh re-queue budget: with max_requeues 1 the
// run still creates at most 2 jobs.
func TestRequeueBudgetSurvivesRestart(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{forecasts: []string{"net_arr"}})
	for range 3 {
		must(t, e.sim.NextJobEnds("net_arr", clarisim.NeverFinish))
	}
	ctx := context.Background()
	runUntil(t, e.runner(nil), "the re-queued job is in flight", func(*runner.State) bool {
		jobs := jobsOf(e.sim, "net_arr")
		inf, err := e.store.InFlight(ctx)
		return err == nil && len(jobs) == 2 && len(inf) == 1 && inf[0].JobID == jobs[1].Job.JobID
	})
	es := runUntil(t, e.runner(nil), "the resumed run ended", allRan(1))
	ts := target(t, es, "net_arr")
	if ts.Failures["timeout"] != 1 || ts.Requeues != 1 {
		t.Errorf("failures %v requeues %v, want one timeout after 1 requeue", ts.Failures, ts.Requeues)
	}
	if n := e.sim.Stats().JobsCreated; n != 2 {
		t.Errorf("JobsCreated %d, want 2 (max_requeues 1 across the restart)", n)
	}
}
