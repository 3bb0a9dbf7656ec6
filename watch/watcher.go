// Package watch is the pipeline watch: it learns what the team's production
// Clari pipeline does from Clari's own records, without spending one
// export. /admin/limits (org-wide) gives the quota burn; GET /export/jobs
// (the token user's whole history: the pipeline's, when the exporter uses
// the pipeline's service-account token) gives each job's status, times, file
// name and downloads; a DONE job's results can be downloaded again for free
// and checked like the exporter's own exports.
//
// Every job is counted once from first sight to a terminal status, across
// restarts (see doc in persist.go). The Watcher publishes an immutable
// *State after each poll; collector/ reads it.
package watch

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-kit/log"
	"github.com/go-kit/log/level"

	"github.com/clari-exporter/clari_exporter/clari"
	"github.com/clari-exporter/clari_exporter/config"
	"github.com/clari-exporter/clari_exporter/fiscal"
)

// Clari is what the watch reads from the API (free calls only).
type Clari interface {
	Limits(ctx context.Context) (clari.Limits, error)
	StreamJobs(ctx context.Context, fn func(*clari.Job) error) error
	Results(ctx context.Context, jobID string, format clari.ExportFormat, v clari.Visitor) error
}

// Store keeps the watch's document and knows this exporter's own jobs.
type Store interface {
	LoadWatchState(ctx context.Context, name string) ([]byte, error)
	SaveWatchState(ctx context.Context, name string, doc []byte) error
	OwnJobIDs(ctx context.Context) (map[string]bool, error)
}

// Options configure a Watcher.
type Options struct {
	Clari Clari
	Store Store
	// Config returns the current configuration file (a reload takes effect
	// at the next poll); the watch needs no secret.
	Config func() *config.File
	// Calendar is the fiscal calendar shared with the runner: every
	// inspected JSON document's periods teach it or check it (calendar.go).
	// nil: the configured calendar places CSV rows and nothing is checked.
	Calendar *fiscal.Book
	Logger   log.Logger
	// Now is the clock (default time.Now); Sleep waits between downloads
	// (default: a timer honouring ctx).
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error
}

// Watcher polls and publishes State. Poll is not safe for concurrent use;
// State is.
type Watcher struct {
	o     Options
	state atomic.Pointer[State]

	mu       sync.Mutex // held by Poll
	d        *doc
	org      OrgQuota
	orgClock orgClock
	lastList time.Time
	current  []currentJob // from the last list: non-terminal and DONE-in-window jobs
}

// currentJob is what one poll keeps of a listed job for the gauges.
type currentJob struct {
	forecast  string
	created   time.Time
	terminal  bool
	done      bool
	ended     time.Time
	downloads int
	jobID     string
}

// New returns a Watcher. It reads nothing until the first Poll.
func New(o Options) *Watcher {
	if o.Logger == nil {
		o.Logger = log.NewNopLogger()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Sleep == nil {
		o.Sleep = func(ctx context.Context, d time.Duration) error {
			t := time.NewTimer(d)
			defer t.Stop()
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-t.C:
				return nil
			}
		}
	}
	w := &Watcher{o: o, orgClock: orgClock{}}
	w.state.Store(&State{})
	return w
}

// State returns the newest published state (never nil).
func (w *Watcher) State() *State { return w.state.Load() }

