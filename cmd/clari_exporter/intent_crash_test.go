package main

import (
	"context"
	"testing"
	"time"

	"github.com/clari-exporter/clari_exporter/clari"
	"github.com/clari-exporter/clari_exporter/clari/clarisim"
)

// TestKill9AfterCreateBeforeJobIDPersisted: the exporter is killed -9 after
// its create POST reached Clari (Clari made the job) but before the answer
// came, so the job id was never persisted: only the create intent is in
// the store. After the restart the job Clari made is adopted and run to its
// end; no second job is created.
func TestKill9AfterCreateBeforeJobIDPersisted(t *testing.T) {
	t.Parallel()
	sim := clarisim.New(clarisim.Options{APIKey: testAPIKey, Seed: 11,
		Tenant:   januaryTenant(30, 2), // the crash rig counts runs of currentPeriodLabel
		Scenario: clarisim.Scenario{JobDuration: 2 * time.Second}})
	// The create makes its job and never answers: the client is still
	// waiting for the job id when it is killed.
	if err := sim.AddFault(clarisim.Fault{Kind: clarisim.FaultCreateThenHang, Endpoint: clari.EndpointCreateExport}); err != nil {
		t.Fatal(err)
	}
	r := newCrashRig(t, sim, "  request_timeout: 1m\n  poll_interval: 500ms\n  poll_timeout: 1m\n")

	first := r.start(t)
	waitFor(t, 20*time.Second, "Clari to make the job of the hung create", func() bool {
		return sim.Stats().JobsCreated >= 1
	})
	kill9(t, first)
	jobs := sim.Jobs()
	if len(jobs) != 1 {
		t.Fatalf("%d jobs before the restart, want 1", len(jobs))
	}
	jobID := jobs[0].Job.JobID

	// What the kill left: the intent, no job id.
	st := r.openStore(t)
	intents, ierr := st.Intents(context.Background())
	inflight, ferr := st.InFlight(context.Background())
	st.Close()
	if ierr != nil || ferr != nil || len(intents) != 1 || len(inflight) != 0 {
		t.Fatalf("after the kill: intents %+v (%v), in flight %+v (%v); want one intent and no job id", intents, ierr, inflight, ferr)
	}

	second := r.start(t)
	r.waitForRun(t, 30*time.Second, "the adopted job's run to be recorded")
	stop(second)

	if s := sim.Stats(); s.JobsCreated != 1 || s.CreateCalls != 1 {
		t.Errorf("simulator saw %d creates and made %d jobs, want 1 and 1 (the restart must adopt, not create)", s.CreateCalls, s.JobsCreated)
	}
	st = r.openStore(t)
	defer st.Close()
	r.requireOneRun(t, st, jobID, "one successful run of the adopted job "+jobID)
	if left, _ := st.Intents(context.Background()); len(left) != 0 {
		t.Errorf("intents left after adoption: %+v", left)
	}
}
