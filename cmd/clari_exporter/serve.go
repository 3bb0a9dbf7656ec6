package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/go-kit/log"
	"github.com/go-kit/log/level"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/common/version"
	"github.com/prometheus/exporter-toolkit/web"

	"github.com/clari-exporter/clari_exporter/collector"
	"github.com/clari-exporter/clari_exporter/config"
	"github.com/clari-exporter/clari_exporter/internal/logging"
	"github.com/clari-exporter/clari_exporter/landing"
	"github.com/clari-exporter/clari_exporter/runner"
	"github.com/clari-exporter/clari_exporter/store"
)

func runServe(f serveFlags) int {
	logger, err := logging.New(os.Stderr, f.logLevel, f.logFormat)
	if err != nil {
		fmt.Fprintln(os.Stderr, "clari_exporter:", err)
		return 2
	}
	if f.configCheck {
		return checkConfig(f.configFile, os.Stdout, os.Stderr)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	if err := serve(ctx, f, logger); err != nil {
		level.Error(logger).Log("msg", "clari_exporter stopped", "err", err)
		return 1
	}
	return 0
}

// checkConfig is --config.check: validate, print the verdict, exit 0 or 1.
func checkConfig(path string, stdout, stderr io.Writer) int {
	cfg, err := config.Load(path)
	if err != nil {
		fmt.Fprintf(stderr, "%s: INVALID\n%v\n", path, err)
		return 1
	}
	for _, w := range cfg.Warnings() {
		fmt.Fprintf(stderr, "warning: %s\n", w)
	}
	cost, breakdown := cfg.MonthlyExportCost()
	fmt.Fprintf(stdout, "%s: OK (%d forecasts, %d exports per 30 days of monthly_budget %d: %s)\n",
		path, len(cfg.Forecasts), cost, cfg.Schedule.MonthlyBudget, breakdown)
	return 0
}

// serve runs the exporter until ctx is cancelled (SIGTERM/SIGINT).
func serve(ctx context.Context, f serveFlags, logger log.Logger) error {
	level.Info(logger).Log("msg", "starting clari_exporter", "version", version.Info(), "build_context", version.BuildContext())

	var holder *config.Holder
	var demo *demoEnv
	if f.demo {
		var err error
		if demo, err = startDemo(ctx, logger); err != nil {
			return fmt.Errorf("starting the demo: %w", err)
		}
		defer demo.Close()
		holder = config.NewStaticHolder(demo.cfg, logger)
	} else {
		var err error
		if holder, err = config.NewHolder(f.configFile, logger); err != nil {
			return err
		}
	}
	cfg := holder.Get()

	if cfg.Storage.Shared() {
		// Refuse rather than fall back to a private SQLite file: replicas
		// that each had their own store would each spend quota.
		return errors.New("storage.driver postgres: this build cannot run on a shared store yet (the leader election is not wired into serve); use storage.driver sqlite with one replica")
	}
	storagePath := cfg.Storage.Path
	if f.storagePath != "" {
		storagePath = f.storagePath
	}
	st, err := store.OpenSQLite(storagePath, log.With(logger, "component", "store"))
	if err != nil {
		return fmt.Errorf("opening state store (storage.path): %w", err)
	}
	defer st.Close()

	box := &clientBox{}
	webConfigFile := ""
	if f.web != nil && f.web.WebConfigFile != nil {
		webConfigFile = *f.web.WebConfigFile
	}
	readiness := newReadiness(holder, webConfigFile, box, logger)
	var rn *runner.Runner
	wh := newWarehouseWiring(cfg, func() map[[2]string]int { return rn.LatestExpected() }, logger)
	set := collector.NewSet(collector.Options{
		Logger: logger,
		Prober: box,
		Probe: collector.ProbeOptions{Interval: time.Duration(cfg.Clari.ProbeInterval), Timeout: time.Duration(cfg.Clari.RequestTimeout),
			MaxWait: probeMaxWait},
		Exporter: collector.ExporterOptions{
			Reload:          holder,
			KeyRotationTime: func() float64 { return holder.Get().Clari.KeyRotatedAt },
		},
		Export:        collector.ExportSourceFunc(func() collector.ExportState { return rn.ExportState() }),
		ExportOptions: collector.ExportOptions{ExposeForecastValues: cfg.Metrics.ExposeForecastValues},
		Warehouse:     wh.source(),
		Readiness:     readiness,
	})
	client, err := newClient(cfg.Clari, set.API, log.With(logger, "component", "clari"))
	if err != nil {
		return fmt.Errorf("building the Clari client: %w", err)
	}
	box.c.Store(client)

	rn = runner.New(runner.Options{
		API: box, Store: st, Config: holder.Get, Sink: wh.sink(),
		ObserveDuration: set.Export.ObserveDuration,
		OnStateChange:   wh.trigger, // reconcile right after a load
		Logger:          log.With(logger, "component", "runner"),
		Tick:            demo.tick(),
	})
	set.Export.SetForecasts(forecastIDs(cfg))
	set.Exporter.SetLeader(true) // one store, one runner: this replica exports

	holder.Subscribe(func(c *config.Config) {
		if !sameClari(c.Clari, cfg.Clari) {
			if nc, err := newClient(c.Clari, set.API, log.With(logger, "component", "clari")); err == nil {
				box.c.Store(nc)
			} else {
				level.Error(logger).Log("msg", "reloaded clari section rejected by the client; keeping the old client", "err", err)
			}
		}
		cfg = c
		set.Export.SetExposeForecastValues(c.Metrics.ExposeForecastValues)
		set.Export.SetForecasts(forecastIDs(c))
	})

	processReg := prometheus.NewRegistry()
	processReg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	metrics, err := collector.NewHandler(collector.HandlerOptions{
		Gatherers: []prometheus.Gatherer{set, processReg},
		Probe:     set.Probe,
		Logger:    logger,
	})
	if err != nil {
		return err
	}
	var ready atomic.Bool
	mux, err := routes{
		metricsPath: f.metricsPath,
		metrics:     metrics,
		landing:     landingPage(f.metricsPath, demo, holder.Get, st, logger),
		ready:       &ready,
		reload:      holder.Reload,
		logger:      logger,
	}.handler()
	if err != nil {
		return err
	}
	server := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}

	var wg sync.WaitGroup
	serveErr := make(chan error, 1)
	go func() { serveErr <- web.ListenAndServe(server, f.web, logging.Slog(logger)) }()

	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := rn.Load(ctx); err != nil {
			level.Error(logger).Log("msg", "cannot load persisted state", "err", err)
			return
		}
		// Start the first probe before ready, so the first scrape usually
		// already knows whether Clari answers (it waits at most probeMaxWait).
		probeCtx, cancel := context.WithTimeout(ctx, time.Duration(cfg.Clari.RequestTimeout))
		set.Probe.Refresh(probeCtx)
		cancel()
		ready.Store(true)
		wh.start(ctx, &wg)
		wg.Add(1)
		go func() { defer wg.Done(); readiness.Run(ctx) }()
		if err := rn.Run(ctx); err != nil {
			level.Error(logger).Log("msg", "export runner stopped", "err", err)
		}
	}()
	if demo != nil {
		wg.Add(1)
		go func() { defer wg.Done(); demo.script(ctx, rn.ExportState, logger) }()
	}

	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	for {
		select {
		case <-hup:
			if err := holder.Reload(); err != nil {
				level.Error(logger).Log("msg", "reload on SIGHUP failed; keeping the running config", "err", err)
			}
		case err := <-serveErr:
			if errors.Is(err, http.ErrServerClosed) {
				err = nil
			}
			return err
		case <-ctx.Done():
			level.Info(logger).Log("msg", "shutting down; in-flight export jobs stay persisted and resume at the next start")
			shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_ = server.Shutdown(shutdownCtx)
			wg.Wait()
			return nil
		}
	}
}

