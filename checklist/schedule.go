package checklist

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/clari-exporter/clari_exporter/clari"
	"github.com/clari-exporter/clari_exporter/config"
)

// RequiredHistoricalQuarters is the checklist's coverage: current + 4.
const RequiredHistoricalQuarters = 4

// checkExportTypes: checklist item 8. forecast and quota are required
// (FAIL); crm_closed is wanted by the checklist but Clari may answer 400
// type_not_supported to CRM types, so its absence is only a WARN.
func checkExportTypes(cfg *config.Config) Result {
	var fails, warns []string
	for _, f := range cfg.Forecasts {
		var missing []string
		for _, t := range []string{clari.DataForecast, clari.DataQuota} {
			if !slices.Contains(f.TypesToExport, t) {
				missing = append(missing, t)
			}
		}
		if len(missing) > 0 {
			fails = append(fails, fmt.Sprintf("forecast %s: %s missing from typesToExport", f.ID, strings.Join(missing, " and ")))
		}
		if !slices.Contains(f.TypesToExport, clari.DataCRMClosed) {
			warns = append(warns, f.ID)
		}
	}
	warn := ""
	if len(warns) > 0 {
		warn = fmt.Sprintf("forecast %s: crm_closed missing from typesToExport (the checklist wants it; add it if your tenant accepts CRM types, Clari may reject them with 400 type_not_supported)", strings.Join(warns, ", "))
	}
	switch {
	case len(fails) > 0:
		if warn != "" {
			fails = append(fails, warn)
		}
		return result(CheckExportTypes, Fail, strings.Join(fails, "; "))
	case warn != "":
		return result(CheckExportTypes, Warn, warn)
	}
	return result(CheckExportTypes, Pass, fmt.Sprintf("%d forecast(s) export forecast, quota and crm_closed", len(cfg.Forecasts)))
}

// checkPeriodCoverage: checklist item 9.
func checkPeriodCoverage(cfg *config.Config, now time.Time) Result {
	var short, ok []string
	for _, f := range cfg.Forecasts {
		if f.HistoricalQuarters < RequiredHistoricalQuarters {
			short = append(short, fmt.Sprintf("forecast %s: current + %d historical quarters", f.ID, f.HistoricalQuarters))
		} else {
			ok = append(ok, f.ID)
		}
	}
	if len(short) > 0 {
		return result(CheckPeriodCoverage, Fail, fmt.Sprintf("%s (checklist: current + %d; raise historical_quarters)", strings.Join(short, "; "), RequiredHistoricalQuarters))
	}
	// The labels need the tenant's calendar: without a configured (or,
	// in the exporter, learned) one none is named rather than guessed.
	span := "labels from the calendar learned from Clari"
	if cfg.FiscalCalendar.Known() {
		periods := cfg.FiscalCalendar.Recent(now, RequiredHistoricalQuarters)
		span = fmt.Sprintf("%s … %s", periods[len(periods)-1].Label(), periods[0].Label())
	}
	detail := fmt.Sprintf("forecast %s: current + ≥%d historical quarters (%s), current every %s, historical every %s",
		strings.Join(ok, ", "), RequiredHistoricalQuarters, span, cfg.Schedule.CurrentInterval, cfg.Schedule.HistoricalInterval)
	if !cfg.Schedule.Enabled {
		return result(CheckPeriodCoverage, Warn, "schedule.enabled is false: the exporter only watches, so coverage depends on the production pipeline; "+detail)
	}
	return result(CheckPeriodCoverage, Pass, detail)
}

