// Package app is the running exporter: it builds every component in
// dependency order (each from values built before it, never a closure over
// one built later), and owns their lifecycle: start, ready, reload, stop.
//
// Build order (New):
//
//	config → store → Clari client (+ its instrumentation) → Clari health
//	monitor → warehouse handle and sink → runner → warehouse checks →
//	readiness audit → collectors → /metrics handler and routes
//
// A reload loads and validates the file once and fans the new config out
// through Component.ApplyConfig, in the same order (components.go).
package app

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-kit/log"
	"github.com/go-kit/log/level"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/common/version"
	"github.com/prometheus/exporter-toolkit/web"

	"github.com/clari-exporter/clari_exporter/checklist"
	"github.com/clari-exporter/clari_exporter/clari"
	"github.com/clari-exporter/clari_exporter/collector"
	"github.com/clari-exporter/clari_exporter/config"
	"github.com/clari-exporter/clari_exporter/fiscal"
	"github.com/clari-exporter/clari_exporter/health"
	"github.com/clari-exporter/clari_exporter/health/probe"
	"github.com/clari-exporter/clari_exporter/internal/logging"
	"github.com/clari-exporter/clari_exporter/landing"
	"github.com/clari-exporter/clari_exporter/leader"
	"github.com/clari-exporter/clari_exporter/runlog"
	"github.com/clari-exporter/clari_exporter/runner"
	"github.com/clari-exporter/clari_exporter/store"
	"github.com/clari-exporter/clari_exporter/warehouse"
	"github.com/clari-exporter/clari_exporter/warehouse/checkstate"
	"github.com/clari-exporter/clari_exporter/watch"
)

// Options are what the command line decides.
type Options struct {
	// ConfigFile is loaded at start and on every reload.
	ConfigFile string
	// Config, when set, is used instead of ConfigFile (--demo builds it in
	// code); a reload then fails and keeps it.
	Config *config.Config
	// StoragePath overrides storage.path when set (--storage.path).
	StoragePath string
	// MetricsPath is where /metrics is served (--web.telemetry-path).
	MetricsPath string
	// Web is exporter-toolkit's listener and TLS/auth configuration.
	Web *web.FlagConfig
	// Listeners, when set, are Web's addresses already bound (see Listen);
	// Run serves on them and closes them. Otherwise Run binds Web's.
	Listeners []net.Listener
	// Description is the landing page's text; DocsURL where it links the
	// documentation.
	Description, DocsURL string
	// Tick is the runner's scheduling resolution; 0 for its default.
	Tick   time.Duration
	Logger log.Logger
	// Components join the reload fan-out after the built-in ones.
	Components []Component
	// Signals, when set, is the process's signal subscription
	// (NotifySignals): Run reloads on each SIGHUP it receives. Stopping on
	// SIGTERM or SIGINT is its Context, which the caller passes to Run.
	Signals *Signals
}

// App is the built exporter. Create it with New, run it with Run.
type App struct {
	opts   Options
	logger log.Logger

	config     *configState
	store      store.Store
	apiMetrics *collector.APIMetrics
	client     *clientBox
	health     *health.Monitor
	durations  *collector.ExportDurations
	wh         *warehouse.Warehouse // nil without a usable warehouse section
	calendar   *fiscal.Book         // the fiscal calendar, learned or checked by runner and watch
	runner     *runner.Runner
	runLogs    *runlog.History
	watch      *watch.Watcher
	whChecks   *warehouse.Service // nil without a warehouse
	readiness  *checklist.Runner
	metrics    *collector.Set
	handler    http.Handler

	components []Component
	ready      atomic.Bool
	shared     *shared // nil with SQLite: this replica leads alone

	owned resources // what New opened: closed by Close
}

