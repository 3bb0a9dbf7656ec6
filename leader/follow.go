package leader

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/go-kit/log"
	"github.com/go-kit/log/level"

	"github.com/clari-exporter/clari_exporter/leader/leadership"
)

// Generations is the part of the store a follower polls; *store.SQLite and
// *store.Postgres implement it.
type Generations interface {
	Generation(ctx context.Context) (uint64, error)
}

// FollowOptions configure a Follower.
type FollowOptions struct {
	Store Generations
	// Refresh re-reads the shared state and publishes it (the runner's
	// state rebuild). Called when the generation moved, and once at start.
	Refresh func(ctx context.Context) error
	// Interval is how often the generation is polled: every replica shows
	// a change of the shared state within about this long
	// (config.FollowerSyncInterval).
	Interval time.Duration
	Logger   log.Logger
	Now      func() time.Time
}

// FollowState is the follower's published state, defined in the
// import-free leadership package so collector reads it without this one.
type FollowState = leadership.Sync

// Follower keeps a replica's published state in step with the shared
// store: it polls the store's generation (a primary-key read) and calls
// Refresh only when it moved, so followers serve what the leader wrote.
type Follower struct {
	o     FollowOptions
	state atomic.Pointer[FollowState]
}

// NewFollower returns a Follower; it reads nothing until Run or SyncNow.
func NewFollower(o FollowOptions) *Follower {
	if o.Logger == nil {
		o.Logger = log.NewNopLogger()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	f := &Follower{o: o}
	f.state.Store(&FollowState{})
	return f
}

// State returns the current state.
func (f *Follower) State() FollowState { return *f.state.Load() }

// Ready reports whether the shared state was read at least once.
func (f *Follower) Ready() bool { return f.state.Load().Synced }

// Run syncs at once and then every interval until ctx ends.
func (f *Follower) Run(ctx context.Context) {
	t := time.NewTicker(f.o.Interval)
	defer t.Stop()
	for {
		f.SyncNow(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// SyncNow reads the generation and refreshes when it moved (or nothing was
// read yet). A failure keeps the last state served and is retried at the
// next tick.
func (f *Follower) SyncNow(ctx context.Context) {
	g, err := f.o.Store.Generation(ctx)
	if err != nil {
		if ctx.Err() == nil {
			level.Warn(f.o.Logger).Log("msg", "cannot read the shared store generation; serving the last state read", "err", err)
		}
		return
	}
	old := f.state.Load()
	if old.Synced && g == old.Generation {
		f.state.Store(&FollowState{Synced: true, LastSync: f.o.Now(), Generation: g})
		return
	}
	if err := f.o.Refresh(ctx); err != nil {
		if ctx.Err() == nil {
			level.Warn(f.o.Logger).Log("msg", "cannot read the shared state; serving the last state read", "err", err)
		}
		return
	}
	f.state.Store(&FollowState{Synced: true, LastSync: f.o.Now(), Generation: g})
}
