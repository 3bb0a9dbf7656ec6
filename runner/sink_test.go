package runner_test

import (
	"context"
	"database/sql"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/common/model"

	"github.com/clari-exporter/clari_exporter/clari"
	"github.com/clari-exporter/clari_exporter/clari/clarisim"
	"github.com/clari-exporter/clari_exporter/config"
	"github.com/clari-exporter/clari_exporter/runner"
	"github.com/clari-exporter/clari_exporter/warehouse"
)

// recordingSink is a runner.Sink that remembers every load and how it
// ended.
type recordingSink struct {
	mu      sync.Mutex
	calls   []sinkCall // kept loads
	dropped []sinkCall // discarded loads
}

type sinkCall struct {
	forecast string
	entries  []clari.Entry
	loadedAt time.Time
}

func (s *recordingSink) Begin(_ context.Context, forecast string, loadedAt time.Time) (func(*clari.Entry) error, func(context.Context, bool) (int, error)) {
	c := &sinkCall{forecast: forecast, loadedAt: loadedAt}
	add := func(e *clari.Entry) error {
		c.entries = append(c.entries, *e)
		return nil
	}
	end := func(_ context.Context, keep bool) (int, error) {
		s.mu.Lock()
		defer s.mu.Unlock()
		if keep {
			s.calls = append(s.calls, *c)
		} else {
			s.dropped = append(s.dropped, *c)
		}
		return len(c.entries), nil
	}
	return add, end
}

func (s *recordingSink) Calls() []sinkCall {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]sinkCall(nil), s.calls...)
}

func (s *recordingSink) Dropped() []sinkCall {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]sinkCall(nil), s.dropped...)
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
	if ts := target(t, es, "bookings"); ts.Failures["empty"] != 1 {
		t.Fatalf("setup: bookings failures %v, want one empty", ts.Failures)
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
	if d := sink.Dropped(); len(d) != 0 {
		t.Errorf("%d loads discarded, want none (the empty export never started one)", len(d))
	}
}

// TestSinkDiscardsAnExportThatFailsItsGuard: the entries of an export that
// Clari silently answered with another quarter reach the sink as they are
// decoded, and its load is discarded, never kept; the two good quarters
// are kept.
func TestSinkDiscardsAnExportThatFailsItsGuard(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{
		forecasts: []string{"net_arr"},
		tenant:    func(ts *clarisim.TenantSpec) { ts.Quarters = 2 },
		config:    func(c *config.Config) { c.Forecasts[0].HistoricalQuarters = 2 },
	})
	sink := &recordingSink{}
	runUntil(t, e.runner(func(o *runner.Options) { o.Sink = sink }), "every target ran", allRan(1))
	if kept := sink.Calls(); len(kept) != 2 {
		t.Errorf("%d loads kept, want 2 (the quarters that exist)", len(kept))
	}
	dropped := sink.Dropped()
	if len(dropped) != 1 || len(dropped[0].entries) == 0 {
		t.Fatalf("discarded loads %d, want 1 with the fallback's entries", len(dropped))
	}
}

