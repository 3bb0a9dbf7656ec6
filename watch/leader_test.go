package watch

import (
	"context"
	"testing"
	"time"

	"github.com/clari-exporter/clari_exporter/clari/clarisim"
)

// runOnePoll runs w.Run (a leader term of the watch) until its first poll
// published, then ends the term.
func runOnePoll(t *testing.T, w *Watcher) {
	t.Helper()
	before := w.State()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); w.Run(ctx) }()
	deadline := time.Now().Add(30 * time.Second)
	for w.State() == before && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	// Poll holds w.mu from before its first publish until it returns, so
	// taking the lock waits for the inspection (and its save) to finish,
	// however slow the machine.
	w.mu.Lock()
	//lint:ignore SA2001 an empty critical section on purpose: a wait, not a guard
	w.mu.Unlock()
	cancel()
	<-done
}

// TestEachTermStartsFromTheStoredDocument: on a shared store the watch runs
// on the leader only, and leadership moves. A replica leading again must
// start from the document the other leader saved meanwhile, not from the
// one it held: else it downloads again the results the other already
// inspected (and overwrites the other's counts).
func TestEachTermStartsFromTheStoredDocument(t *testing.T) {
	e := newEnv(t, clarisim.Scenario{})
	e.cfg.Watch.InspectResults = true
	f0 := e.sim.Tenant().Forecasts[0]
	period := clarisim.QuarterOf(e.start, e.sim.Tenant().FiscalStartMonth).ID()
	if err := e.sim.StartPipeline(e.start, []clarisim.PipelineJob{
		{At: 10 * time.Second, Forecast: f0},
		{At: 3 * time.Minute, Forecast: f0},
	}); err != nil {
		t.Fatal(err)
	}
	a, b := e.watcher(), e.watcher() // two replicas on one store
	runOnePoll(t, a)
	e.clk.Advance(2 * time.Minute) // job 1 done
	runOnePoll(t, a)
	if served := e.sim.Stats().ResultsServed; served != 1 {
		t.Fatalf("term 1: %d results downloaded, want job 1's", served)
	}
	e.clk.Advance(3 * time.Minute) // job 2 done; b leads now
	runOnePoll(t, b)
	if served := e.sim.Stats().ResultsServed; served != 2 {
		t.Fatalf("term 2: %d results downloaded, want job 2's too", served)
	}
	runOnePoll(t, a) // a leads again
	if served := e.sim.Stats().ResultsServed; served != 2 {
		t.Errorf("term 3 downloaded results again: %d downloads, want 2 (each job inspected once)", served)
	}
	if got := target(t, a.State(), f0, period).Jobs[StatusDone]; got != 2 {
		t.Errorf("term 3 counts %d done jobs, want 2", got)
	}
}
