package runner

import (
	"context"
	"encoding/json"
	"errors"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/go-kit/log/level"

	"github.com/clari-exporter/clari_exporter/clari"
	"github.com/clari-exporter/clari_exporter/config"
	"github.com/clari-exporter/clari_exporter/fiscal"
	"github.com/clari-exporter/clari_exporter/snapshot"
	"github.com/clari-exporter/clari_exporter/store"
)

// Skip reasons: the `reason` label of clari_export_skipped_total.
const (
	SkipQuotaReserve = "quota_reserve"
	// SkipQuotaExhausted: Clari refused the create with
	// export_monthly_quota_reached although the budget check passed.
	SkipQuotaExhausted = "quota_exhausted"
	SkipConcurrency    = "concurrency"
	SkipCircuitOpen    = "circuit_open"
)

// requeueBudget is clari.RunOptions.MaxRequeues for a run whose job
// already replaced used timed-out ones (0: never re-queue).
func requeueBudget(configured, used int) int {
	return max(configured-used, 0)
}

// persistTimeout bounds the write of an in-flight job id, which is not
// cancelled by shutdown.
const persistTimeout = 10 * time.Second

// attempt exports one due target unless the budget says no.
func (r *Runner) attempt(ctx context.Context, cfg *config.File, t config.Target) {
	now := r.opts.Now()
	r.markAttempt(t, now)
	if reason := r.budgetSays(ctx, cfg, t); reason != "" {
		r.skip(ctx, t, reason)
		return
	}
	f, ok := forecastByID(cfg, t.Forecast)
	if !ok {
		return
	}
	req := exportRequest(f, t.Period)
	// An intent left by an earlier run is reconciled before any new create
	// for the target: the job it may have made is adopted, not paid twice.
	from, ok := r.pendingIntent(ctx, t)
	if !ok {
		return
	}
	r.export(ctx, cfg, t.Forecast, t.Period, req, from)
}

// budgetSays reads /admin/limits (free: it costs no quota) and returns a
// skip reason when starting an export now would dig into the production
// pipeline's reserve, find no free concurrency slot, or hit an open breaker.
// "" means go ahead. A failing limits call other than an open breaker does
// not skip: the export attempt then fails (api_error) and pages, which is
// what an unreachable or unauthorised Clari should do.
func (r *Runner) budgetSays(ctx context.Context, cfg *config.File, t config.Target) string {
	lim, err := r.opts.FreshLimits(ctx)
	if err != nil {
		if clari.IsBreakerOpen(err) {
			return SkipCircuitOpen
		}
		level.Warn(r.logger).Log("msg", "cannot read export limits before exporting", "forecast", t.Forecast, "period", t.Period, "err", err)
		return ""
	}
	if lim.AvailableMonthlyQuota-1 < cfg.Schedule.QuotaReserve {
		level.Warn(r.logger).Log("msg", "export skipped: it would touch the quota reserve", "forecast", t.Forecast, "period", t.Period,
			"available", lim.AvailableMonthlyQuota, "reserve", cfg.Schedule.QuotaReserve)
		return SkipQuotaReserve
	}
	if lim.ConcurrentLimit > 0 && lim.AvailableConcurrentLimit < 1 {
		level.Info(r.logger).Log("msg", "export skipped: no free concurrency slot", "forecast", t.Forecast, "period", t.Period)
		return SkipConcurrency
	}
	return ""
}

func (r *Runner) skip(ctx context.Context, t config.Target, reason string) {
	if err := r.opts.Store.RecordSkip(ctx, t.Forecast, t.Period, reason, r.opts.Now()); err != nil {
		level.Error(r.logger).Log("msg", "cannot record skipped export", "forecast", t.Forecast, "period", t.Period, "err", err)
	}
	r.changed(ctx, t.Forecast, t.Period)
}

func forecastByID(cfg *config.File, id string) (config.Forecast, bool) {
	for _, f := range cfg.Forecasts {
		if f.ID == id {
			return f, true
		}
	}
	return config.Forecast{}, false
}

// exportRequest is the create request of a target. The learning export
// (period "") names no period and asks for JSON: its result must state
// the period.
func exportRequest(f config.Forecast, period string) clari.ExportRequest {
	if learning(period) {
		f.ExportFormat = string(clari.FormatJSON)
	}
	return clari.ExportRequest{
		ForecastID:        f.ID,
		TimePeriod:        period,
		TypesToExport:     slices.Clone(f.TypesToExport),
		ScopeID:           f.ScopeID,
		Currency:          f.Currency,
		IncludeHistorical: f.IncludeHistorical,
		ExportFormat:      clari.ExportFormat(f.ExportFormat),
	}
}

