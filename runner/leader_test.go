package runner_test

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-kit/log"
	"github.com/prometheus/common/model"

	"github.com/clari-exporter/clari_exporter/clari/clarisim"
	"github.com/clari-exporter/clari_exporter/config"
	"github.com/clari-exporter/clari_exporter/internal/pgtest"
	"github.com/clari-exporter/clari_exporter/internal/testlog"
	"github.com/clari-exporter/clari_exporter/runner"
	"github.com/clari-exporter/clari_exporter/store"
)

// forcedLeader is the test hook standing in for the leader election: it
// answers Leading(term) as the test sets it, whatever any lease says.
type forcedLeader struct {
	holder  string
	term    int64
	leading atomic.Bool
}

func newForcedLeader(holder string, term int64, leading bool) *forcedLeader {
	f := &forcedLeader{holder: holder, term: term}
	f.leading.Store(leading)
	return f
}

func (f *forcedLeader) Leading(term int64) bool { return f.leading.Load() && term == f.term }
func (f *forcedLeader) Holder() string          { return f.holder }

// lead runs r.Lead(ctx, term) until cond holds, then stops it.
func lead(t *testing.T, r *runner.Runner, term int64, what string, cond func() bool) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Lead(ctx, term) }()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			cancel()
			<-done
			t.Fatalf("never reached: %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Lead returned %v", err)
	}
}

// TestIntentsCarryTheTermAndANewLeaderAdoptsTheirJob: the leader of term 7
// sends a create whose outcome is unknown (504) and cannot look for its job
// (the job list fails to read): its intent stays, carrying term 7 and the
// holder. The leader of term 8 (another runner on the same
// store) reconciles it through the job list before it creates anything:
// it adopts that job, and the simulator saw one create.
func TestIntentsCarryTheTermAndANewLeaderAdoptsTheirJob(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{forecasts: []string{"net_arr"}, config: func(c *config.Config) {
		shortSearch(c)
		c.Clari.PollInterval = model.Duration(100 * time.Millisecond)
		c.Schedule.CurrentInterval = model.Duration(time.Hour)
	}})
	must(t, e.sim.AddFault(clarisim.Fault{Kind: clarisim.FaultCreateThenError, Status: 504, Delay: 3 * time.Second}))
	unreadableJobList(t, e.sim)
	old := e.runner(func(o *runner.Options) { o.Leadership = newForcedLeader("replica-a", 7, true) })
	lead(t, old, 7, "term 7's run ended", func() bool { return allRan(1)(old.ExportState()) })
	intents, err := e.store.Intents(context.Background())
	must(t, err)
	if len(intents) != 1 || intents[0].Term != 7 || intents[0].Holder != "replica-a" {
		t.Fatalf("intents %+v, want term 7's, by replica-a", intents)
	}
	e.sim.ClearFaults()

	time.Sleep(3 * time.Second) // the job shows in Clari's list now
	e.clock.Advance(2 * time.Hour)
	var logs testlog.Buffer
	next := e.runner(func(o *runner.Options) {
		o.Leadership = newForcedLeader("replica-b", 8, true)
		o.Logger = log.NewLogfmtLogger(&logs)
	})
	lead(t, next, 8, "term 8 adopted the job", func() bool { return allRan(2)(next.ExportState()) })
	if st := e.sim.Stats(); st.CreateCalls != 1 || st.JobsCreated != 1 {
		t.Fatalf("create calls %d, jobs %d: the new leader must adopt term 7's job, not create", st.CreateCalls, st.JobsCreated)
	}
	ts := target(t, next.ExportState(), "net_arr")
	runs, err := e.store.Runs(context.Background(), "net_arr", ts.Period, 5)
	must(t, err)
	if jobs := e.sim.Jobs(); !ts.LastRunSuccess || len(runs) != 2 || runs[0].JobID != jobs[0].Job.JobID {
		t.Fatalf("runs %+v, want the newest the adopted job %s's success", runs, jobs[0].Job.JobID)
	}
	if lines := logs.Lines("intent_term=7"); len(lines) == 0 || !strings.Contains(lines[0], "term=8") {
		t.Errorf("no log line of term 8 reconciling term 7's intent: %q", lines)
	}
	noIntentsLeft(t, e.store)
}

