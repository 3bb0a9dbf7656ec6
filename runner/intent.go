package runner

import (
	"context"
	"encoding/json"
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

// spend wires the store into the client's spend protocol for one run of a
// target. request encodes the request of the job about to be created.
func (r *Runner) spend(forecast, period string, request func() ([]byte, error)) clari.Spend {
	return clari.Spend{
		Now: r.opts.Now,
		Intent: func(at time.Time) error {
			b, err := request()
			if err != nil {
				return err
			}
			// Not bound to the run's ctx: an intent is about money, and a
			// half-written one must not be left by a shutdown.
			pctx, cancel := context.WithTimeout(context.Background(), persistTimeout)
			defer cancel()
			return r.opts.Store.PutIntent(pctx, store.Intent{Forecast: forecast, Period: period, RequestedAt: at, Request: b})
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
// when the store cannot say: then nothing is created this time.
func (r *Runner) pendingIntent(ctx context.Context, t config.Target) (start, bool) {
	intents, err := r.opts.Store.Intents(ctx)
	if err != nil {
		level.Error(r.logger).Log("msg", "cannot read create intents; not creating an export that may exist already", "forecast", t.Forecast, "period", t.Period, "err", err)
		return start{}, false
	}
	for _, in := range intents {
		if in.Forecast == t.Forecast && in.Period == t.Period {
			level.Info(r.logger).Log("msg", "reconciling the create intent of an earlier run before creating", "forecast", t.Forecast, "period", t.Period, "requested_at", in.RequestedAt)
			return start{intentAt: in.RequestedAt, requeues: requeuesOf(in.Request), create: true}, true
		}
	}
	return start{}, true
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
		return
	}
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
		level.Info(r.logger).Log("msg", "reconciling a create intent left by the previous process", "forecast", in.Forecast, "period", in.Period, "requested_at", in.RequestedAt)
		at := r.opts.Now()
		if r.export(ctx, cfg, in.Forecast, in.Period, pr.ExportRequest, start{intentAt: in.RequestedAt, requeues: pr.Requeues}) {
			r.markAttempt(t, at) // a job was adopted: this was the target's run
		}
	}
}
