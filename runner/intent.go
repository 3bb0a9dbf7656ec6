package runner

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"time"

	"github.com/go-kit/log/level"

	"github.com/clari-exporter/clari_exporter/clari"
	"github.com/clari-exporter/clari_exporter/config"
	"github.com/clari-exporter/clari_exporter/store"
)

// The runner's side of the spend protocol (clari/spend.go,
// docs/client.md#the-spend-protocol): every create is preceded by a durable
// intent in the store; an intent whose job id never got persisted (a
// timeout, a 5xx, a crash right after the POST) is reconciled against
// Clari's job list before the target may create again, at start-up and at
// the target's next scheduled run.

// Why a create was refused before its POST: the `reason` label of
// clari_export_create_refused_total.
const (
	// RefusedNotLeader: right before the POST this replica no longer led
	// the term that wrote the intent (trust window lapsed, lease lost).
	RefusedNotLeader = "not_leader"
	// RefusedIntentExists: another create intent for the target is
	// unresolved (store.ErrIntentExists): another process is creating it.
	RefusedIntentExists = "intent_exists"
	// RefusedSlotTaken: another process exported the slot since this one
	// looked, or has a job in flight for it (store.ErrSlotTaken).
	RefusedSlotTaken = "slot_taken"
)

// refusedWhy is the log line's explanation of each refusal.
var refusedWhy = map[string]string{
	RefusedNotLeader:    "this replica no longer leads the term that wrote the intent (its lease was not renewed within the trust window, or another replica holds a newer term)",
	RefusedIntentExists: "another process's create intent for this target is unresolved (two leaders at once?); the intent table allows one",
	RefusedSlotTaken:    "another process exported this slot since this replica looked, or has its job in flight (two leaders at once?)",
}

// CreateRefusedError ends a run whose create was refused before the POST:
// nothing was sent, nothing spent.
type CreateRefusedError struct{ Reason string }

func (e *CreateRefusedError) Error() string {
	return "create not sent: " + e.Reason + ": " + refusedWhy[e.Reason]
}

// refusals counts this replica's refused creates by reason (per replica,
// like the API counters: the replica that was refused counts it).
type refusals struct {
	mu sync.Mutex
	n  map[string]uint64
}

// CreateRefused returns the count of refused creates of every reason in
// CreateRefusedReasons (clari_export_create_refused_total).
func (r *Runner) CreateRefused() map[string]uint64 {
	r.refused.mu.Lock()
	defer r.refused.mu.Unlock()
	out := make(map[string]uint64, len(CreateRefusedReasons))
	for _, reason := range CreateRefusedReasons {
		out[reason] = r.refused.n[reason]
	}
	return out
}

// refuse counts and logs a create refused before its POST.
func (r *Runner) refuse(forecast, period, reason string, term int64) error {
	r.refused.mu.Lock()
	if r.refused.n == nil {
		r.refused.n = map[string]uint64{}
	}
	r.refused.n[reason]++
	r.refused.mu.Unlock()
	level.Warn(r.logger).Log("msg", "create export refused before it was sent; nothing spent", "forecast", forecast, "period", period,
		"reason", reason, "why", refusedWhy[reason], "term", term)
	return &CreateRefusedError{Reason: reason}
}

// seenRuns is the target's run count as this runner knows it: the slot
// guard of its next intent.
func (r *Runner) seenRuns(forecast, period string) uint64 {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.stored.targets[targetKey{forecast, period}].Runs
}

// spend wires the store into the client's spend protocol for one run of a
// target. request encodes the request of the job about to be created;
// replaces is the run's job in flight that a re-queue replaces ("" before
// the first).
func (r *Runner) spend(forecast, period string, request func() ([]byte, error), replaces func() string) clari.Spend {
	return clari.Spend{
		Now: r.opts.Now,
		Intent: func(at time.Time) error {
			b, err := request()
			if err != nil {
				return err
			}
			term := r.term.Load()
			in := store.Intent{Forecast: forecast, Period: period, RequestedAt: at, Request: b, Term: term,
				SeenRuns: r.seenRuns(forecast, period), Replaces: replaces()}
			if l := r.opts.Leadership; l != nil {
				in.Holder = l.Holder()
			}
			// Not bound to the run's ctx: an intent is about money, and a
			// half-written one must not be left by a shutdown.
			pctx, cancel := context.WithTimeout(context.Background(), persistTimeout)
			defer cancel()
			switch err := r.opts.Store.PutIntent(pctx, in); {
			case errors.Is(err, store.ErrIntentExists):
				return r.refuse(forecast, period, RefusedIntentExists, term)
			case errors.Is(err, store.ErrSlotTaken):
				return r.refuse(forecast, period, RefusedSlotTaken, term)
			case err != nil:
				return err
			}
			// The last moment before the POST: a leader whose trust window
			// lapsed (partitioned, paused) must not spend, even though its
			// run's ctx has not been cancelled yet. The intent is its own
			// and nothing was sent: resolved at once.
			if l := r.opts.Leadership; l != nil && !l.Leading(term) {
				r.clearIntent(pctx, forecast, period, at)
				return r.refuse(forecast, period, RefusedNotLeader, term)
			}
			return nil
		},
		NoJob: func(at time.Time) { r.clearIntent(context.Background(), forecast, period, at) },
		Claimed: func(ctx context.Context) (map[string]bool, error) {
			return r.opts.Store.OwnJobIDs(ctx)
		},
		Duplicate: func(jobID string) {
			pctx, cancel := context.WithTimeout(context.Background(), persistTimeout)
			defer cancel()
			if err := r.opts.Store.RecordDuplicateJob(pctx, forecast, period, r.opts.Now()); err != nil {
				level.Error(r.logger).Log("msg", "cannot count a duplicate export job", "forecast", forecast, "period", period, "job", jobID, "err", err)
			}
		},
	}
}

