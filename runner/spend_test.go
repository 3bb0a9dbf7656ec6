package runner_test

import (
	"context"
	"testing"
	"time"

	"github.com/prometheus/common/model"

	"github.com/clari-exporter/clari_exporter/clari"
	"github.com/clari-exporter/clari_exporter/clari/clarisim"
	"github.com/clari-exporter/clari_exporter/config"
	"github.com/clari-exporter/clari_exporter/store"
)

// spendConfig: a poll interval of 2 s; the search after an ambiguous create
// lasts request_timeout + create_search_margin (the defaults, 60 s), far
// longer than the jobs' delays: a job that appears is adopted at once.
func spendConfig(c *config.Config) {
	c.Clari.PollInterval = model.Duration(2 * time.Second)
	c.Clari.PollTimeout = model.Duration(time.Minute)
}

func storeState(t *testing.T, st store.Store, forecast string) store.TargetState {
	t.Helper()
	states, err := st.TargetStates(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range states {
		if s.Forecast == forecast {
			return s
		}
	}
	t.Fatalf("no store state for %s: %+v", forecast, states)
	return store.TargetState{}
}

func noIntentsLeft(t *testing.T, st store.Store) {
	t.Helper()
	if in, err := st.Intents(context.Background()); err != nil || len(in) != 0 {
		t.Errorf("create intents left: %+v (%v)", in, err)
	}
}

// TestAmbiguousCreateAdoptsTheLateJob: the create's outcome is unknown (the
// client timed out, a 5xx answered it, or the connection was reset after
// the request was written) and Clari's job shows in the job list only 3 s
// later. The client must not send the POST again: exactly one job exists
// at the simulator, it is adopted, and the run succeeds.
func TestAmbiguousCreateAdoptsTheLateJob(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		fault clarisim.Fault
	}{
		{"timeout", clarisim.Fault{Kind: clarisim.FaultCreateThenHang}},
		{"502", clarisim.Fault{Kind: clarisim.FaultCreateThenError, Status: 502}},
		{"503", clarisim.Fault{Kind: clarisim.FaultCreateThenError, Status: 503}},
		{"504", clarisim.Fault{Kind: clarisim.FaultCreateThenError, Status: 504}},
		{"reset after write", clarisim.Fault{Kind: clarisim.FaultCreateThenReset}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, envOptions{forecasts: []string{"net_arr"}, config: spendConfig})
			f := tc.fault
			f.Delay = 3 * time.Second
			must(t, e.sim.AddFault(f))
			es := runUntil(t, e.runner(nil), "the run ended", allRan(1))
			ts := target(t, es, "net_arr")
			st := e.sim.Stats()
			if st.CreateCalls != 1 || st.JobsCreated != 1 {
				t.Fatalf("create calls %d, jobs created %d: want exactly one of each", st.CreateCalls, st.JobsCreated)
			}
			if !ts.LastRunSuccess || sum(ts.Failures) != 0 || !ts.HasSnapshot() {
				t.Fatalf("success %v failures %v snapshot %v, want the adopted job's success", ts.LastRunSuccess, ts.Failures, ts.HasSnapshot())
			}
			runs, err := e.store.Runs(context.Background(), "net_arr", ts.Period, 5)
			must(t, err)
			if jobs := e.sim.Jobs(); len(runs) != 1 || runs[0].JobID != jobs[0].Job.JobID {
				t.Errorf("runs %+v, want one of the simulator's job %s", runs, jobs[0].Job.JobID)
			}
			noIntentsLeft(t, e.store)
		})
	}
}

// TestTwoJobsForOneIntent: Clari made two jobs for one create. The first
// is used, the other cancelled (its quota slot freed) and counted.
func TestTwoJobsForOneIntent(t *testing.T) {
	t.Parallel()
	// The jobs run for a while, so the unused one is still running (and
	// holding a slot) when it is found.
	e := newEnv(t, envOptions{forecasts: []string{"net_arr"}, config: spendConfig, scenario: clarisim.Scenario{JobDuration: 4 * time.Second}})
	must(t, e.sim.AddFault(clarisim.Fault{Kind: clarisim.FaultCreateThenError, Status: 502, Jobs: 2, Delay: time.Second}))
	es := runUntil(t, e.runner(nil), "the run ended", allRan(1))
	ts := target(t, es, "net_arr")
	jobs := e.sim.Jobs()
	if st := e.sim.Stats(); len(jobs) != 2 || st.CreateCalls != 1 {
		t.Fatalf("%d jobs after %d creates, want the two of one create", len(jobs), st.CreateCalls)
	}
	runs, err := e.store.Runs(context.Background(), "net_arr", ts.Period, 5)
	must(t, err)
	if !ts.LastRunSuccess || len(runs) != 1 || runs[0].JobID != jobs[0].Job.JobID {
		t.Fatalf("success %v runs %+v, want the first job %s used", ts.LastRunSuccess, runs, jobs[0].Job.JobID)
	}
	if jobs[1].Job.Status != clari.StatusCancelled || jobs[0].Job.Status != clari.StatusDone {
		t.Fatalf("jobs end %s and %s, want the used one DONE and the unused one CANCELLED", jobs[0].Job.Status, jobs[1].Job.Status)
	}
	if e.sim.Stats().Cancels != 1 {
		t.Errorf("%d cancels, want the unused job's", e.sim.Stats().Cancels)
	}
	if got := storeState(t, e.store, "net_arr").DuplicateJobs; got != 1 {
		t.Errorf("duplicate jobs counted %d in the store, want 1", got)
	}
	if got := ts.DuplicateJobCount(); got != 1 {
		t.Errorf("published clari_export_duplicate_jobs_total %d, want 1", got)
	}
	noIntentsLeft(t, e.store)
}

