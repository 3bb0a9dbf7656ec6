package watch

import (
	"context"
	"maps"
	"slices"
	"time"

	"github.com/clari-exporter/clari_exporter/clari"
	"github.com/clari-exporter/clari_exporter/config"
)

// list streams the job list once and applies it to the document. Only jobs
// inside the quota window and non-terminal ones are kept in memory.
func (w *Watcher) list(ctx context.Context, cfg *config.File, own func(string) bool) error {
	l := newListing(w.d, cfg, own, w.o.Now())
	if err := w.o.Clari.StreamJobs(ctx, l.visit); err != nil {
		return err
	}
	l.finish()
	w.current = l.current
	w.lastList = l.now
	return nil
}

// listing is one pass over Clari's job list: what it has seen so far and
// the document it updates.
type listing struct {
	d           *doc
	cfg         *config.File
	own         func(string) bool
	now         time.Time
	windowStart time.Time // the quota window's start: older jobs are history
	seeding     bool      // the first poll: history sets baselines, counts nothing
	open        map[string]time.Time
	current     []currentJob
	// At the first poll the newest DONE job of each target sets the swing
	// baseline: remember it while streaming.
	newestDone map[string]inspectItem
}

func newListing(d *doc, cfg *config.File, own func(string) bool, now time.Time) *listing {
	return &listing{
		d: d, cfg: cfg, own: own, now: now,
		windowStart: now.Add(-clari.QuotaWindow),
		seeding:     !d.Seeded,
		open:        make(map[string]time.Time, len(d.Open)),
		newestDone:  map[string]inspectItem{},
	}
}

// visit applies one job record of the stream.
func (l *listing) visit(j *clari.Job) error {
	if j.JobID == "" || l.skipOwn(j.JobID) {
		return nil
	}
	fn, ferr := clari.ParseExportFileName(j.FileName)
	forecast, period := Unknown, Unknown
	if ferr == nil {
		forecast, period = fn.ForecastID, fn.TimePeriod
	}
	if !l.cfg.Watch.WatchesForecast(forecast) {
		return nil
	}
	created := createdAt(j, fn, ferr == nil, l.now)
	if !j.Status.Terminal() {
		l.running(j.JobID, forecast, period, created)
		return nil
	}
	_, wasOpen := l.d.Open[j.JobID]
	ended := time.UnixMilli(j.EndTime).UTC()
	if j.EndTime <= 0 {
		ended = created
	}
	if _, counted := l.d.Counted[j.JobID]; counted || (created.Before(l.d.Watermark) && !wasOpen) {
		if j.Status == clari.StatusDone {
			l.keepDone(j, forecast, created, ended)
		}
		return nil
	}
	l.firstTerminal(j, fn.Format, forecast, period, created, ended, wasOpen)
	return nil
}

// skipOwn reports whether id is one of this exporter's own jobs (counted
// by the runner, not the watch), remembering it until it leaves the window.
func (l *listing) skipOwn(id string) bool {
	if _, ok := l.d.Own[id]; ok {
		return true
	}
	if !l.own(id) {
		return false
	}
	c, _ := clari.PlausibleJobIDTime(id, l.now, 0)
	if c.IsZero() {
		c = l.now
	}
	l.d.Own[id] = c
	return true
}

// running records a job not yet terminal.
func (l *listing) running(id, forecast, period string, created time.Time) {
	if _, ok := l.open[id]; ok {
		return
	}
	l.open[id] = created
	l.current = append(l.current, currentJob{forecast: forecast, created: created, jobID: id})
	l.d.target(forecast, period)
}

// keepDone keeps a DONE job inside the quota window for the download and
// stuck figures.
func (l *listing) keepDone(j *clari.Job, forecast string, created, ended time.Time) {
	if created.Before(l.windowStart) {
		return
	}
	l.current = append(l.current, currentJob{forecast: forecast, created: created, terminal: true, done: true, ended: ended, downloads: j.Downloads, jobID: j.JobID})
}

// firstTerminal counts a job seen terminal for the first time.
func (l *listing) firstTerminal(j *clari.Job, format clari.ExportFormat, forecast, period string, created, ended time.Time, wasOpen bool) {
	if !created.Before(l.windowStart) || wasOpen {
		l.d.Counted[j.JobID] = created
	}
	t := l.d.target(forecast, period)
	if !l.seeding || wasOpen {
		t.Jobs[statusLabel(j.Status)]++
		if j.StartTime > 0 && j.EndTime >= j.StartTime {
			l.d.Forecasts[forecast].Duration.observe(float64(j.EndTime-j.StartTime) / 1000)
		}
	}
	if !ended.Before(t.LastTerminal) {
		t.LastTerminal, t.LastJobKnown, t.LastJobSuccess = ended, true, j.Status == clari.StatusDone
	}
	if j.Status != clari.StatusDone {
		return
	}
	if ended.After(t.LastSuccess) {
		t.LastSuccess = ended
	}
	seed := l.seeding && !wasOpen
	// A baseline whose results Clari has expired (expiredTime, 30 days after
	// the job ended) cannot be read: it is history, not a failed check.
	if forecast != Unknown && !(seed && resultsExpired(j, l.now)) {
		item := inspectItem{JobID: j.JobID, Forecast: forecast, Period: period, Format: string(format), Ended: ended, Truncated: j.Truncated()}
		l.queueInspection(item, seed)
	}
	l.keepDone(j, forecast, created, ended)
}

// queueInspection queues a DONE job's results for inspection; while
// seeding only the newest job of each target is kept, as the baseline.
func (l *listing) queueInspection(item inspectItem, seed bool) {
	if !seed {
		l.d.Inspect = append(l.d.Inspect, item)
		return
	}
	k := item.Forecast + "\x00" + item.Period
	if prev, ok := l.newestDone[k]; !ok || item.Ended.After(prev.Ended) {
		item.Seed = true
		l.newestDone[k] = item
	}
}

// finish applies what the whole pass learned: the seeding baselines, the
// open jobs, and the watermark that forgets jobs older than the window.
func (l *listing) finish() {
	d := l.d
	for _, k := range slices.Sorted(maps.Keys(l.newestDone)) {
		d.Inspect = append(d.Inspect, l.newestDone[k])
	}
	d.Open = l.open
	d.Seeded = true
	if l.windowStart.After(d.Watermark) {
		d.Watermark = l.windowStart
	}
	for id, c := range d.Counted {
		if c.Before(d.Watermark) {
			delete(d.Counted, id)
			delete(d.OwnDownloads, id)
		}
	}
	for id, c := range d.Own {
		if c.Before(d.Watermark) {
			delete(d.Own, id)
		}
	}
}

// resultsExpired reports whether the job record says its results can no
// longer be downloaded.
func resultsExpired(j *clari.Job, now time.Time) bool {
	return j.ExpiredTime > 0 && !now.Before(time.UnixMilli(j.ExpiredTime))
}