// TestTruncatedExportKeepsTheLastGoodOne: a DONE job whose record says
// rowsTruncated fails as truncated; the previous snapshot stays the
// target's latest and the warehouse table (the real SQLite sink) holds
// exactly the rows the good export loaded, none of the truncated one's.
func TestTruncatedExportKeepsTheLastGoodOne(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{forecasts: []string{"net_arr"}, tenant: gitLabTenant, config: func(c *config.Config) {
		c.Schedule.CurrentInterval = model.Duration(time.Minute)
	}})
	whPath := t.TempDir() + "/warehouse.db"
	wcfg := config.DefaultWarehouse()
	wcfg.Driver, wcfg.Sink = "sqlite", true
	wh, err := warehouse.Open(context.Background(), wcfg, config.Secret(whPath), nil)
	must(t, err)
	t.Cleanup(func() { wh.Close() })
	db, err := sql.Open("sqlite", whPath)
	must(t, err)
	t.Cleanup(func() { db.Close() })
	// The table as a fingerprint: rows and when they were last loaded.
	table := func() (rows int, lastLoad string) {
		t.Helper()
		must(t, db.QueryRow(`SELECT COUNT(*), COALESCE(MAX(loaded_at), '') FROM `+wcfg.Table).Scan(&rows, &lastLoad))
		return rows, lastLoad
	}

	r := e.runner(func(o *runner.Options) { o.Sink = warehouse.NewSink(wh) })
	good := target(t, runUntil(t, r, "the first export", allRan(1)), "net_arr")
	goodRows, goodLoad := table()
	if !good.LastRunSuccess || goodRows == 0 {
		t.Fatalf("setup: first export success %v, %d warehouse rows", good.LastRunSuccess, goodRows)
	}
	must(t, e.sim.NextJobTruncated("net_arr", clarisim.JobTruncation{Rows: true}))
	e.clock.Advance(2 * time.Minute)
	ts := target(t, runUntil(t, r, "the truncated export", allRan(2)), "net_arr")
	if ts.Failures[string(clari.OutcomeTruncated)] != 1 || ts.LastRunSuccess || ts.LastOutcome != string(clari.OutcomeTruncated) {
		t.Fatalf("failures %v, last outcome %q success %v; want one truncated failure", ts.Failures, ts.LastOutcome, ts.LastRunSuccess)
	}
	if ts.Latest == nil || ts.Latest.JobID != good.Latest.JobID || ts.Latest.Rows != good.Latest.Rows || !ts.LastSuccess.Equal(good.LastSuccess) {
		t.Fatalf("latest snapshot %+v (last success %v), want the first export's (%s, %d rows) kept", ts.Latest, ts.LastSuccess, good.Latest.JobID, good.Latest.Rows)
	}
	hist, err := e.store.SnapshotHistory(context.Background(), "net_arr", ts.Period, 5)
	must(t, err)
	if len(hist) != 1 {
		t.Errorf("%d snapshots stored, want only the good one", len(hist))
	}
	if rows, load := table(); rows != goodRows || load != goodLoad {
		t.Errorf("warehouse: %d rows last loaded %s, want the good export's %d rows of %s untouched", rows, load, goodRows, goodLoad)
	}
	if jobs := jobsOf(e.sim, "net_arr"); len(jobs) != 2 || !jobs[1].Job.Truncated() {
		t.Fatalf("setup: the second job is not the truncated one: %+v", jobs)
	}
}

// failingSink is a runner.Sink whose every load fails when it ends, as a
// warehouse that refuses writes does.
type failingSink struct{}

func (failingSink) Begin(context.Context, string, time.Time) (func(*clari.Entry) error, func(context.Context, bool) (int, error)) {
	return func(*clari.Entry) error { return nil },
		func(context.Context, bool) (int, error) { return 0, errors.New("sql: database is closed") }
}

// TestFailedSinkLoadIsInTheRunsRecord: the export succeeds (the run is
// done) and its record says the warehouse load failed.
func TestFailedSinkLoadIsInTheRunsRecord(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{forecasts: []string{"net_arr"}, scenario: scenarioInstant()})
	es := runUntil(t, e.runner(func(o *runner.Options) { o.Sink = failingSink{} }), "ran", allRan(1))
	ts := target(t, es, "net_arr")
	runs, err := e.store.Runs(context.Background(), ts.Forecast, ts.Period, 1)
	if err != nil || len(runs) != 1 {
		t.Fatalf("runs %v, %v", runs, err)
	}
	if !runs[0].Success() || runs[0].Error != "warehouse load failed: sql: database is closed" {
		t.Errorf("run %s, error %q; want done with the warehouse load failure", runs[0].Outcome, runs[0].Error)
	}
}