// checkQuotaBudget: the schedule's cost per rolling 30 days against
// schedule.monthly_budget and, when /admin/limits answered, against the
// org's monthly quota minus the reserve left for the production pipeline.
func checkQuotaBudget(cfg *config.Config, lp limitsProbe, limitsErr error) Result {
	s := cfg.Schedule
	if !s.Enabled {
		return result(CheckQuotaBudget, Pass, "schedule.enabled is false: the exporter starts no exports and spends no quota")
	}
	cost, breakdown := cfg.MonthlyExportCost()
	if cost > s.MonthlyBudget {
		return result(CheckQuotaBudget, Fail, fmt.Sprintf("schedule costs %d exports per 30 days, over schedule.monthly_budget %d: %s", cost, s.MonthlyBudget, breakdown))
	}
	detail := fmt.Sprintf("schedule costs %d of monthly_budget %d exports per 30 days", cost, s.MonthlyBudget)
	if limitsErr != nil {
		// Half the check (the org's quota) could not run: not a pass.
		return result(CheckQuotaBudget, Skip, fmt.Sprintf("%s; the org's monthly quota could not be read (GET /admin/limits: %s), so whether it also covers quota_reserve %d is unknown; see api_token_valid",
			detail, excerptErr(limitsErr), s.QuotaReserve))
	}
	l := lp.limits
	if cost+s.QuotaReserve > l.MonthlyQuota {
		return result(CheckQuotaBudget, Fail, fmt.Sprintf("schedule costs %d + quota_reserve %d = %d exports per 30 days, over the org's monthly quota %d (%s)",
			cost, s.QuotaReserve, cost+s.QuotaReserve, l.MonthlyQuota, breakdown))
	}
	return result(CheckQuotaBudget, Pass, fmt.Sprintf("%s; org quota %d (%d available), reserve %d kept for the production pipeline",
		detail, l.MonthlyQuota, l.AvailableMonthlyQuota, s.QuotaReserve))
}

// checkRetryBreaker: checklist items 7, 13 and 14.
func checkRetryBreaker(cfg *config.Config) Result {
	r, b := cfg.Clari.Retry, cfg.Clari.Breaker
	var off []string
	if !r.Enabled {
		off = append(off, "clari.retry.enabled is false (429 and 5xx fail at once)")
	}
	if !b.Enabled {
		off = append(off, "clari.breaker.enabled is false (an outage is hammered with requests)")
	}
	if len(off) > 0 {
		return result(CheckRetryBreaker, Fail, strings.Join(off, "; "))
	}
	return result(CheckRetryBreaker, Pass, fmt.Sprintf("retry on (backoff %s → %s, give up after %s, honours Retry-After); breaker on (opens after %d failures for %s)",
		r.InitialInterval, r.MaxInterval, r.MaxElapsedTime, b.ConsecutiveFailures, b.OpenTimeout))
}

// maxSensiblePollTimeout: a job stuck longer holds one of the org's few
// concurrency slots (default 3) for the production pipeline too.
const maxSensiblePollTimeout = time.Hour

// checkJobTimeout: checklist items 12 and 16.
func checkJobTimeout(cfg *config.Config) Result {
	cl := cfg.Clari
	detail := fmt.Sprintf("poll every %s, timeout %s, max_requeues %d", cl.PollInterval, cl.PollTimeout, cl.MaxRequeues)
	switch {
	case cl.PollTimeout <= 0:
		return result(CheckJobTimeoutRequeue, Fail, "clari.poll_timeout is not set: a stuck job would block the queue")
	case cl.MaxRequeues < 1:
		return result(CheckJobTimeoutRequeue, Fail, fmt.Sprintf("clari.max_requeues %d: a job stuck past poll_timeout %s is cancelled but never re-queued", cl.MaxRequeues, cl.PollTimeout))
	case time.Duration(cl.PollTimeout) > maxSensiblePollTimeout:
		return result(CheckJobTimeoutRequeue, Warn, fmt.Sprintf("%s: a stuck job holds a concurrency slot for over %s", detail, maxSensiblePollTimeout))
	}
	return result(CheckJobTimeoutRequeue, Pass, detail)
}

// checkEmptyExport: checklist item 15 (P1).
func checkEmptyExport(cfg *config.Config) Result {
	if !cfg.Metrics.EmptyExportIsFailure {
		return result(CheckEmptyExportDetection, Fail, "metrics.empty_export_is_failure is false: an export with no entries passes silently")
	}
	return result(CheckEmptyExportDetection, Pass, "metrics.empty_export_is_failure on: an export with no entries fails with reason empty (alert ClariExportEmpty)")
}

// excerptErr is an error's text cut to one short line for a check detail.
func excerptErr(err error) string {
	t := strings.Join(strings.Fields(err.Error()), " ")
	if len(t) > 200 {
		t = t[:200] + "…"
	}
	return t
}