// unreadableJobList makes every read of Clari's job list fail (500) until
// the simulator's faults are cleared: after an ambiguous create, whether
// Clari made the job cannot be told.
func unreadableJobList(t *testing.T, sim *clarisim.Sim) {
	t.Helper()
	must(t, sim.AddFault(clarisim.Fault{Kind: clarisim.FaultServerError, Endpoint: clari.EndpointListJobs, Count: -1}))
}

// gitLabTenant is the simulator's GitLab-like tenant: a February fiscal
// year labelled by the year it ends, weeks from Friday.
func gitLabTenant(t *clarisim.TenantSpec) { *t = t.WithFebruaryYear() }

// shortSearch makes the search after an ambiguous create last 3 s: the
// client's request timeout (2 s, see env.client) plus a 1 s margin; jobs
// are polled every 500 ms for up to a minute.
func shortSearch(c *config.Config) {
	c.Clari.RequestTimeout = model.Duration(2 * time.Second)
	c.Clari.CreateSearchMargin = model.Duration(time.Second)
	c.Clari.PollInterval = model.Duration(500 * time.Millisecond)
	c.Clari.PollTimeout = model.Duration(time.Minute)
}

// TestIntentWithoutJobIsReconciledByTheNextRun: the job of an ambiguous
// create cannot be looked for (the job list fails to read). The run ends
// api_error, sends nothing more and keeps the intent; the next scheduled
// run adopts the late job instead of creating another.
func TestIntentWithoutJobIsReconciledByTheNextRun(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{forecasts: []string{"net_arr"}, config: func(c *config.Config) {
		shortSearch(c)
		c.Schedule.CurrentInterval = model.Duration(time.Minute)
	}})
	must(t, e.sim.AddFault(clarisim.Fault{Kind: clarisim.FaultCreateThenError, Status: 504, Delay: 3 * time.Second}))
	unreadableJobList(t, e.sim)
	r := e.runner(nil)
	first := target(t, runUntil(t, r, "the first run ended", allRan(1)), "net_arr")
	if first.Failures["api_error"] != 1 {
		t.Fatalf("failures %v, want api_error", first.Failures)
	}
	intents, err := e.store.Intents(context.Background())
	if err != nil || len(intents) != 1 {
		t.Fatalf("intents %+v (%v), want the first run's kept", intents, err)
	}
	e.sim.ClearFaults()
	time.Sleep(3 * time.Second) // the job shows in Clari's list now
	e.clock.Advance(2 * time.Minute)
	es := runUntil(t, r, "the second run ended", allRan(2))
	ts := target(t, es, "net_arr")
	if st := e.sim.Stats(); st.CreateCalls != 1 || st.JobsCreated != 1 {
		t.Fatalf("create calls %d, jobs %d: the next run must adopt, not create", st.CreateCalls, st.JobsCreated)
	}
	if !ts.LastRunSuccess || ts.Runs != 2 {
		t.Errorf("runs %v last success %v, want the adopted job's success", ts.Runs, ts.LastRunSuccess)
	}
	noIntentsLeft(t, e.store)
}

// TestRefusedCreateResolvesItsIntent: a create Clari refused made no job;
// its intent must not block the target's next create.
func TestRefusedCreateResolvesItsIntent(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{forecasts: []string{"net_arr"}, scenario: clarisim.Scenario{NoOptIn: []string{"net_arr"}}})
	es := runUntil(t, e.runner(nil), "the run ended", allRan(1))
	if ts := target(t, es, "net_arr"); ts.Failures["api_error"] != 1 {
		t.Fatalf("failures %v, want api_error", ts.Failures)
	}
	noIntentsLeft(t, e.store)
}

