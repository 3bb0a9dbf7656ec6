package app

import (
	"context"
	"sync"
	"time"

	"github.com/go-kit/log"
	"github.com/go-kit/log/level"

	"github.com/clari-exporter/clari_exporter/config"
	"github.com/clari-exporter/clari_exporter/leader"
	"github.com/clari-exporter/clari_exporter/store"
)

// shared is what a replica on a shared (PostgreSQL) store runs besides the
// single-replica components: the leader election and the follower sync.
// Only the leader runs the export runner, the warehouse checks and
// retention; every replica serves the shared state (docs/ha.md).
type shared struct {
	elector  *leader.Elector
	follower *leader.Follower
}

// newElector builds the election on the store's lease. It is built before
// the runner, which asks it before every create.
func (a *App) newElector(cfg *config.Config, pg *store.Postgres, logger log.Logger) (*leader.Elector, error) {
	return leader.New(leader.Options{
		Lease:         pg,
		Name:          config.LeaseName,
		LeaseDuration: time.Duration(cfg.HA.LeaseDuration),
		RenewInterval: time.Duration(cfg.HA.RenewInterval),
		PollInterval:  config.LeasePollInterval,
		Logger:        log.With(logger, "component", "leader"),
		Lead:          a.lead,
		OnChange:      func(st leader.State) { a.metrics.Exporter.SetLeader(st.Leader) },
	})
}

// newShared adds the follower sync of the runner's published state to the
// elector.
func (a *App) newShared(elector *leader.Elector, pg *store.Postgres, logger log.Logger) *shared {
	s := &shared{elector: elector}
	s.follower = leader.NewFollower(leader.FollowOptions{
		Store:    pg,
		Interval: config.FollowerSyncInterval,
		// The leader's runner refreshes itself after its own writes (and
		// keeps its schedule); a follower re-reads what the leader wrote.
		Refresh: func(ctx context.Context) error {
			if s.elector.State().Leader {
				return nil
			}
			return a.runner.Load(ctx)
		},
		Logger: log.With(logger, "component", "follower"),
	})
	return s
}

// runShared is start for a replica of a shared store: ready once it serves
// the shared state, then it competes for the lease until ctx ends (and
// releases it then, so another replica takes over at once).
func (a *App) runShared(ctx context.Context) {
	s := a.shared
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); s.follower.Run(ctx) }()
	for !s.follower.Ready() {
		select {
		case <-ctx.Done():
			wg.Wait()
			return
		case <-time.After(50 * time.Millisecond):
		}
	}
	a.ready.Store(true)
	wg.Add(1)
	go func() { defer wg.Done(); a.runProducers(ctx, a.everyReplica()) }()
	if err := s.elector.Run(ctx); err != nil {
		level.Error(a.logger).Log("msg", "leader election stopped", "err", err)
	}
	wg.Wait()
}

// lead runs what only the leader may run, for one term, until ctx ends
// (leadership lost or shutdown): exports, the pipeline watch (its result
// downloads and the document it saves), warehouse checks and retention.
// The runner starts as after a restart: it loads the state, resumes the
// in-flight jobs and reconciles every create intent left by an older term
// against Clari's job list before it creates anything; each create carries
// term and is sent only while this replica still leads it.
func (a *App) lead(ctx context.Context, term int64) {
	level.Info(a.logger).Log("msg", "leading: running exports, pipeline watch, warehouse checks and retention", "term", term)
	if err := a.runner.Load(ctx); err != nil {
		level.Error(a.logger).Log("msg", "cannot load the shared state; stepping down", "err", err)
		return
	}
	a.runProducers(ctx, a.exporting(term))
}
