package landing

import (
	"bytes"
	"context"
	_ "embed"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"time"

	"github.com/clari-exporter/clari_exporter/checklist"
	"github.com/clari-exporter/clari_exporter/config"
	"github.com/clari-exporter/clari_exporter/runlog"
	"github.com/clari-exporter/clari_exporter/runner"
	"github.com/clari-exporter/clari_exporter/store"
	"github.com/clari-exporter/clari_exporter/warehouse/checkstate"
	"github.com/clari-exporter/clari_exporter/watch"
)

// RecentRuns bounds the "recent runs" table: enough to see the last few
// cycles of every target at a glance, small enough for one page.
const RecentRuns = 50

// RunSource is what the page reads of the durable state: every target's
// newest runs (newest first within a target, with job id, outcome,
// duration and rows), in one read whatever the number of targets, one
// target's runs for a run page, and the jobs in flight. store.Store
// implements it; on an HA follower it reads the shared store, so every
// replica shows the same runs.
type RunSource interface {
	RecentRuns(ctx context.Context, n int) ([]store.Run, error)
	Runs(ctx context.Context, forecast, period string, n int) ([]store.Run, error)
	InFlight(ctx context.Context) ([]store.InFlight, error)
}

// PipelineSource is the pipeline watch's published state (watch mode);
// *watch.Watcher implements it.
type PipelineSource interface {
	State() *watch.State
}

// Options configure the page. The state sources are the producers' own
// published values; a nil source hides what it would show.
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
	// Export is the runner's published state: each target's re-queues,
	// skips by reason and swings.
	Export func() *runner.State
	// Warehouse is the warehouse checks' published state (reconciliation
	// drift); nil, or the zero state, shows no drift.
	Warehouse func() checkstate.State
	// Audit is the readiness audit's latest results (nil before its first
	// run).
	Audit func() []checklist.Result
	// Ready is what /-/ready answers (state loaded).
	Ready func() bool
	// Logs are the runs' log lines, kept bounded in memory; a run page
	// without them shows the run's record only.
	Logs   *runlog.History
	Now    func() time.Time // default time.Now
	Logger *slog.Logger
}

// Handler serves the landing page on "/", a run's page on "/run", and 404
// elsewhere.
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

var (
	//go:embed page.html
	pageHTML string
	//go:embed run.html
	runHTML string
)

var funcs = template.FuncMap{
	"age":      age,
	"utc":      func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
	"duration": func(d time.Duration) string { return d.Round(time.Millisecond).String() },
	"stamp":    func(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") },
	"every":    every,
	"percent":  percent,
	"share":    func(r float64) string { return fmt.Sprintf("%.1f %%", 100*r) },
}

var (
	page    = template.Must(template.New("page").Funcs(funcs).Parse(pageHTML))
	runPage = template.Must(template.New("run").Funcs(funcs).Parse(runHTML))
)

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/":
		h.render(w, page, h.view(r.Context()), http.StatusOK)
	case runPath:
		v, status := h.runView(r)
		h.render(w, runPage, v, status)
	default:
		http.NotFound(w, r)
	}
}

// render executes t into a buffer first, so a template error is a clean
// 500 rather than half a page.
func (h *Handler) render(w http.ResponseWriter, t *template.Template, data any, status int) {
	var buf bytes.Buffer
	if err := t.Execute(&buf, data); err != nil {
		h.o.Logger.Error("rendering the landing page", "page", t.Name(), "err", err)
		http.Error(w, "cannot render the page", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}