// TestCreateNotSentWithoutLeadership: right before the POST the runner
// asks the election whether it still leads the term of its intent. A
// replica whose trust window lapsed (here: forced to say no) sends
// nothing, records no run, leaves no intent, and counts and logs why.
func TestCreateNotSentWithoutLeadership(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{forecasts: []string{"net_arr"}})
	var logs testlog.Buffer
	r := e.runner(func(o *runner.Options) {
		o.Leadership = newForcedLeader("replica-a", 3, false)
		o.Logger = log.NewLogfmtLogger(&logs)
	})
	lead(t, r, 3, "a refused create", func() bool { return r.CreateRefused()[runner.RefusedNotLeader] >= 1 })
	if st := e.sim.Stats(); st.CreateCalls != 0 {
		t.Fatalf("%d creates sent by a replica that does not lead", st.CreateCalls)
	}
	states, err := e.store.TargetStates(context.Background())
	must(t, err)
	for _, s := range states {
		if s.Runs != 0 {
			t.Errorf("%s/%s: %d runs recorded for a create never sent", s.Forecast, s.Period, s.Runs)
		}
	}
	noIntentsLeft(t, e.store)
	lines := logs.Lines("create export refused")
	if len(lines) == 0 || !strings.Contains(lines[0], "reason=not_leader") || !strings.Contains(lines[0], "trust window") {
		t.Errorf("refusal log lines %q, want one naming reason not_leader and the trust window", lines)
	}
}

// TestSplitBrainCreatesOncePerSlot is the split-brain guard: two runners
// on one PostgreSQL store and one simulator, each forced to believe it
// leads (terms 1 and 2, as if the lease row had been edited behind their
// backs), both find every target due at once. The intent table's
// uniqueness and its slot guard let one create per slot through; the
// loser sends nothing, counts it and logs why.
func TestSplitBrainCreatesOncePerSlot(t *testing.T) {
	t.Parallel()
	forecasts := []string{"net_arr", "bookings", "pipeline", "renewals"}
	e := newEnv(t, envOptions{
		forecasts: forecasts,
		tenant:    func(ts *clarisim.TenantSpec) { ts.Forecasts = forecasts },
		scenario:  clarisim.Scenario{JobDuration: 300 * time.Millisecond, ConcurrentLimit: 10},
		config: func(c *config.Config) {
			c.Schedule.CurrentInterval = model.Duration(time.Hour) // one slot per target in the test
			c.Clari.PollTimeout = model.Duration(time.Minute)
		},
	})
	dsn, _ := pgtest.Fresh(t)
	type replica struct {
		name string
		st   *store.Postgres
		r    *runner.Runner
		log  *testlog.Buffer
	}
	var replicas []*replica
	for i, name := range []string{"replica-a", "replica-b"} {
		st, err := store.OpenPostgres(context.Background(), dsn, nil)
		must(t, err)
		t.Cleanup(func() { _ = st.Close() })
		rep := &replica{name: name, st: st, log: &testlog.Buffer{}}
		rep.r = e.runner(func(o *runner.Options) {
			o.Store = st
			o.Leadership = newForcedLeader(name, int64(i+1), true)
			o.Logger = log.NewLogfmtLogger(rep.log)
		})
		replicas = append(replicas, rep)
	}
	refused := func() (n uint64) {
		for _, rep := range replicas {
			for _, v := range rep.r.CreateRefused() {
				n += v
			}
		}
		return n
	}
	exported := func() bool {
		states, err := replicas[0].st.TargetStates(context.Background())
		if err != nil {
			t.Error(err)
			return true
		}
		ran := 0
		for _, s := range states {
			if s.Runs > 0 {
				ran++
			}
		}
		return ran == len(forecasts)
	}

	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for i, rep := range replicas {
		wg.Go(func() {
			if err := rep.r.Lead(ctx, int64(i+1)); err != nil {
				t.Error(err)
			}
		})
	}
	deadline := time.Now().Add(60 * time.Second)
	for !(exported() && refused() >= 1) && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	// Room for the loser to attempt every slot, and for a second create if
	// one were coming.
	time.Sleep(time.Second)
	cancel()
	wg.Wait()

	for _, f := range forecasts {
		if jobs := jobsOf(e.sim, f); len(jobs) != 1 {
			t.Errorf("%s: %d jobs at the simulator, want exactly one create per slot", f, len(jobs))
		}
	}
	if st := e.sim.Stats(); st.CreateCalls != len(forecasts) {
		t.Errorf("%d create calls for %d slots", st.CreateCalls, len(forecasts))
	}
	// Both attempted every target. The loser of a slot is refused (or, when
	// the winner's intent was there as it started, adopts the winner's job
	// from the job list: also no second create).
	if n := refused(); n < 1 {
		t.Errorf("%d creates refused, want the loser's", n)
	}
	states, err := replicas[1].st.TargetStates(context.Background())
	must(t, err)
	for _, s := range states {
		if s.Runs != 1 || !s.LastRunSuccess || sum(s.Skips) != 0 {
			t.Errorf("%s/%s: runs %d success %v skips %v, want the winner's one successful run", s.Forecast, s.Period, s.Runs, s.LastRunSuccess, s.Skips)
		}
	}
	for _, rep := range replicas {
		var n uint64
		for reason, v := range rep.r.CreateRefused() {
			n += v
			if v > 0 && reason == runner.RefusedNotLeader {
				t.Errorf("%s: refused %d as not leader, but it was forced to lead", rep.name, v)
			}
		}
		lines := rep.log.Lines("create export refused")
		if uint64(len(lines)) != n {
			t.Errorf("%s: counted %d refusals, logged %d: %q", rep.name, n, len(lines), lines)
		}
		for _, l := range lines {
			if !strings.Contains(l, "two leaders at once?") || !(strings.Contains(l, "reason=intent_exists") || strings.Contains(l, "reason=slot_taken")) {
				t.Errorf("%s: refusal log line does not say why: %s", rep.name, l)
			}
		}
	}
}