// New builds every component in dependency order. Nothing runs yet.
func New(opts Options) (*App, error) {
	if opts.Logger == nil {
		opts.Logger = log.NewNopLogger()
	}
	if opts.MetricsPath == "" {
		opts.MetricsPath = "/metrics"
	}
	a := &App{opts: opts, logger: opts.Logger}
	logger := opts.Logger

	cfg := opts.Config
	path := ""
	if cfg == nil {
		var err error
		if cfg, err = config.Load(opts.ConfigFile); err != nil {
			return nil, err
		}
		path = opts.ConfigFile
	}
	a.config = newConfigState(path, cfg, logger)

	st, err := store.Open(context.Background(), cfg.Storage, cfg.Secrets.StorageDSN, opts.StoragePath, log.With(logger, "component", "store"))
	if err != nil {
		return nil, fmt.Errorf("opening the state store: %w", err)
	}
	a.store = st
	a.owned.own(st.Close)

	a.apiMetrics = collector.NewAPIMetrics(collector.APIVocabulary{
		Endpoints: clari.Endpoints, RetryReasons: clari.RetryReasons, BreakerStates: clari.BreakerStates})
	a.client = &clientBox{instr: a.apiMetrics, logger: log.With(logger, "component", "clari")}
	if err := a.client.ApplyConfig(cfg); err != nil {
		return nil, a.abandon(fmt.Errorf("building the Clari client: %w", err))
	}

	a.health = health.New(health.Options{
		API:      a.client,
		Interval: time.Duration(cfg.Clari.ProbeInterval),
		Timeout:  time.Duration(cfg.Clari.RequestTimeout),
		Logger:   log.With(logger, "component", "health"),
	})

	a.durations = collector.NewExportDurations(nil)
	a.durations.SetForecasts(forecastIDs(cfg))

	var sink runner.Sink
	if cfg.Warehouse != nil {
		whLogger := log.With(logger, "component", "warehouse")
		if w, err := warehouse.New(*cfg.Warehouse, cfg.Secrets.WarehouseDSN, whLogger); err != nil {
			level.Error(whLogger).Log("msg", "warehouse section unusable; warehouse checks disabled", "err", err)
		} else {
			a.wh = w
			a.owned.own(w.Close)
			if w.SinkEnabled() {
				sink = warehouse.NewSink(w)
			}
		}
	}

	// On a shared store the leader lease decides who exports
	// (docs/ha.md); the runner asks it right before every create.
	pg, sharedStore := st.(*store.Postgres)
	var elector *leader.Elector
	var leadership runner.Leadership // nil alone: no election
	if sharedStore {
		if elector, err = a.newElector(cfg, pg, logger); err != nil {
			return nil, a.abandon(err)
		}
		leadership = elector
	}
	// The runner's lines naming a target are also kept, bounded, for the
	// landing page's run pages.
	a.runLogs = runlog.New(runlog.Options{})
	a.calendar = fiscal.NewBook(st, a.config.File, log.With(logger, "component", "calendar"))
	a.runner = runner.New(runner.Options{
		API: a.client, Store: st, Config: a.config.File, Sink: sink, Leadership: leadership, Calendar: a.calendar,
		FreshLimits:     a.health.Fresh,
		ObserveDuration: a.durations.ObserveDuration,
		Logger:          a.runLogs.Logger(log.With(logger, "component", "runner")),
		Tick:            opts.Tick,
	})

	// The pipeline watch reads /admin/limits through the health monitor's
	// reading (no second call) and keeps its state in the same store.
	a.watch = watch.New(watch.Options{
		Clari:    watchAPI{client: a.client, limits: a.health.Cached},
		Store:    st,
		Config:   a.config.File,
		Calendar: a.calendar,
		Logger:   log.With(logger, "component", "watch"),
	})

	if a.wh != nil {
		a.whChecks = warehouse.NewService(a.wh, expectedRows{a.inForce, a.runner, a.watch}.input,
			func(t time.Time) string { return currentPeriod(a.inForce(), t) },
			log.With(logger, "component", "warehouse"))
		a.runner.OnChange(a.whChecks.Trigger) // reconcile right after a load
	}

	webConfigFile := ""
	if opts.Web != nil && opts.Web.WebConfigFile != nil {
		webConfigFile = *opts.Web.WebConfigFile
	}
	a.readiness = checklist.NewRunner(checklist.RunnerOptions{
		Config:        a.inForce,
		Calendar:      a.calendar.State,
		WebConfigFile: webConfigFile,
		Limits:        a.health.Cached,
		Logger:        log.With(logger, "component", "readiness"),
	})

	a.metrics = collector.NewSet(collector.Options{
		Logger:     logger,
		APIMetrics: a.apiMetrics,
		Probe:      func() probe.Reading { return a.health.Last().Probe },
		Exporter: collector.ExporterOptions{
			Reload:          a.config,
			KeyRotationTime: func() float64 { return a.config.Get().Secrets.KeyRotatedAt },
			KeyRotationDue:  func() float64 { return keyRotationDue(a.config.Get()) },
		},
		Export: collector.ExportSourceOf[runner.Target](a.runner.ExportState),
		ExportOptions: collector.ExportOptions{
			ExposeForecastValues: cfg.Metrics.ExposeForecastValues,
			Durations:            a.durations,
			FailureReasons:       runner.FailureReasons,
			SkipReasons:          runner.SkipReasons,
		},
		Warehouse:       a.warehouseState,
		Readiness:       a.readiness.ReadinessChecks,
		Pipeline:        collector.PipelineSourceOf[*watch.Target](a.watch.State),
		Calendar:        a.calendar.State,
		PipelineOptions: collector.PipelineOptions{DurationBuckets: watch.DurationBuckets, CheckReasons: watch.CheckReasons},
	})
	// One store, one runner: this replica exports. On a shared store the
	// leader lease decides (docs/ha.md).
	haOpts := collector.HAOptions{CreateRefused: a.runner.CreateRefused, CreateRefusedReasons: runner.CreateRefusedReasons}
	if sharedStore {
		a.shared = a.newShared(elector, pg, logger)
		haOpts.Leadership = a.shared.elector.State
		haOpts.Sync = a.shared.follower.State
	} else {
		a.metrics.Exporter.SetLeader(true)
	}
	haMetrics := prometheus.NewRegistry()
	haMetrics.MustRegister(collector.NewHACollector(haOpts))

	processReg := prometheus.NewRegistry()
	processReg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	metricsHandler, err := collector.NewHandler(collector.HandlerOptions{
		Gatherers:  []prometheus.Gatherer{a.metrics, haMetrics, processReg},
		Instrument: processReg,
		Logger:     logger,
	})
	if err != nil {
		return nil, a.abandon(err)
	}
	a.handler, err = routes{
		metricsPath: opts.MetricsPath,
		metrics:     metricsHandler,
		landing: landing.New(landing.Options{
			Name:        "Clari Exporter",
			Description: opts.Description,
			Version:     version.Info(),
			MetricsPath: opts.MetricsPath,
			DocsURL:     opts.DocsURL,
			Config:      func() *config.File { return &a.inForce().File },
			Runs:        st,
			Pipeline:    a.watch,
			Export:      a.runner.ExportState,
			Warehouse:   a.warehouseState,
			Audit:       a.readiness.Last,
			Ready:       a.ready.Load,
			Logs:        a.runLogs,
			Logger:      logging.Slog(log.With(logger, "component", "landing")),
		}),
		ready:  &a.ready,
		reload: a.Reload,
		logger: logger,
	}.handler()
	if err != nil {
		return nil, a.abandon(err)
	}

	a.components = append(a.builtin(), opts.Components...)
	return a, nil
}

