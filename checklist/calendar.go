package checklist

import (
	"context"
	"fmt"
	"net/url"
	"strconv"

	"github.com/clari-exporter/clari_exporter/config"
	"github.com/clari-exporter/clari_exporter/fiscal"
	"github.com/clari-exporter/clari_exporter/secret"
)

// The fiscal_calendar check (checklist item 9: the periods exported must
// be the tenant's). What is known of the calendar lives in the exporter
// (learned from, or checked against, Clari's period dates and kept in its
// store): the periodic readiness check reads the exporter's own state,
// `clari_exporter check` reads what the exporter published to Prometheus.

// calendarSource returns the exporter's fiscal calendar state and where it
// was read; ok is false when there is nowhere to read it.
type calendarSource func(ctx context.Context) (st fiscal.State, where string, ok bool, err error)

func (a *auditor) checkFiscalCalendar(ctx context.Context) Result {
	src := a.calendar
	if src == nil {
		src = a.calendarFromPrometheus
	}
	st, where, ok, err := src(ctx)
	switch {
	case !ok:
		return result(CheckFiscalCalendar, Skip, "no --prometheus.url given: the exporter's clari_fiscal_calendar_info and clari_fiscal_calendar_mismatch say what it learned or verified")
	case err != nil:
		return result(CheckFiscalCalendar, Skip, where+": "+err.Error())
	case st.Mismatch:
		fix := st.Fix
		if fix == "" {
			fix = "the exporter's log line (level=error, reason=calendar_mismatch) names the setting that agrees with Clari (runbook ClariFiscalCalendarMismatch)"
		}
		problem := st.Problem
		if problem == "" {
			problem = fmt.Sprintf("Clari's period dates contradict the configured fiscal_calendar (%s)", fiscal.Describe(calendarOf(st)))
		}
		return result(CheckFiscalCalendar, Fail, fmt.Sprintf("%s: %s; every export is held; %s", where, problem, fix))
	case st.Source == fiscal.SourceClari:
		return result(CheckFiscalCalendar, Pass, fmt.Sprintf("%s: learned from Clari's period dates: %s", where, fiscal.Describe(calendarOf(st))))
	case st.Source == fiscal.SourceConfig && st.Verified:
		return result(CheckFiscalCalendar, Pass, fmt.Sprintf("%s: fiscal_calendar (%s) agrees with Clari's period dates", where, fiscal.Describe(calendarOf(st))))
	case st.Source == fiscal.SourceConfig:
		return result(CheckFiscalCalendar, Skip, fmt.Sprintf("%s: fiscal_calendar (%s) not verified yet: no Clari export has been read since", where, fiscal.Describe(calendarOf(st))))
	}
	return result(CheckFiscalCalendar, Skip, where+": the calendar is not known yet: the first export (sent without timePeriod) or an inspected pipeline export teaches it")
}

// calendarFromPrometheus reads the exporter's calendar metrics from
// --prometheus.url. Prometheus cannot tell whether a configured calendar
// was verified yet, so it reports one only as mismatched or not.
func (a *auditor) calendarFromPrometheus(ctx context.Context) (fiscal.State, string, bool, error) {
	if a.o.PrometheusURL == "" {
		return fiscal.State{}, "", false, nil
	}
	where := "Prometheus " + secret.URL(a.o.PrometheusURL)
	var info, mismatch promVector
	if err := a.getJSON(ctx, a.o.PrometheusURL, "/api/v1/query?query="+url.QueryEscape(`clari_fiscal_calendar_info{job=~"clari.*"}`), &info); err != nil {
		return fiscal.State{}, where, true, err
	}
	if err := a.getJSON(ctx, a.o.PrometheusURL, "/api/v1/query?query="+url.QueryEscape(`max(clari_fiscal_calendar_mismatch{job=~"clari.*"})`), &mismatch); err != nil {
		return fiscal.State{}, where, true, err
	}
	if len(info.Data.Result) == 0 {
		return fiscal.State{}, where, true, fmt.Errorf("no clari_fiscal_calendar_info series: is the exporter scraped (see prometheus_target)?")
	}
	m := info.Data.Result[0].Metric
	st := fiscal.State{Source: m["source"], YearLabel: m["year_label"]}
	st.StartMonth, _ = strconv.Atoi(m["start_month"])
	st.Verified = st.Source == fiscal.SourceClari
	if len(mismatch.Data.Result) > 0 && len(mismatch.Data.Result[0].Value) == 2 && mismatch.Data.Result[0].Value[1] == "1" {
		st.Mismatch = true
	}
	return st, where, true, nil
}

// promVector is the answer of an instant query.
type promVector struct {
	Data struct {
		Result []struct {
			Metric map[string]string `json:"metric"`
			Value  []any             `json:"value"`
		} `json:"result"`
	} `json:"data"`
}

func calendarOf(st fiscal.State) config.FiscalCalendar {
	return config.FiscalCalendar{StartMonth: st.StartMonth, YearLabel: st.YearLabel}
}
