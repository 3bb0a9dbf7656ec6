// Package runner is the export scheduler: it decides which (forecast, period)
// target to export when, checks the quota budget first, runs the Clari export
// job lifecycle, turns the result into a snapshot, records it in the store
// (and the warehouse sink) and keeps the in-memory state /metrics reads.
//
// Exports run one at a time: Clari's per-org concurrency limit (about 3) is
// shared with the production pipeline, and one sidecar job at a time never
// takes more than its share. A stuck job is bounded by the polling timeout.
package runner

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/clari-exporter/clari_exporter/internal/every"

	"github.com/go-kit/log"
	"github.com/go-kit/log/level"

	"github.com/clari-exporter/clari_exporter/clari"
	"github.com/clari-exporter/clari_exporter/config"
	"github.com/clari-exporter/clari_exporter/fiscal"
	"github.com/clari-exporter/clari_exporter/store"
)

// ExportAPI is the part of *clari.Client the runner uses.
type ExportAPI interface {
	Limits(ctx context.Context) (clari.Limits, error)
	RunExport(ctx context.Context, req clari.ExportRequest, o clari.RunOptions) clari.RunResult
	ResumeExport(ctx context.Context, jobID string, req clari.ExportRequest, o clari.RunOptions) clari.RunResult
	// ReconcileExport adopts the job a create intent made at since may have
	// made, or answers clari.ErrNoJobFound.
	ReconcileExport(ctx context.Context, since time.Time, req clari.ExportRequest, o clari.RunOptions) clari.RunResult
}

// Sink receives the entries of every export as they are decoded (the
// warehouse upsert sink); nil for none. Begin starts one export's load: add
// gets each decoded entry (it may keep nothing of it), end(keep) completes
// the load when the export succeeded and passed its guards, or discards
// what was staged. Nothing of the export is held by the runner.
type Sink interface {
	Begin(ctx context.Context, forecast string, loadedAt time.Time) (add func(*clari.Entry) error, end func(ctx context.Context, keep bool) (int, error))
}

// Options wire a Runner.
type Options struct {
	API   ExportAPI
	Store store.Store
	// Config returns the current configuration file (a reload takes effect
	// at the next scheduling tick); the runner sends no secret itself (the
	// Clari client holds the key).
	Config func() *config.File
	// FreshLimits reads /admin/limits right before each create (the budget
	// check): the Clari health monitor's Fresh, so the reading it takes is
	// the one /metrics and readiness show. Default API.Limits.
	FreshLimits func(ctx context.Context) (clari.Limits, error)
	// Sink is optional.
	Sink Sink
	// ObserveDuration feeds clari_export_duration_seconds; optional.
	ObserveDuration func(forecast string, d time.Duration)
	// OnStateChange is called after the state /metrics reads has changed
	// (a run finished, a skip was counted); optional.
	OnStateChange func()
	Logger        log.Logger
	// Now is the clock; default time.Now.
	Now func() time.Time
	// Tick is how often due targets are looked for; default 1 s.
	Tick time.Duration
	// Calendar is the fiscal calendar in use (configured, or learned from
	// Clari), shared with the pipeline watch; default a Book of its own
	// over Store.
	Calendar *fiscal.Book
	// Leadership is the leader election (*leader.Elector) on a shared
	// store: right before each create the runner checks it still leads the
	// term its intent carries (Lead). nil when this process schedules
	// alone (SQLite: one process under a file lock; intents carry term 0).
	Leadership Leadership
}

// Leadership is what the create path asks the leader election.
type Leadership interface {
	// Leading reports whether this replica leads term right now, within
	// its trust window.
	Leading(term int64) bool
	// Holder identifies this replica in the intents it writes.
	Holder() string
}

// Runner runs exports on schedule. Create it with New, start it with Run.
type Runner struct {
	opts   Options
	logger log.Logger

	mu          sync.RWMutex
	lastAttempt map[targetKey]time.Time // run or skip, drives the schedule
	stored      stored                  // the store's targets, rebuilt after every change
	loaded      bool
	lastPrune   time.Time // the last sweep for departed targets (runDue's goroutine only)
	// leftovers are the intents there when Run began (requested at, by
	// target): left by an older term, so this one reconciles them; nil
	// when they could not be read.
	leftovers map[targetKey]time.Time

	onChange []func() // OnStateChange and OnChange subscribers, guarded by mu

	state  atomic.Pointer[State] // the published state (state.go)
	pubMu  sync.Mutex            // serialises publishing
	pubGen uint64                // Generation of the latest published State

	term    atomic.Int64 // the leader term Lead runs for; 0 under Run
	refused refusals     // creates refused before the POST (intent.go)

	// heldByCalendar are the targets skipped for a fiscal calendar
	// mismatch (calendar.go; runDue's goroutine only): due again as soon
	// as the configuration is fixed.
	heldByCalendar map[targetKey]bool
	// started is when Run began (guarded by mu): the learning export waits
	// a watch interval after it for the watch to learn the calendar free.
	started time.Time
}