// TestDroppedCreateIsSentOnceMore: the create's connection drops before
// Clari saw it, so Clari made no job; the client cannot tell. The job list
// is searched for the whole window (request timeout + margin), holds no job
// for the intent, and the create is sent once more in the same run:
// exactly one job, the run succeeds, no failure counted.
func TestDroppedCreateIsSentOnceMore(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{forecasts: []string{"net_arr"}, tenant: gitLabTenant, config: shortSearch})
	must(t, e.sim.AddFault(clarisim.Fault{Kind: clarisim.FaultReset, Endpoint: clari.EndpointCreateExport}))
	ts := target(t, runUntil(t, e.runner(nil), "the run ended", allRan(1)), "net_arr")
	if n := e.sim.Stats().Faults[clarisim.FaultReset]; n != 1 {
		t.Fatalf("setup: %d dropped creates, want 1", n)
	}
	jobs := e.sim.Jobs()
	if len(jobs) != 1 {
		t.Fatalf("%d jobs at the simulator, want exactly one", len(jobs))
	}
	if !ts.LastRunSuccess || sum(ts.Failures) != 0 || ts.Runs != 1 || ts.Latest == nil || ts.Latest.JobID != jobs[0].Job.JobID {
		t.Fatalf("runs %d success %v failures %v, want one successful run of job %s", ts.Runs, ts.LastRunSuccess, ts.Failures, jobs[0].Job.JobID)
	}
	if ts.DuplicateJobs != 0 || e.sim.Stats().Cancels != 0 {
		t.Errorf("duplicates %d, cancels %d: nothing to cancel", ts.DuplicateJobs, e.sim.Stats().Cancels)
	}
	noIntentsLeft(t, e.store)
}

// TestLateAnsweredCreateIsAdopted: Clari answers the create only after the
// client's timeout and makes its job 4 s after it was asked (poll_interval
// 500 ms, the default search margin): the job is found within the window
// and adopted; exactly one job, the run succeeds.
func TestLateAnsweredCreateIsAdopted(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{forecasts: []string{"net_arr"}, tenant: gitLabTenant, config: func(c *config.Config) {
		c.Clari.RequestTimeout = model.Duration(2 * time.Second) // the client's (env.client)
		c.Clari.PollInterval = model.Duration(500 * time.Millisecond)
		c.Clari.PollTimeout = model.Duration(time.Minute)
	}})
	must(t, e.sim.AddFault(clarisim.Fault{Kind: clarisim.FaultCreateThenHang, Delay: 4 * time.Second}))
	ts := target(t, runUntil(t, e.runner(nil), "the run ended", allRan(1)), "net_arr")
	st := e.sim.Stats()
	jobs := e.sim.Jobs()
	if st.CreateCalls != 1 || len(jobs) != 1 {
		t.Fatalf("create calls %d, jobs %d: want the one create's job adopted", st.CreateCalls, len(jobs))
	}
	if !ts.LastRunSuccess || sum(ts.Failures) != 0 || ts.Latest == nil || ts.Latest.JobID != jobs[0].Job.JobID {
		t.Fatalf("success %v failures %v, want the adopted job %s's success", ts.LastRunSuccess, ts.Failures, jobs[0].Job.JobID)
	}
	noIntentsLeft(t, e.store)
}

// TestJobAfterTheResendIsCancelled: Clari made the job of the first create
// only after the search window closed (5 s late; window 3 s), so the
// create was sent once more. The late job is cancelled when the run's job
// ends and counted as a duplicate; the run succeeds with the second job.
func TestJobAfterTheResendIsCancelled(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{forecasts: []string{"net_arr"}, tenant: gitLabTenant, scenario: clarisim.Scenario{JobDuration: 6 * time.Second}, config: shortSearch})
	must(t, e.sim.AddFault(clarisim.Fault{Kind: clarisim.FaultCreateThenError, Status: 504, Delay: 5 * time.Second}))
	ts := target(t, runUntil(t, e.runner(nil), "the run ended", allRan(1)), "net_arr")
	jobs := e.sim.Jobs()
	if st := e.sim.Stats(); st.CreateCalls != 2 || len(jobs) != 2 {
		t.Fatalf("create calls %d, jobs %d: want the late job and the re-sent create's", st.CreateCalls, len(jobs))
	}
	if !ts.LastRunSuccess || sum(ts.Failures) != 0 || ts.Latest == nil {
		t.Fatalf("success %v failures %v, want the re-sent create's job to succeed", ts.LastRunSuccess, ts.Failures)
	}
	for _, j := range jobs {
		used := j.Job.JobID == ts.Latest.JobID
		if want := map[bool]clari.JobStatus{true: clari.StatusDone, false: clari.StatusCancelled}[used]; j.Job.Status != want {
			t.Errorf("job %s (used %v) ended %s, want %s", j.Job.JobID, used, j.Job.Status, want)
		}
	}
	if ts.DuplicateJobs != 1 || e.sim.Stats().Cancels != 1 {
		t.Errorf("duplicate jobs %d, cancels %d; want the late job cancelled and counted", ts.DuplicateJobs, e.sim.Stats().Cancels)
	}
	noIntentsLeft(t, e.store)
}