// warehouseState is the warehouse checks' latest state; the zero state
// (nothing to show) without a warehouse.
func (a *App) warehouseState() checkstate.State {
	if a.whChecks == nil {
		return checkstate.State{}
	}
	return a.whChecks.State()
}

// inForce is the configuration in force with the fiscal calendar in use
// (configured, or learned from Clari): what readers that only name
// periods need (landing page, readiness audit, warehouse checks).
func (a *App) inForce() *config.Config {
	c := a.config.Get()
	resolved := a.calendar.Resolve(&c.File)
	if resolved == &c.File {
		return c
	}
	cc := *c
	cc.File = *resolved
	return &cc
}

// currentPeriod is the label of the quarter containing t, "" while the
// fiscal calendar is unknown (the warehouse retention then waits).
func currentPeriod(c *config.Config, t time.Time) string {
	if !c.FiscalCalendar.Known() {
		return ""
	}
	return c.FiscalCalendar.PeriodAt(t).Label()
}

// Runner is the export runner (the demo script reads its state).
func (a *App) Runner() *runner.Runner { return a.runner }

// Config is the configuration in force.
func (a *App) Config() *config.Config { return a.config.Get() }

// Components lists the reload fan-out, in order.
func (a *App) Components() []Component { return a.components }

// Handler serves every HTTP endpoint (for tests; Run serves it).
func (a *App) Handler() http.Handler { return a.handler }

// Ready reports whether persisted state is loaded (/-/ready).
func (a *App) Ready() bool { return a.ready.Load() }

