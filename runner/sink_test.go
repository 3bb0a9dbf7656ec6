package runner_test

import (
	"context"
	"iter"
	"sync"
	"testing"
	"time"

	"github.com/clari-exporter/clari_exporter/clari"
	"github.com/clari-exporter/clari_exporter/clari/clarisim"
	"github.com/clari-exporter/clari_exporter/runner"
)

// recordingSink is a runner.Sink that remembers every call.
type recordingSink struct {
	mu    sync.Mutex
	calls []sinkCall
}

type sinkCall struct {
	forecast string
	entries  []clari.Entry
	loadedAt time.Time
}

func (s *recordingSink) Write(_ context.Context, forecast string, entries iter.Seq[clari.Entry], loadedAt time.Time) (int, error) {
	c := sinkCall{forecast: forecast, loadedAt: loadedAt}
	for e := range entries {
		c.entries = append(c.entries, e)
	}
	s.mu.Lock()
	s.calls = append(s.calls, c)
	s.mu.Unlock()
	return len(c.entries), nil
}

func (s *recordingSink) Calls() []sinkCall {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]sinkCall(nil), s.calls...)
}

func scenarioInstant() clarisim.Scenario { return clarisim.Scenario{JobDuration: time.Millisecond} }

// TestSinkGetsSuccessfulExportsOnly: net_arr succeeds and reaches the sink
// with every entry; bookings comes back empty (a failure) and does not.
func TestSinkGetsSuccessfulExportsOnly(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{scenario: clarisim.Scenario{DuplicateEvery: 7, JobDuration: 50 * time.Millisecond}})
	e.sim.SetEmpty("bookings", "*", true)
	sink := &recordingSink{}
	es := runUntil(t, e.runner(func(o *runner.Options) { o.Sink = sink }), "both ran", allRan(1))
	if ts := target(t, es, "bookings"); ts.FailuresByReason["empty"] != 1 {
		t.Fatalf("setup: bookings failures %v, want one empty", ts.FailuresByReason)
	}
	calls := sink.Calls()
	if len(calls) != 1 || calls[0].forecast != "net_arr" {
		var fs []string
		for _, c := range calls {
			fs = append(fs, c.forecast)
		}
		t.Fatalf("sink called for %v, want once for net_arr", fs)
	}
	jobs := jobsOf(e.sim, "net_arr")
	summary, err := e.sim.JobSummary(jobs[0].Job.JobID)
	if err != nil {
		t.Fatal(err)
	}
	// Every decoded entry, the stale duplicates included (the sink upserts).
	wantEntries := summary.Values + (summary.JSONEntries-summary.Keys)*len(jobs[0].Params.Types)
	if summary.JSONEntries == summary.Keys {
		t.Fatal("setup: the document has no duplicates")
	}
	if got := len(calls[0].entries); got != wantEntries {
		t.Errorf("sink got %d entries, want %d (%d distinct values, %d duplicate JSON entries)",
			got, wantEntries, summary.Values, summary.JSONEntries-summary.Keys)
	}
	// The entries are copies, not the decoder's reused one.
	distinct := map[clari.Entry]bool{}
	for _, en := range calls[0].entries {
		distinct[en] = true
	}
	if len(distinct) < summary.Values {
		t.Errorf("sink got only %d distinct entries of %d values: entries are aliased", len(distinct), summary.Values)
	}
	if calls[0].loadedAt.IsZero() {
		t.Error("sink loadedAt is zero")
	}
}