// clearIntent resolves an intent as "Clari made no job".
func (r *Runner) clearIntent(ctx context.Context, forecast, period string, at time.Time) {
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), persistTimeout)
	defer cancel()
	if err := r.opts.Store.ClearIntent(cctx, forecast, period, at); err != nil {
		level.Error(r.logger).Log("msg", "cannot resolve a create intent; the next run reconciles it again", "forecast", forecast, "period", period, "err", err)
	}
}

// pendingIntent says how the target's next run starts: by reconciling the
// intent an earlier run left, or (zero start) by a new create. ok is false
// when the store cannot say, or another leader's intent is in the making:
// then nothing is created this time.
func (r *Runner) pendingIntent(ctx context.Context, t config.Target) (start, bool) {
	intents, err := r.opts.Store.Intents(ctx)
	if err != nil {
		level.Error(r.logger).Log("msg", "cannot read create intents; not creating an export that may exist already", "forecast", t.Forecast, "period", t.Period, "err", err)
		return start{}, false
	}
	for _, in := range intents {
		if in.Forecast == t.Forecast && in.Period == t.Period {
			if !r.leftover(in) {
				// Written by another term since this one began: a second
				// leader may be creating this slot right now, and
				// reconciling could clear its intent before its job shows.
				// Refused this time (leftover noted it); by the target's
				// next run that leader has stored its job id (resolving
				// the intent), or the intent is an orphan, reconciled then.
				_ = r.refuse(t.Forecast, t.Period, RefusedIntentExists, r.term.Load())
				return start{}, false
			}
			level.Info(r.logger).Log("msg", "reconciling the create intent of an earlier run before creating", "forecast", t.Forecast, "period", t.Period, "requested_at", in.RequestedAt, "intent_term", in.Term)
			return start{intentAt: in.RequestedAt, requeues: requeuesOf(in.Request), create: true}, true
		}
	}
	return start{}, true
}

// leftover reports whether in is this runner's to reconcile: written by
// its own term, or there when its term began (left by an older term).
// Without an election (one process) every intent is. An intent it is not
// (another term's, written since) is noted as seen, so that if it is
// still there at the target's next run it counts as left over then.
func (r *Runner) leftover(in store.Intent) bool {
	if r.opts.Leadership == nil || in.Term == r.term.Load() {
		return true
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.leftovers == nil {
		return true // the start could not read them: reconcile, as before
	}
	k := targetKey{in.Forecast, in.Period}
	if at, ok := r.leftovers[k]; ok && at.Equal(in.RequestedAt) {
		return true
	}
	r.leftovers[k] = in.RequestedAt
	return false
}

func requeuesOf(request []byte) int {
	var pr persistedRequest
	_ = json.Unmarshal(request, &pr)
	return pr.Requeues
}

// reconcileIntents resolves, at start-up, the intents a previous process
// left without a job id: a job Clari made is adopted and run to its end; an
// intent with no job is resolved and its target left to the schedule.
func (r *Runner) reconcileIntents(ctx context.Context, cfg *config.File) {
	intents, err := r.opts.Store.Intents(ctx)
	if err != nil {
		level.Error(r.logger).Log("msg", "cannot read create intents at start-up; each target reconciles its own before creating", "err", err)
		r.mu.Lock()
		r.leftovers = nil
		r.mu.Unlock()
		return
	}
	left := make(map[targetKey]time.Time, len(intents))
	for _, in := range intents {
		left[targetKey{in.Forecast, in.Period}] = in.RequestedAt
	}
	r.mu.Lock()
	r.leftovers = left
	r.mu.Unlock()
	for _, in := range intents {
		if ctx.Err() != nil {
			return
		}
		var pr persistedRequest
		if err := json.Unmarshal(in.Request, &pr); err != nil || pr.ForecastID == "" {
			// Without the request the job cannot be matched; keep the
			// intent's target from creating blindly by leaving it, and
			// say so: the next run looks with the configured request.
			level.Error(r.logger).Log("msg", "cannot read the request of a create intent; the target's next run reconciles it with the configured request", "forecast", in.Forecast, "period", in.Period, "err", err)
			continue
		}
		pr.ExportRequest.ForecastID = pr.ForecastID
		t := config.Target{Forecast: in.Forecast, Period: in.Period}
		level.Info(r.logger).Log("msg", "reconciling a create intent left by the previous process or leader term", "forecast", in.Forecast, "period", in.Period,
			"requested_at", in.RequestedAt, "intent_term", in.Term, "intent_holder", in.Holder, "term", r.term.Load())
		at := r.opts.Now()
		if r.export(ctx, cfg, in.Forecast, in.Period, pr.ExportRequest, start{intentAt: in.RequestedAt, requeues: pr.Requeues}) {
			r.markAttempt(t, at) // a job was adopted: this was the target's run
		}
	}
}
