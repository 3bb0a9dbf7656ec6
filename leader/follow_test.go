package leader

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/clari-exporter/clari_exporter/internal/pgtest"
	"github.com/clari-exporter/clari_exporter/store"
)

// A follower serves what another replica wrote to the shared store within
// its sync interval, re-reading the state only when the generation moved.
func TestFollowerServesTheLeadersWrites(t *testing.T) {
	dsn, _ := pgtest.Fresh(t)
	ctx := context.Background()
	leaderStore, err := store.OpenPostgres(ctx, dsn, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer leaderStore.Close()
	followerStore, err := store.OpenPostgres(ctx, dsn, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer followerStore.Close()

	var served atomic.Uint64 // runs_total as the follower would publish it
	var refreshes atomic.Int64
	f := NewFollower(FollowOptions{Store: followerStore, Interval: 100 * time.Millisecond,
		Refresh: func(ctx context.Context) error {
			refreshes.Add(1)
			states, err := followerStore.TargetStates(ctx)
			if err != nil {
				return err
			}
			var n uint64
			for _, st := range states {
				n += st.Runs
			}
			served.Store(n)
			return nil
		}})
	if f.Ready() {
		t.Fatal("ready before the first sync")
	}
	fctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go f.Run(fctx)
	waitUntil(t, 5*time.Second, "the first sync", f.Ready)

	// Idle: the generation does not move, nothing is re-read.
	time.Sleep(500 * time.Millisecond)
	if n := refreshes.Load(); n != 1 {
		t.Fatalf("%d refreshes of an unchanged store, want 1", n)
	}
	before := f.State().LastSync

	for i := 1; i <= 3; i++ {
		job := string(rune('a'+i)) + "-job"
		if err := leaderStore.FinishRun(ctx, store.Run{Forecast: "net_arr", Period: "2026_Q4", JobID: job,
			Outcome: store.OutcomeDone, FinishedAt: time.Now()}, nil); err != nil {
			t.Fatal(err)
		}
		took := waitUntil(t, 2*time.Second, "the follower to serve the leader's run", func() bool { return served.Load() == uint64(i) })
		t.Logf("run %d served by the follower after %v", i, took)
	}
	if st := f.State(); !st.LastSync.After(before) || st.Generation == 0 {
		t.Fatalf("follow state %+v", st)
	}
}

type failingGen struct{ err error }

func (g failingGen) Generation(context.Context) (uint64, error) { return 0, g.err }

// While the store cannot be read the follower keeps the last state and its
// sync time does not move (the staleness shows in the metric).
func TestFollowerKeepsLastStateOnErrors(t *testing.T) {
	calls := 0
	f := NewFollower(FollowOptions{Store: failingGen{errors.New("connection refused")}, Interval: time.Second,
		Refresh: func(context.Context) error { calls++; return nil }})
	f.SyncNow(context.Background())
	if f.Ready() || calls != 0 || !f.State().LastSync.IsZero() {
		t.Fatalf("state %+v after a failed generation read, %d refreshes", f.State(), calls)
	}
}
