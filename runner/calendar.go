package runner

import (
	"context"
	"time"

	"github.com/go-kit/log/level"

	"github.com/clari-exporter/clari_exporter/clari"
	"github.com/clari-exporter/clari_exporter/config"
	"github.com/clari-exporter/clari_exporter/fiscal"
)

// The runner's side of the fiscal calendar (package fiscal). Without a
// configured calendar one export teaches it: the current quarter of the
// first JSON forecast, sent without timePeriod so that Clari picks its own
// current quarter, whose label and dates the result states. Its target has
// Period "" until then; the run is recorded under the label Clari gave.
// With a configured calendar every result's periods are checked, and a
// contradiction holds every export (skipped, calendar_mismatch) until the
// configuration agrees with Clari.

// SkipCalendarMismatch: exports held because Clari contradicted the
// configured fiscal calendar.
const SkipCalendarMismatch = fiscal.ReasonMismatch

// learningTargets is the schedule while the calendar is unknown: the one
// export that learns it. CSV results state no period id, so it is the
// first JSON forecast's (config validation requires a fiscal_calendar
// when there is none).
func learningTargets(cfg *config.File) []config.Target {
	for _, f := range cfg.Forecasts {
		if f.ExportFormat != string(clari.FormatCSV) {
			interval := time.Duration(cfg.Schedule.CurrentInterval)
			return []config.Target{{Forecast: f.ID, Current: true, Interval: interval, MaxAge: 2 * interval}}
		}
	}
	return nil
}

// targets are the configured targets in the calendar in use, or, while it
// is unknown, the learning export's: the schedule, the published state
// and its metrics follow it (a failing learning export pages like any
// other, under period "").
func (r *Runner) targets(cfg *config.File, now time.Time) []config.Target {
	resolved := r.opts.Calendar.Resolve(cfg)
	if !resolved.FiscalCalendar.Known() {
		return learningTargets(cfg)
	}
	return resolved.Targets(now)
}

// watchLearns reports whether the pipeline watch inspects documents, and so
// may learn the calendar without spending an export.
func watchLearns(cfg *config.File) bool { return cfg.Watch.Enabled && cfg.Watch.InspectResults }

// learning reports whether a run of period is the learning export.
func learning(period string) bool { return period == "" }

// heldForCalendar skips every due target, each once per its interval, with
// calendar_mismatch while the newest period Clari stated contradicts the
// configured calendar, and reports whether it did. Once the configuration
// agrees (a reload), the targets it held are due at once.
func (r *Runner) heldForCalendar(ctx context.Context, cfg *config.File) bool {
	m := r.opts.Calendar.Mismatch(cfg)
	if m == nil {
		if len(r.heldByCalendar) > 0 {
			r.mu.Lock()
			for k := range r.heldByCalendar {
				delete(r.lastAttempt, k)
			}
			r.mu.Unlock()
			r.heldByCalendar = nil
			level.Info(r.logger).Log("msg", "the fiscal calendar agrees with Clari now; held exports resume", "calendar", fiscal.Describe(cfg.FiscalCalendar))
		}
		return false
	}
	now := r.opts.Now()
	for _, t := range r.dueTargets(cfg, now) {
		if ctx.Err() != nil {
			break
		}
		r.markAttempt(t, now)
		if r.heldByCalendar == nil {
			r.heldByCalendar = map[targetKey]bool{}
		}
		r.heldByCalendar[targetKey{t.Forecast, t.Period}] = true
		level.Error(r.logger).Log("msg", "export skipped: Clari's period dates contradict the configured fiscal calendar; fix the configuration and reload",
			"forecast", t.Forecast, "period", t.Period, "reason", SkipCalendarMismatch, "problem", m.Problem(), "fix", m.Fix())
		r.skip(ctx, t, SkipCalendarMismatch)
	}
	return true
}

// learnedPeriod is the quarter a learning export got: its entries' period,
// else the first of the result's timePeriods; "" when the result named
// none.
func (j *job) learnedPeriod() string {
	if j.builder != nil {
		return j.target.Period
	}
	if len(j.periods) > 0 {
		return j.periods[0].TimePeriodID
	}
	return ""
}

// checkCalendar shows the calendar book every period the result stated:
// it learns the calendar from them, or checks the configured one. It
// returns the mismatch, if any.
func (r *Runner) checkCalendar(ctx context.Context, cfg *config.File, j *job) *fiscal.MismatchError {
	m, unlearnable := r.opts.Calendar.ObserveAll(ctx, cfg, fiscal.OriginExport, j.periods)
	for _, err := range unlearnable {
		level.Error(r.logger).Log("msg", "cannot learn the fiscal calendar from the export's period dates", "forecast", j.forecast, "err", err)
	}
	return m
}

// finishLearning ends the learning export's bookkeeping, kept under period
// "" until Clari named the quarter: its in-flight row goes, and the quarter
// counts as attempted now (not exported twice).
func (r *Runner) finishLearning(ctx context.Context, forecast, period string, started time.Time) {
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), persistTimeout)
	defer cancel()
	if err := r.opts.Store.ClearInFlight(cctx, forecast, ""); err != nil {
		level.Error(r.logger).Log("msg", "cannot clear the learning export's in-flight job; it is resumed (not paid again) at the next start", "forecast", forecast, "err", err)
	}
	r.markAttempt(config.Target{Forecast: forecast, Period: period}, started)
}