// Run polls every watch.interval until ctx ends (a reload changing the
// interval takes effect after the current wait). Each Run starts from the
// store's document, not the one an earlier Run held: on a shared store the
// watch runs on the leader only, and another replica's term may have saved
// a newer one meanwhile (results it inspected are not downloaded again).
func (w *Watcher) Run(ctx context.Context) {
	w.mu.Lock()
	w.d = nil
	w.mu.Unlock()
	for {
		if err := w.Poll(ctx); err != nil && ctx.Err() == nil {
			level.Warn(w.o.Logger).Log("msg", "pipeline watch poll failed", "err", err)
		}
		iv := time.Duration(w.o.Config().Watch.Interval)
		t := time.NewTimer(iv)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

// Poll reads /admin/limits and the job list once, counts what changed,
// saves the document, inspects newly DONE jobs and publishes the state.
func (w *Watcher) Poll(ctx context.Context) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	cfg := w.o.Config()
	if !cfg.Watch.Enabled {
		w.state.Store(&State{})
		return nil
	}
	if w.d == nil {
		b, err := w.o.Store.LoadWatchState(ctx, stateName)
		if err == nil {
			w.d, err = decodeDoc(b)
		}
		if err != nil {
			// Never overwrite a document that could not be read: the
			// counters in it are not lost by a bad start.
			return err
		}
	}
	own, err := w.o.Store.OwnJobIDs(ctx)
	if err != nil {
		return err
	}
	isOwn := func(id string) bool { return own[id] }

	var errs []error
	if l, err := w.o.Clari.Limits(ctx); err != nil {
		errs = append(errs, fmt.Errorf("watch: /admin/limits: %w", err))
	} else {
		w.org = orgQuota(l, w.o.Now(), w.orgClock, isOwn, cfg.Schedule.QuotaReserve)
	}
	if err := w.list(ctx, cfg, isOwn); err != nil {
		errs = append(errs, fmt.Errorf("watch: job list: %w", err))
	} else if err := w.save(ctx); err != nil {
		errs = append(errs, err)
	}
	w.publish(cfg)
	if cfg.Watch.InspectResults {
		if err := w.inspectQueue(ctx, cfg); err != nil {
			errs = append(errs, err)
		}
		w.publish(cfg)
	}
	return errors.Join(errs...)
}

func (w *Watcher) save(ctx context.Context) error {
	b, err := json.Marshal(w.d)
	if err != nil {
		return fmt.Errorf("watch: encode state: %w", err)
	}
	if err := w.o.Store.SaveWatchState(ctx, stateName, b); err != nil {
		return fmt.Errorf("watch: save state: %w", err)
	}
	return nil
}

// createdAt is a job's creation time: from its id, else its file name,
// else its start, else first sight (now).
func createdAt(j *clari.Job, fn clari.ExportFileName, fnOK bool, now time.Time) time.Time {
	if t, ok := clari.PlausibleJobIDTime(j.JobID, now, 0); ok {
		return t
	}
	if fnOK {
		return fn.Created
	}
	if j.StartTime > 0 {
		return time.UnixMilli(j.StartTime).UTC()
	}
	return now
}

func statusLabel(s clari.JobStatus) string {
	switch s {
	case clari.StatusDone:
		return StatusDone
	case clari.StatusFailed:
		return StatusFailed
	case clari.StatusAborted:
		return StatusAborted
	case clari.StatusCancelled:
		return StatusCancelled
	}
	return ""
}

// publish builds the immutable State from the document and the last list.
func (w *Watcher) publish(cfg *config.File) {
	now := w.o.Now()
	st := &State{Enabled: true, Org: w.org, ListedAt: w.lastList}
	if w.d == nil {
		w.state.Store(st)
		return
	}
	fc := map[string]*Forecast{}
	for name, f := range w.d.Forecasts {
		fc[name] = &Forecast{Forecast: name, Duration: Histogram{Buckets: slices.Clone(f.Duration.Buckets), Count: f.Duration.Count, Sum: f.Duration.Sum}}
	}
	for _, j := range w.current {
		f := fc[j.forecast]
		if f == nil {
			continue
		}
		switch {
		case !j.terminal:
			f.Running++
			if now.Sub(j.created) > time.Duration(cfg.Watch.StuckAfter) {
				f.Stuck++
			}
		case j.done && now.Sub(j.ended) > time.Duration(cfg.Watch.DownloadGrace) && j.downloads-w.d.OwnDownloads[j.jobID] <= 0:
			f.Undownloaded++
		}
	}
	for _, name := range slices.Sorted(maps.Keys(fc)) {
		st.Forecasts = append(st.Forecasts, *fc[name])
	}
	for _, k := range slices.Sorted(maps.Keys(w.d.Targets)) {
		t := w.d.Targets[k]
		st.Targets = append(st.Targets, Target{
			Forecast: t.Forecast, Period: t.Period,
			Jobs: cloneMap(t.Jobs), CheckFailures: cloneMap(t.CheckFailures),
			LastSuccess: t.LastSuccess, LastJobKnown: t.LastJobKnown, LastJobSuccess: t.LastJobSuccess,
			Inspected: t.Inspected, Rows: t.Rows, DuplicateRows: t.DuplicateRows,
			DataTypeRows: cloneMap(t.DataTypeRows), Swings: slices.Clone(t.Swings),
			LastCheck: t.LastCheck,
		})
	}
	w.state.Store(st)
}

func cloneMap[V any](m map[string]V) map[string]V {
	out := make(map[string]V, len(m))
	maps.Copy(out, m)
	return out
}