// persistedRequest is how an in-flight job's request is stored: the export
// request plus the forecast id (not part of the request body).
type persistedRequest struct {
	ForecastID string `json:"forecastId"`
	clari.ExportRequest
	// Requeues is how many timed-out jobs this one replaces, so a restart
	// does not grant the run a fresh clari.max_requeues budget.
	Requeues int `json:"requeues,omitempty"`
}

// start says how a run gets its job: a new create (zero value), the job id
// persisted by an earlier process (jobID, which replaced requeues
// timed-out ones), or the create intent an earlier run left (intentAt).
type start struct {
	jobID    string
	intentAt time.Time
	requeues int
	// create says whether an intent that had no job is followed by a new
	// create in the same run (the budget check passed) or left to the
	// schedule (start-up).
	create bool
}

// export runs one export job to its end and records the outcome exactly
// once: as a run, or as a skip when nothing ran. An earlier intent that
// turns out to have no job is resolved (and a new job created if
// from.create).
func (r *Runner) export(ctx context.Context, cfg *config.File, forecast, period string, req clari.ExportRequest, from start) (ran bool) {
	started := r.opts.Now()
	job := r.newJob(cfg, forecast, period, req, from.jobID, from.requeues)
	var res clari.RunResult
	// Whatever happens below, a started sink load ends; finish keeps it.
	job.ctx = ctx
	defer job.endSink(ctx, false, r) //nolint:errcheck // logged; finish records a kept load's failure
	switch {
	case from.jobID != "":
		res = r.opts.API.ResumeExport(ctx, from.jobID, req, job.opts)
	case !from.intentAt.IsZero():
		res = r.opts.API.ReconcileExport(ctx, from.intentAt, req, job.opts)
		if errors.Is(res.Err, clari.ErrNoJobFound) {
			// Clari made no job for the earlier intent: nothing was spent.
			level.Info(r.logger).Log("msg", "the earlier create intent made no job in Clari; resolved", "forecast", forecast, "period", period, "requested_at", from.intentAt)
			r.clearIntent(ctx, forecast, period, from.intentAt)
			if !from.create {
				return false
			}
			res = r.opts.API.RunExport(ctx, req, job.opts)
		}
	default:
		res = r.opts.API.RunExport(ctx, req, job.opts)
	}
	r.recordRequeues(ctx, forecast, period, res.Requeues)
	if ctx.Err() != nil {
		// Shutting down: the job stays in flight and is resumed at start-up.
		if res.Requeues > 0 {
			r.changed(context.WithoutCancel(ctx), forecast, period)
		}
		return true
	}
	var refused *CreateRefusedError
	if errors.As(res.Err, &refused) {
		if res.JobID == "" {
			// Nothing was sent: no run to record. Another process may have
			// written the target; catch up with it.
			r.changed(ctx, forecast, period)
			return false
		}
		// The re-queue of a timed-out job was refused: the run ran, and
		// timed out.
		res.Outcome = clari.OutcomeTimeout
	}
	if reason, skipped := r.nothingRan(ctx, &res, forecast, period); skipped {
		r.skip(ctx, config.Target{Forecast: forecast, Period: period}, reason)
		return true
	}
	r.finish(ctx, cfg, job, res, started)
	return true
}

// sinkLoad is the warehouse load of one export, started by the first
// decoded entry.
type sinkLoad struct {
	add func(*clari.Entry) error
	end func(ctx context.Context, keep bool) (int, error)
	err error // the first staging error: the load is then given up
}

// job is one export run in progress: what it was asked, what the decoder
// has delivered so far, and the options handed to the client.
type job struct {
	forecast, period string
	learn            bool               // the learning export (calendar.go)
	target           snapshot.Target    // the builder's, its period set by the first entry when learning
	builder          *snapshot.Builder  // nil until the first entry when learning
	fields           []clari.Field      // fields decoded before the builder existed
	periods          []clari.TimePeriod // the result's timePeriods, checked against the calendar
	sink             *sinkLoad          // nil until the first entry, or without a sink
	ctx              context.Context    // the run's, for the sink load
	opts             clari.RunOptions
}

