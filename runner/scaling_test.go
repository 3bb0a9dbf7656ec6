package runner_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/clari-exporter/clari_exporter/clari/clarisim"
	"github.com/clari-exporter/clari_exporter/config"
	"github.com/clari-exporter/clari_exporter/runner"
	"github.com/clari-exporter/clari_exporter/snapshot"
	"github.com/clari-exporter/clari_exporter/store"
)

// countingStore counts the store reads the runner makes.
type countingStore struct {
	store.Store
	reads atomic.Int64
}

func (c *countingStore) TargetStates(ctx context.Context) ([]store.TargetState, error) {
	c.reads.Add(1)
	return c.Store.TargetStates(ctx)
}

func (c *countingStore) TargetState(ctx context.Context, f, p string) (store.TargetState, error) {
	c.reads.Add(1)
	return c.Store.TargetState(ctx, f, p)
}

func (c *countingStore) SnapshotHistory(ctx context.Context, f, p string, n int) ([]snapshot.Snapshot, error) {
	c.reads.Add(1)
	return c.Store.SnapshotHistory(ctx, f, p, n)
}

func (c *countingStore) LatestSnapshots(ctx context.Context) ([]snapshot.Snapshot, error) {
	c.reads.Add(1)
	return c.Store.LatestSnapshots(ctx)
}

func (c *countingStore) Runs(ctx context.Context, f, p string, n int) ([]store.Run, error) {
	c.reads.Add(1)
	return c.Store.Runs(ctx, f, p, n)
}

// TestStoreReadsPerRunDoNotGrowWithTargets: with 5 and with 250
// configured targets, each finished export run costs the same number of
// store reads (its own target's state and history), where re-reading
// every target after each run made a cycle quadratic.
func TestStoreReadsPerRunDoNotGrowWithTargets(t *testing.T) {
	perRun := map[int]float64{}
	for _, n := range []int{5, 250} {
		forecasts := make([]string, n/5)
		for i := range forecasts {
			forecasts[i] = fmt.Sprintf("fc_%03d", i)
		}
		e := newEnv(t, envOptions{
			forecasts: forecasts,
			scenario:  clarisim.Scenario{JobDuration: time.Millisecond},
			tenant:    func(ts *clarisim.TenantSpec) { ts.Forecasts, ts.Quarters, ts.Users = forecasts, 5, 2 },
			config: func(c *config.Config) {
				for i := range c.Forecasts {
					c.Forecasts[i].HistoricalQuarters = 4
				}
			},
		})
		// Every target has run before (30 days ago, so all are due), each
		// with a snapshot: re-reading all of them would cost 1 + n reads.
		ctx := context.Background()
		old := e.clock.Now().Add(-30 * 24 * time.Hour)
		for _, tg := range e.config().Targets(e.clock.Now()) {
			job := "old-" + tg.Forecast + "-" + tg.Period
			snap := &snapshot.Snapshot{Forecast: tg.Forecast, Period: tg.Period, JobID: job, CreatedAt: old, Rows: 1,
				Periods: []string{tg.Period}, RowsByPeriod: map[string]int{tg.Period: 1}}
			run := store.Run{Forecast: tg.Forecast, Period: tg.Period, JobID: job, Outcome: store.OutcomeDone,
				StartedAt: old.Add(-time.Minute), FinishedAt: old, Rows: 1}
			if err := e.store.FinishRun(ctx, run, snap); err != nil {
				t.Fatal(err)
			}
		}
		cs := &countingStore{Store: e.store}
		r := e.runner(func(o *runner.Options) { o.Store = cs })
		if err := r.Load(ctx); err != nil {
			t.Fatal(err)
		}
		if got := len(r.ExportState().Targets); got != n {
			t.Fatalf("setup: %d targets, want %d", got, n)
		}
		cs.reads.Store(0)
		// The next 5 runs (of 5 or of 250 targets).
		es := runUntil(t, r, "5 runs", func(es *runner.State) bool { return ranTotal(es) >= float64(n)+5 })
		runs := ranTotal(es) - float64(n)
		perRun[n] = float64(cs.reads.Load()) / runs
		t.Logf("%d targets: %v runs, %d store reads (%.1f per run)", n, runs, cs.reads.Load(), perRun[n])
	}
	if perRun[5] != perRun[250] {
		t.Errorf("store reads per run: %.1f with 5 targets, %.1f with 250; want the same", perRun[5], perRun[250])
	}
}

func ranTotal(es *runner.State) float64 {
	var n float64
	for _, ts := range es.Targets {
		n += float64(ts.Runs)
	}
	return n
}
