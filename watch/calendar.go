package watch

import (
	"context"
	"time"

	"github.com/go-kit/log/level"

	"github.com/clari-exporter/clari_exporter/clari"
	"github.com/clari-exporter/clari_exporter/config"
	"github.com/clari-exporter/clari_exporter/fiscal"
)

// The watch's side of the fiscal calendar (package fiscal): an inspected
// JSON document states its periods' dates, which teach the calendar for
// free or check the configured one. CSV documents state no period id:
// their rows are placed by the calendar in use.

// calendarInUse is the configured calendar, else the one learned from
// Clari; not Known while neither.
func (w *Watcher) calendarInUse(cfg *config.File) config.FiscalCalendar {
	if w.o.Calendar == nil {
		return cfg.FiscalCalendar
	}
	cal, _ := w.o.Calendar.InUse(cfg)
	return cal
}

// placeCSVRows is the clari.Visitor.PeriodOf of an inspected document. With
// no calendar known yet a CSV document's rows cannot be placed: they are
// taken as the job's own period, unchecked, and the log says so (never
// silently).
func (w *Watcher) placeCSVRows(cfg *config.File, item inspectItem) func(time.Time) string {
	cal := w.calendarInUse(cfg)
	if cal.Known() {
		return func(day time.Time) string { return cal.PeriodAt(day).Label() }
	}
	warned := false
	return func(time.Time) string {
		if !warned {
			warned = true
			level.Warn(w.o.Logger).Log("msg", "a CSV pipeline export's period cannot be checked: the fiscal calendar is not known yet (it is learned from a JSON export); set fiscal_calendar.start_month to check CSV exports",
				"forecast", item.Forecast, "period", item.Period, "job_id", item.JobID)
		}
		return item.Period
	}
}

// checkCalendar shows the calendar book every period the document stated;
// it returns the mismatch with the configured calendar, if any.
func (w *Watcher) checkCalendar(ctx context.Context, cfg *config.File, item inspectItem, periods []clari.TimePeriod) *fiscal.MismatchError {
	if w.o.Calendar == nil {
		return nil
	}
	m, unlearnable := w.o.Calendar.ObserveAll(ctx, cfg, fiscal.OriginPipeline, periods)
	for _, err := range unlearnable {
		level.Warn(w.o.Logger).Log("msg", "cannot learn the fiscal calendar from a pipeline export's period dates", "forecast", item.Forecast, "job_id", item.JobID, "err", err)
	}
	return m
}