// Reload loads and validates the file, then offers the new config to every
// component; it takes effect only when all accept it. On any failure the
// running config stays in force everywhere and
// clari_exporter_config_last_reload_successful drops to 0.
func (a *App) Reload() error {
	s := a.config
	s.mu.Lock()
	defer s.mu.Unlock()
	fail := func(err error) error {
		s.lastOK.Store(false)
		level.Error(a.logger).Log("msg", "Configuration reload failed, keeping the previous configuration", "file", s.path, "err", err)
		return err
	}
	if s.path == "" {
		return fail(errNoFile)
	}
	cfg, err := config.Load(s.path)
	if err != nil {
		return fail(err)
	}
	if err := applyAll(a.components, s.Get(), cfg); err != nil {
		return fail(err)
	}
	s.commit(cfg)
	level.Info(a.logger).Log("msg", "Configuration reloaded", "file", s.path)
	s.logWarnings(cfg)
	return nil
}

// Close closes what New opened (the store, the warehouse pool), newest
// first. Run calls it when it returns: call it only for an App never run.
func (a *App) Close() error { return a.owned.closeAll() }

// abandon closes what a failing New opened so far and returns err.
func (a *App) abandon(err error) error {
	_ = a.owned.closeAll()
	return err
}

// firstProbeWait is how long start-up waits for the first Clari reading
// before reporting ready, so the first scrape usually knows whether Clari
// answers; a hung Clari delays readiness by no more than this.
const firstProbeWait = 50 * time.Millisecond

// Run starts every component, serves HTTP, reloads on each SIGHUP of
// Options.Signals, and stops gracefully when ctx ends (in-flight export jobs stay persisted and resume
// at the next start). It closes what New opened before returning, once
// every component has stopped.
func (a *App) Run(ctx context.Context) error {
	defer a.Close()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	server := &http.Server{Handler: a.handler, ReadHeaderTimeout: 10 * time.Second}
	serveErr := make(chan error, 1)
	go func() {
		if len(a.opts.Listeners) > 0 {
			serveErr <- web.ServeMultiple(a.opts.Listeners, server, a.opts.Web, logging.Slog(a.logger))
			return
		}
		serveErr <- web.ListenAndServe(server, a.opts.Web, logging.Slog(a.logger))
	}()

	var wg sync.WaitGroup
	goRun := func(fn func(context.Context)) {
		wg.Add(1)
		go func() { defer wg.Done(); fn(ctx) }()
	}
	goRun(a.health.Run)
	goRun(a.start)

	var reload <-chan struct{} // nil without Signals: no reload by signal
	if a.opts.Signals != nil {
		reload = a.opts.Signals.Reload()
	}
	stop := func() {
		shutdownCtx, cancelShutdown := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancelShutdown()
		_ = server.Shutdown(shutdownCtx)
		cancel()
		wg.Wait()
	}
	for {
		select {
		case <-reload:
			if err := a.Reload(); err != nil {
				level.Error(a.logger).Log("msg", "reload on SIGHUP failed; keeping the running config", "err", err)
			}
		case err := <-serveErr:
			stop()
			if errors.Is(err, http.ErrServerClosed) {
				err = nil
			}
			return err
		case <-ctx.Done():
			level.Info(a.logger).Log("msg", "shutting down; in-flight export jobs stay persisted and resume at the next start")
			stop()
			return nil
		}
	}
}

// start loads persisted state, reports ready and runs the producers.
func (a *App) start(ctx context.Context) {
	if a.shared != nil {
		a.runShared(ctx)
		return
	}
	if err := a.runner.Load(ctx); err != nil {
		level.Error(a.logger).Log("msg", "cannot load persisted state", "err", err)
		return
	}
	select {
	case <-a.health.First():
	case <-time.After(firstProbeWait):
	case <-ctx.Done():
	}
	a.ready.Store(true)
	a.runProducers(ctx, append(a.everyReplica(), a.exporting(soleTerm)...))
}

func forecastIDs(c *config.Config) []string {
	ids := make([]string, len(c.Forecasts))
	for i, f := range c.Forecasts {
		ids[i] = f.ID
	}
	return ids
}

// keyRotationDue is the key's rotation time plus clari.rotation_policy, in
// unix seconds; 0 when the rotation time is unknown.
func keyRotationDue(c *config.Config) float64 {
	if c.Secrets.KeyRotatedAt <= 0 {
		return 0
	}
	return c.Secrets.KeyRotatedAt + time.Duration(c.Clari.RotationPolicy).Seconds()
}