// startBuilder starts the learning export's snapshot for the period of its
// first entry: Clari's current quarter.
func (j *job) startBuilder(period, resumeJobID string) {
	j.target.Period = period
	j.builder = snapshot.NewBuilder(j.target, resumeJobID)
	for _, f := range j.fields {
		_ = j.builder.AddField(f) // it returns no error
	}
	j.fields = nil
}

// endSink ends the job's sink load, if one started and has not ended, and
// returns why the load failed (nil: kept, discarded or none).
func (j *job) endSink(ctx context.Context, keep bool, r *Runner) error {
	l := j.sink
	if l == nil || l.end == nil {
		return nil
	}
	end := l.end
	l.end = nil
	n, err := end(ctx, keep && l.err == nil)
	if err == nil {
		err = l.err
	}
	if err != nil {
		level.Error(r.logger).Log("msg", "warehouse sink failed; the next export loads again", "forecast", j.forecast, "period", j.period, "rows", n, "err", err)
	}
	return err
}

func (r *Runner) newJob(cfg *config.File, forecast, period string, req clari.ExportRequest, resumeJobID string, priorRequeues int) *job {
	j := &job{forecast: forecast, period: period, learn: learning(period),
		target: snapshot.Target{Forecast: forecast, Period: period, ScopeID: req.ScopeID, Currency: req.Currency, DataTypes: req.TypesToExport}}
	if !j.learn {
		j.builder = snapshot.NewBuilder(j.target, resumeJobID)
	}
	var visitor clari.Visitor
	// Through j, not method values: finish lets go of the builder.
	build := func(e *clari.Entry) error {
		if j.builder == nil {
			j.startBuilder(e.TimePeriodID, resumeJobID)
		}
		return j.builder.Add(e)
	}
	visitor.Entry = build
	visitor.Field = func(f clari.Field) error {
		if j.builder == nil {
			j.fields = append(j.fields, f)
			return nil
		}
		return j.builder.AddField(f)
	}
	visitor.TimePeriod = func(p clari.TimePeriod) error {
		j.periods = append(j.periods, p)
		return nil
	}
	// CSV results have no period column: rows are placed by the fiscal
	// calendar in use, so a row outside the requested quarter shows as
	// another period and fails period_mismatch.
	cal, _ := r.opts.Calendar.InUse(cfg)
	visitor.PeriodOf = func(day time.Time) string { return cal.PeriodAt(day).Label() }
	visitor.UnknownDataType = func(label string, rows int) error {
		level.Warn(r.logger).Log("msg", "export result has rows of a data type this exporter does not know; they are not counted",
			"forecast", forecast, "period", period, "data_type_label", label, "rows", rows)
		return nil
	}
	if sink := r.opts.Sink; sink != nil {
		// Entries go to the sink as they are decoded. A sink error gives
		// up the load but not the export: the snapshot still counts.
		visitor.Entry = func(e *clari.Entry) error {
			if j.sink == nil {
				j.sink = new(sinkLoad)
				j.sink.add, j.sink.end = sink.Begin(j.ctx, forecast, r.opts.Now())
			}
			if l := j.sink; l.err == nil {
				l.err = l.add(e)
			}
			return build(e)
		}
	}
	// requeues counts the jobs of this run that replaced a timed-out one;
	// the first job persisted by RunExport is the original. current is the
	// run's job in flight, the one a re-queue replaces.
	requeues, original, current := priorRequeues, resumeJobID == "", resumeJobID
	j.opts = clari.RunOptions{
		PollInterval:       time.Duration(cfg.Clari.PollInterval),
		Timeout:            time.Duration(cfg.Clari.PollTimeout),
		MaxRequeues:        requeueBudget(cfg.Clari.MaxRequeues, priorRequeues),
		CreateSearchWindow: cfg.Clari.CreateSearchWindow(),
		Visitor:            visitor,
		Persist: func(jobID string) error {
			// Persisted before polling: a restart resumes this job instead
			// of spending quota on a new one. Not bound to the run's ctx: a
			// job created just as shutdown begins has cost its quota
			// already and must be resumed, not cancelled for a failed
			// persist.
			if original {
				original = false
			} else {
				requeues++
			}
			reqJSON, err := json.Marshal(persistedRequest{ForecastID: forecast, ExportRequest: req, Requeues: requeues})
			if err != nil {
				return err
			}
			pctx, cancel := context.WithTimeout(context.Background(), persistTimeout)
			defer cancel()
			if err := r.opts.Store.PutInFlight(pctx, store.InFlight{Forecast: forecast, Period: period, JobID: jobID, CreatedAt: r.opts.Now(), Request: reqJSON}); err != nil {
				return err
			}
			current = jobID
			return nil
		},
		Spend: r.spend(forecast, period, func() ([]byte, error) {
			return json.Marshal(persistedRequest{ForecastID: forecast, ExportRequest: req, Requeues: requeues})
		}, func() string { return current }),
	}
	return j
}