type targetKey struct{ forecast, period string }

// New checks the options and builds a Runner.
func New(o Options) *Runner {
	if o.Logger == nil {
		o.Logger = log.NewNopLogger()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Tick <= 0 {
		o.Tick = time.Second
	}
	if o.FreshLimits == nil && o.API != nil {
		o.FreshLimits = o.API.Limits
	}
	if o.Calendar == nil {
		o.Calendar = fiscal.NewBook(o.Store, o.Config, o.Logger)
	}
	r := &Runner{opts: o, logger: o.Logger, lastAttempt: map[targetKey]time.Time{}}
	if o.OnStateChange != nil {
		r.onChange = append(r.onChange, o.OnStateChange)
	}
	return r
}

// OnChange registers fn to be called after the published state changed
// (what OnStateChange does), for a component built after the runner that
// follows its state (the warehouse reconciliation).
func (r *Runner) OnChange(fn func()) {
	r.mu.Lock()
	r.onChange = append(r.onChange, fn)
	r.mu.Unlock()
}

// Load reads the persisted state so /metrics and the schedule start from
// where the last process stopped. Run calls it; cmd calls it first to flip
// /-/ready as soon as state is loaded.
func (r *Runner) Load(ctx context.Context) error {
	if err := r.opts.Calendar.Load(ctx); err != nil {
		return err
	}
	if err := r.refresh(ctx); err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for k, s := range r.stored.targets {
		if !s.LastRun.IsZero() {
			r.lastAttempt[k] = s.LastRun
		}
	}
	r.loaded = true
	return nil
}

// Loaded reports whether persisted state has been read.
func (r *Runner) Loaded() bool {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.loaded
}

// Run resumes jobs left in flight by a previous process, then exports due
// targets until ctx is cancelled. A job interrupted by cancellation stays
// persisted as in flight, so the next start resumes it instead of spending
// quota on a new one.
func (r *Runner) Run(ctx context.Context) error {
	if !r.Loaded() {
		if err := r.Load(ctx); err != nil {
			if ctx.Err() != nil {
				return nil // shut down while loading: nothing was started
			}
			return err
		}
	}
	r.mu.Lock()
	r.started = r.opts.Now()
	r.mu.Unlock()
	r.resumeInFlight(ctx)
	every.Run(ctx, r.opts.Tick, r.runDue)
	return nil
}

// Lead is Run for one term of the leader election: every create intent
// carries term, and each create is sent only while Options.Leadership says
// this replica still leads it. The elector never runs two terms at once in
// one process, so one term field is enough.
func (r *Runner) Lead(ctx context.Context, term int64) error {
	r.term.Store(term)
	return r.Run(ctx)
}

// runDue exports every target whose interval has passed since its last
// attempt, oldest attempt first.
func (r *Runner) runDue(ctx context.Context) {
	r.pruneDeparted(ctx)
	cfg := r.opts.Config()
	if !cfg.Schedule.Enabled || r.heldForCalendar(ctx, cfg) {
		return
	}
	for _, t := range r.dueTargets(cfg, r.opts.Now()) {
		if ctx.Err() != nil {
			return
		}
		// A run may have just found the configured calendar wrong: then
		// no other target spends an export on a wrong quarter.
		if r.heldForCalendar(ctx, cfg) {
			return
		}
		r.attempt(ctx, cfg, t)
	}
}

func (r *Runner) markAttempt(t config.Target, at time.Time) {
	r.mu.Lock()
	r.lastAttempt[targetKey{t.Forecast, t.Period}] = at
	r.mu.Unlock()
}

// changed re-reads the target a run or skip changed, and only that one:
// the cost of a run does not grow with the number of targets.
func (r *Runner) changed(ctx context.Context, forecast, period string) {
	if err := r.refreshTarget(ctx, forecast, period); err != nil {
		level.Warn(r.logger).Log("msg", "cannot refresh export state from the store", "err", err)
	}
	r.mu.RLock()
	subscribers := r.onChange
	r.mu.RUnlock()
	for _, fn := range subscribers {
		fn()
	}
}
