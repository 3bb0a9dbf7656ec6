package landing

import (
	"bytes"
	"cmp"
	"context"
	_ "embed"
	"html/template"
	"log/slog"
	"net/http"
	"slices"
	"time"

	"github.com/clari-exporter/clari_exporter/config"
	"github.com/clari-exporter/clari_exporter/store"
	"github.com/clari-exporter/clari_exporter/watch"
)

// RecentRuns bounds the "recent runs" table: enough to see the last few
// cycles of every target at a glance, small enough for one page.
const RecentRuns = 50

// RunSource is what the page reads of the durable state: every target's
// newest runs (newest first within a target, with job id, outcome,
// duration and rows), in one read whatever the number of targets, and the
// jobs in flight. store.Store implements it; on an HA follower it reads
// the shared store, so every replica shows the same runs.
type RunSource interface {
	RecentRuns(ctx context.Context, n int) ([]store.Run, error)
	InFlight(ctx context.Context) ([]store.InFlight, error)
}

// PipelineSource is the pipeline watch's published state (watch mode);
// *watch.Watcher implements it.
type PipelineSource interface {
	State() *watch.State
}

// Options configure the page.
type Options struct {
	Name        string // page title, e.g. "Clari Exporter"
	Description string // one paragraph (the demo says DEMO MODE here)
	Version     string // version.Info()
	MetricsPath string
	DocsURL     string
	// Config is the running configuration file (the targets come from
	// it); the page needs no secret, so it is not given them.
	Config func() *config.File
	Runs   RunSource
	// Pipeline is the pipeline watch; nil (or watch off) hides its section.
	Pipeline PipelineSource
	Now      func() time.Time // default time.Now
	Logger   *slog.Logger
}

// Handler serves the landing page on "/" and 404 elsewhere.
type Handler struct {
	o Options
}

// New returns the landing page handler.
func New(o Options) *Handler {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return &Handler{o: o}
}

//go:embed page.html
var pageHTML string

var page = template.Must(template.New("page").Funcs(template.FuncMap{
	"ago": func(now, t time.Time) string {
		return now.Sub(t).Round(time.Second).String() + " ago"
	},
	"utc":      func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
	"duration": func(d time.Duration) string { return d.Round(time.Millisecond).String() },
}).Parse(pageHTML))

// row is one run as the page shows it.
type row struct {
	Forecast, Period string
	Run              store.Run
	Outcome          string // ok or failed
	Reason           string // the failure reason; "" when ok
}

type target struct {
	Forecast, Period string
	Current          bool
	Interval         time.Duration
	Last             *row // nil: never ran
}

type view struct {
	Options
	Now      time.Time
	Targets  []target
	InFlight []store.InFlight
	Recent   []row
	Bound    int
	Watch    *watch.State // nil: no pipeline section
	Statuses []string     // the watch's terminal status vocabulary
	Errors   []string
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/" {
		http.NotFound(w, r)
		return
	}
	v := h.view(r.Context())
	var buf bytes.Buffer
	if err := page.Execute(&buf, v); err != nil {
		h.o.Logger.Error("rendering the landing page", "err", err)
		http.Error(w, "cannot render the landing page", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = w.Write(buf.Bytes())
}

// view reads the state. A store error is noted on the page and logged
// rather than failing it: the links and the targets still help. Its text
// stays in the log: a database error can name the server and the user.
func (h *Handler) view(ctx context.Context) view {
	now := h.o.Now()
	v := view{Options: h.o, Now: now, Bound: RecentRuns, Statuses: watch.Statuses}
	cfg := h.o.Config()
	recent, err := h.o.Runs.RecentRuns(ctx, RecentRuns)
	if err != nil {
		h.o.Logger.Warn("landing page: reading runs", "err", err)
		v.Errors = append(v.Errors, "The runs could not be read (see the exporter's log).")
	}
	byTarget := make(map[[2]string][]store.Run)
	for _, run := range recent {
		k := [2]string{run.Forecast, run.Period}
		byTarget[k] = append(byTarget[k], run)
	}
	// Only the configured targets, in their order: a target that left the
	// config keeps its runs in the store until they are pruned.
	for _, t := range cfg.Targets(now) {
		tv := target{Forecast: t.Forecast, Period: t.Period, Current: t.Current, Interval: t.Interval}
		for i, run := range byTarget[[2]string{t.Forecast, t.Period}] {
			rw := newRow(run)
			if i == 0 {
				tv.Last = &rw
			}
			v.Recent = append(v.Recent, rw)
		}
		v.Targets = append(v.Targets, tv)
	}
	slices.SortStableFunc(v.Recent, func(a, b row) int { return b.Run.FinishedAt.Compare(a.Run.FinishedAt) })
	if len(v.Recent) > RecentRuns {
		v.Recent = v.Recent[:RecentRuns]
	}
	inflight, err := h.o.Runs.InFlight(ctx)
	if err != nil {
		h.o.Logger.Warn("landing page: reading in-flight jobs", "err", err)
		v.Errors = append(v.Errors, "The jobs in flight could not be read (see the exporter's log).")
	}
	slices.SortFunc(inflight, func(a, b store.InFlight) int {
		return cmp.Or(cmp.Compare(a.Forecast, b.Forecast), cmp.Compare(a.Period, b.Period))
	})
	v.InFlight = inflight
	if h.o.Pipeline != nil {
		if st := h.o.Pipeline.State(); st != nil && st.Enabled {
			v.Watch = st
		}
	}
	return v
}

func newRow(run store.Run) row {
	rw := row{Forecast: run.Forecast, Period: run.Period, Run: run, Outcome: "ok"}
	if !run.Success() {
		rw.Outcome, rw.Reason = "failed", run.Outcome
	}
	return rw
}