// recordRequeues counts n re-queues. They happened (a job was cancelled,
// another created) even when shutdown ends the run, so they are counted
// past the run's ctx.
func (r *Runner) recordRequeues(ctx context.Context, forecast, period string, n int) {
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), persistTimeout)
	defer cancel()
	for range n {
		if err := r.opts.Store.RecordRequeue(rctx, forecast, period, r.opts.Now()); err != nil {
			level.Error(r.logger).Log("msg", "cannot record requeue", "err", err)
		}
	}
}

// nothingRan reports the skip reason of a run in which Clari never ran a
// job: the breaker or Clari refused the create, so no quota was spent. A
// run whose first job timed out and whose re-queue alone was refused did
// run: it becomes a timeout failure (res is updated).
func (r *Runner) nothingRan(ctx context.Context, res *clari.RunResult, forecast, period string) (string, bool) {
	if res.JobID == "" && clari.IsBreakerOpen(res.Err) {
		// The breaker opened after the limits check and refused the
		// create: like a breaker refusal of the limits call, a skip.
		level.Warn(r.logger).Log("msg", "export skipped: circuit breaker open", "forecast", forecast, "period", period)
		return SkipCircuitOpen, true
	}
	if res.Outcome != clari.OutcomeQuota {
		return "", false
	}
	if res.JobID != "" {
		level.Warn(r.logger).Log("msg", "the re-queue of a timed-out export was refused by Clari (quota or concurrency)", "forecast", forecast, "period", period, "job", res.JobID)
		res.Outcome = clari.OutcomeTimeout
		return "", false
	}
	// Clari's one error code covers both quota and concurrency; the budget
	// check passed a moment ago, so ask again which one ran out (a foreign
	// job taking the last slot is not a quota problem).
	reason := r.refusalReason(ctx)
	level.Warn(r.logger).Log("msg", "Clari refused the export: monthly quota or concurrency exhausted", "forecast", forecast, "period", period, "reason", reason)
	_ = r.opts.Store.ClearInFlight(ctx, forecast, period)
	return reason, true
}

