package watch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/go-kit/log/level"

	"github.com/clari-exporter/clari_exporter/clari"
	"github.com/clari-exporter/clari_exporter/config"
	"github.com/clari-exporter/clari_exporter/snapshot"
)

// historyKept is how many inspected snapshots per target are kept as the
// swing baseline.
const historyKept = 5

// inspectQueue downloads the queued DONE jobs one at a time, paced by
// watch.inspect_pace, checks each and saves the document after each, so a
// restart neither repeats nor loses one.
func (w *Watcher) inspectQueue(ctx context.Context, cfg *config.File) error {
	pace := time.Duration(cfg.Watch.InspectPace)
	for i := 0; len(w.d.Inspect) > 0; i++ {
		if i > 0 && pace > 0 {
			if err := w.o.Sleep(ctx, pace); err != nil {
				return err
			}
		}
		item := w.d.Inspect[0]
		if !cfg.Watch.WatchesForecast(item.Forecast) {
			w.d.Inspect = w.d.Inspect[1:]
			continue
		}
		if err := w.inspect(ctx, cfg, item); err != nil {
			return err // the caller's context ended: the item stays queued
		}
		w.d.Inspect = w.d.Inspect[1:]
		if err := w.save(ctx); err != nil {
			return err
		}
	}
	return nil
}

// inspect checks one job. It returns an error only when ctx ended; every
// failure of the job itself is a check failure with its reason.
func (w *Watcher) inspect(ctx context.Context, cfg *config.File, item inspectItem) error {
	t := w.d.target(item.Forecast, item.Period)
	if item.Truncated {
		// Clari says the document is incomplete: its figures would be
		// short, so it is not even downloaded.
		w.checked(t, item, ReasonTruncated, "detail", "the job record has rowsTruncated or cellsTruncated set")
		return nil
	}
	b := snapshot.NewBuilder(snapshot.Target{Forecast: item.Forecast, Period: item.Period}, item.JobID)
	typeRows := map[string]int{}
	v := b.Visitor()
	add := v.Entry
	v.Entry = func(e *clari.Entry) error {
		typeRows[e.DataType]++
		return add(e)
	}
	var periods []clari.TimePeriod
	v.TimePeriod = func(p clari.TimePeriod) error {
		periods = append(periods, p)
		return nil
	}
	v.PeriodOf = w.placeCSVRows(cfg, item)
	format := clari.ExportFormat(item.Format)
	if format == "" {
		format = clari.FormatJSON
	}
	err := w.o.Clari.Results(ctx, item.JobID, format, v)
	w.d.OwnDownloads[item.JobID]++ // a download attempt counts at Clari too
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		reason, why := classifyDownload(err)
		w.checked(t, item, reason, "detail", why)
		return nil
	}
	snap := b.Finish()
	if m := w.checkCalendar(ctx, cfg, item, periods); m != nil {
		w.checked(t, item, ReasonCalendarMismatch, "problem", m.Problem(), "fix", m.Fix())
	} else {
		reason, _ := snap.Check()
		w.checked(t, item, reason, "rows", snap.Rows, "periods", fmt.Sprint(snap.Periods))
	}
	if item.Ended.Before(t.InspectedAt) {
		return nil // an older job inspected late: the newest one's figures stay
	}
	t.Inspected, t.InspectedAt = true, item.Ended
	t.Rows, t.DuplicateRows, t.DataTypeRows = snap.Rows, snap.DuplicateRows, typeRows
	if snap.Empty() {
		t.Swings = nil // an empty export is reported as empty, not as a −100% swing
		return nil
	}
	t.Swings = snapshot.CompareSwings(t.History, snap, snapshot.SwingConfig{
		Threshold: cfg.Swing.Threshold, MinBaseline: cfg.Swing.MinBaseline,
		MinAbsChange: cfg.Swing.MinAbsChange, MinHistory: cfg.Swing.MinHistory,
	})
	for _, sw := range t.Swings {
		if sw.Anomalous {
			kv := append([]any{"msg", "anomalous forecast swing between the last two pipeline exports; review it", "forecast", item.Forecast, "period", item.Period}, sw.LogFields()...)
			level.Warn(w.o.Logger).Log(append(kv, "job_id", item.JobID)...)
		}
	}
	t.History = append(t.History, snap)
	if len(t.History) > historyKept {
		t.History = t.History[len(t.History)-historyKept:]
	}
	return nil
}

// checked records the check of an inspected job: reason "" passed, any
// other is counted (never for the seed, which only sets the baseline) and
// logged with kv. The newest job's check is the target's LastCheck.
func (w *Watcher) checked(t *targetDoc, item inspectItem, reason string, kv ...any) {
	if !item.Ended.Before(t.LastCheck.Ended) {
		t.LastCheck = Check{JobID: item.JobID, Ended: item.Ended, Reason: reason}
	}
	if reason == "" {
		return
	}
	if !item.Seed {
		t.CheckFailures[reason]++
	}
	level.Warn(w.o.Logger).Log(append([]any{"msg", "pipeline export failed its check", "forecast", item.Forecast, "period", item.Period,
		"job_id", item.JobID, "reason", reason}, kv...)...)
}

// classifyDownload names why results could not be had: download_error when
// they did not arrive whole (HTTP error such as 400 for expired results, a
// network failure, a body cut short), decode_error when they arrived but
// are not a valid document.
func classifyDownload(err error) (reason, why string) {
	var de *clari.DecodeError
	var ae *clari.APIError
	switch {
	case errors.As(err, &de) && errors.Is(err, io.ErrUnexpectedEOF):
		return ReasonDownloadError, "results truncated: " + err.Error()
	case errors.As(err, &de):
		return ReasonDecodeError, err.Error()
	case errors.As(err, &ae):
		return ReasonDownloadError, fmt.Sprintf("Clari answered %d (expired or unavailable results): %v", ae.StatusCode, err)
	}
	return ReasonDownloadError, err.Error()
}