// TestAnotherTermsIntentIsRefusedOnceThenReconciled: an intent another term
// wrote after this term began (a second leader creating that slot right
// now) is not reconciled at once, which could clear it before that
// leader's job shows: the run is refused and counted. If it is still there
// at the target's next run it is an orphan: reconciled (no job in Clari:
// resolved) and the target exports again.
func TestAnotherTermsIntentIsRefusedOnceThenReconciled(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{forecasts: []string{"net_arr"}, config: func(c *config.Config) {
		c.Schedule.CurrentInterval = model.Duration(time.Minute)
	}})
	r := e.runner(func(o *runner.Options) { o.Leadership = newForcedLeader("replica-b", 5, true) })
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Lead(ctx, 5) }()
	defer func() { cancel(); <-done }()
	waitRunner := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatalf("never reached: %s (refused %v, state %+v)", what, r.CreateRefused(), r.ExportState().Targets)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	waitRunner("the first run", func() bool { return allRan(1)(r.ExportState()) })
	period := target(t, r.ExportState(), "net_arr").Period
	must(t, e.store.PutIntent(context.Background(), store.Intent{Forecast: "net_arr", Period: period, RequestedAt: e.clock.Now(),
		Term: 4, Holder: "replica-a", SeenRuns: 1}))

	e.clock.Advance(2 * time.Minute)
	waitRunner("the refusal", func() bool { return r.CreateRefused()[runner.RefusedIntentExists] == 1 })
	if st := e.sim.Stats(); st.CreateCalls != 1 {
		t.Fatalf("%d creates while another term's intent was in the making", st.CreateCalls)
	}
	e.clock.Advance(2 * time.Minute)
	waitRunner("the second run", func() bool { return allRan(2)(r.ExportState()) })
	if st := e.sim.Stats(); st.CreateCalls != 2 || r.CreateRefused()[runner.RefusedIntentExists] != 1 {
		t.Fatalf("create calls %d, refused %v: want the orphan reconciled and the target exported once more", st.CreateCalls, r.CreateRefused())
	}
	noIntentsLeft(t, e.store)
}