// finish applies the data-quality guards to a run that ended, loads a good
// snapshot into the warehouse sink, and records the run exactly once.
func (r *Runner) finish(ctx context.Context, cfg *config.File, j *job, res clari.RunResult, started time.Time) {
	forecast, period := j.forecast, j.period
	if j.learn {
		// Recorded as the run of the quarter Clari exported.
		period = j.learnedPeriod()
		j.period = period
	}
	run := store.Run{Forecast: forecast, Period: period, JobID: res.JobID, Outcome: string(res.Outcome),
		StartedAt: started, FinishedAt: r.opts.Now(), Duration: res.Duration, Requeues: res.Requeues}
	var snap *snapshot.Snapshot
	if res.Outcome == clari.OutcomeDone {
		if j.builder == nil {
			j.startBuilder(period, res.JobID) // a learning export without entries
		}
		s := j.builder.Finish()
		// What the builder holds (8 bytes a row) is garbage from here on.
		// Before a sink merge (minutes of small garbage for a large export)
		// collect it now: the heap goal then starts from what is live, not
		// from twice the builder.
		j.builder = nil
		if j.sink != nil {
			runtime.GC()
		}
		s.JobID = res.JobID
		run.Rows = s.Rows
		if m := r.checkCalendar(ctx, cfg, j); m != nil {
			// A quarter nobody asked for: nothing of it is kept, and
			// every later export is held (heldForCalendar).
			run.Outcome = fiscal.ReasonMismatch
			level.Error(r.logger).Log("msg", "export failed: Clari's period dates contradict the configured fiscal calendar; every export is held until it is fixed",
				"forecast", forecast, "period", period, "job", res.JobID, "reason", run.Outcome, "problem", m.Problem(), "fix", m.Fix())
		} else if reason, ok := s.Check(); !ok && (reason != snapshot.ReasonEmpty || cfg.Metrics.EmptyExportIsFailure) {
			run.Outcome = reason
			run.Error = "export failed its data-quality guard: " + reason
			if len(s.Periods) > 0 {
				run.Error += " (periods in the export: " + strings.Join(s.Periods, ",") + ")"
			}
			level.Error(r.logger).Log("msg", "export failed its data-quality guard", "forecast", forecast, "period", period, "job", res.JobID, "reason", reason, "periods", strings.Join(s.Periods, ","))
		} else {
			snap = &s
			if missing := s.MissingDataTypes(); len(missing) > 0 && s.Rows > 0 {
				// Clari accepted the type and delivered none of it: the
				// export still succeeds, but the warehouse misses a type.
				level.Warn(r.logger).Log("msg", "export delivered no rows of a requested data type", "forecast", forecast, "period", period, "job", res.JobID,
					"missing_data_types", strings.Join(missing, ","), "rows", s.Rows)
			}
		}
	} else {
		run.Error = "export failed: " + string(res.Outcome)
		if res.Err != nil {
			run.Error = "export failed: " + res.Err.Error()
		}
		level.Error(r.logger).Log("msg", "export failed", "forecast", forecast, "period", period, "job", res.JobID, "reason", res.Outcome, "err", res.Err)
	}
	if err := j.endSink(ctx, snap != nil, r); err != nil && snap != nil {
		// The export succeeded; its record says the warehouse did not get
		// it (the landing page's run page, and the next export loads again).
		run.Error = "warehouse load failed: " + err.Error()
	}
	if err := r.opts.Store.FinishRun(ctx, run, snap); err != nil && !errors.Is(err, store.ErrAlreadyRecorded) {
		level.Error(r.logger).Log("msg", "cannot record export run", "forecast", forecast, "period", period, "err", err)
	}
	if j.learn {
		r.finishLearning(ctx, forecast, period, started)
	}
	if r.opts.ObserveDuration != nil && res.Duration > 0 {
		r.opts.ObserveDuration(forecast, res.Duration)
	}
	if snap != nil {
		level.Info(r.logger).Log("msg", "export done", "forecast", forecast, "period", period, "job", res.JobID, "rows", snap.Rows, "duplicates", snap.DuplicateRows, "duration", res.Duration)
	}
	r.changed(ctx, forecast, period)
}

// refusalReason is the skip reason of a create Clari refused with
// export_monthly_quota_reached: concurrency when /admin/limits shows no
// free slot now, else quota_exhausted (also when limits cannot be read):
// the org's quota is spent, which blocks the production pipeline too, so
// it is not counted as the exporter holding back for its reserve.
func (r *Runner) refusalReason(ctx context.Context) string {
	lim, err := r.opts.FreshLimits(ctx)
	if err == nil && lim.ConcurrentLimit > 0 && lim.AvailableConcurrentLimit < 1 && lim.AvailableMonthlyQuota > 0 {
		return SkipConcurrency
	}
	return SkipQuotaExhausted
}

// resumeInFlight finishes the jobs a previous process left in flight.
func (r *Runner) resumeInFlight(ctx context.Context) {
	jobs, err := r.opts.Store.InFlight(ctx)
	if err != nil {
		level.Error(r.logger).Log("msg", "cannot read in-flight jobs; they will not be resumed", "err", err)
		return
	}
	cfg := r.opts.Config()
	for _, j := range jobs {
		if ctx.Err() != nil {
			return
		}
		var pr persistedRequest
		if err := json.Unmarshal(j.Request, &pr); err != nil {
			level.Error(r.logger).Log("msg", "cannot read the persisted request of an in-flight job; dropping it", "forecast", j.Forecast, "period", j.Period, "job", j.JobID, "err", err)
			_ = r.opts.Store.ClearInFlight(ctx, j.Forecast, j.Period)
			continue
		}
		pr.ExportRequest.ForecastID = pr.ForecastID
		level.Info(r.logger).Log("msg", "resuming export job left in flight", "forecast", j.Forecast, "period", j.Period, "job", j.JobID)
		r.markAttempt(config.Target{Forecast: j.Forecast, Period: j.Period}, r.opts.Now())
		r.export(ctx, cfg, j.Forecast, j.Period, pr.ExportRequest, start{jobID: j.JobID, requeues: pr.Requeues})
	}
	r.reconcileIntents(ctx, cfg)
}
