package app

import (
	"context"
	"sync"

	"github.com/go-kit/log/level"
)

// producer is one loop the app runs: it works until ctx ends. An error is
// logged when it stops before that.
type producer struct {
	name string
	run  func(ctx context.Context) error
}

// soleTerm is the term of a replica that exports alone (SQLite: one
// process under the file lock, no election): its create intents carry 0.
const soleTerm int64 = 0

// everyReplica lists what runs on every replica for the whole process,
// leader or not: the readiness audit. (The Clari health monitor runs from
// Run, before start waits for its first reading.)
func (a *App) everyReplica() []producer {
	return []producer{
		{"readiness audit", func(ctx context.Context) error { a.readiness.Run(ctx); return nil }},
	}
}

// exporting lists what runs while this replica exports: for the whole
// process when it is alone, for each term it leads on a shared store
// (docs/ha.md). The runner's state is loaded before: see start and lead.
func (a *App) exporting(term int64) []producer {
	var ps []producer
	if a.whChecks != nil {
		ps = append(ps, producer{"warehouse checks", func(ctx context.Context) error { a.whChecks.Run(ctx); return nil }})
	}
	return append(ps,
		producer{"pipeline watch", func(ctx context.Context) error { a.watch.Run(ctx); return nil }},
		producer{"export runner", func(ctx context.Context) error { return a.runner.Lead(ctx, term) }},
	)
}

// runProducers runs each producer in its own goroutine and returns once
// every one has returned.
func (a *App) runProducers(ctx context.Context, ps []producer) {
	var wg sync.WaitGroup
	for _, p := range ps {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := p.run(ctx); err != nil && ctx.Err() == nil {
				level.Error(a.logger).Log("msg", p.name+" stopped", "err", err)
			}
		}()
	}
	wg.Wait()
}