// probeMaxWait is the longest a scrape waits for the live probe: /metrics
// must answer fast even when Clari hangs; the probe finishes in the
// background and serves the next scrapes.
const probeMaxWait = 50 * time.Millisecond

func forecastIDs(c *config.Config) []string {
	ids := make([]string, len(c.Forecasts))
	for i, f := range c.Forecasts {
		ids[i] = f.ID
	}
	return ids
}

// landingPage is the exporter's own page: the targets with their last run,
// the jobs in flight and the recent runs, read from the store.
func landingPage(metricsPath string, demo *demoEnv, cfg func() *config.Config, runs landing.RunSource, logger log.Logger) http.Handler {
	desc := "Prometheus exporter and alerting sidecar for Clari forecast exports."
	if demo != nil {
		desc = "DEMO MODE: this exporter talks to the built-in Clari simulator (" + demo.simURL +
			"), not to Clari. Data, jobs and failures are simulated. " + desc
	}
	return landing.New(landing.Options{
		Name:        "Clari Exporter",
		Description: desc,
		Version:     version.Info(),
		MetricsPath: metricsPath,
		DocsURL:     docsURL,
		Config:      cfg,
		Runs:        runs,
		Logger:      logging.Slog(log.With(logger, "component", "landing")),
	})
}

// docsURL is where the landing page links the documentation.
const docsURL = "https://github.com/clari-exporter/clari_exporter/tree/main/docs"
