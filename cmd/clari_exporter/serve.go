package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/go-kit/log"
	"github.com/go-kit/log/level"
	"github.com/prometheus/common/version"

	"github.com/clari-exporter/clari_exporter/config"
	"github.com/clari-exporter/clari_exporter/internal/app"
	"github.com/clari-exporter/clari_exporter/internal/logging"
	"github.com/clari-exporter/clari_exporter/internal/memlimit"
)

func runServe(f serveFlags, stderr io.Writer) int {
	logger, err := logging.New(stderr, f.logLevel, f.logFormat)
	if err != nil {
		fmt.Fprintln(stderr, "clari_exporter:", err)
		return 2
	}
	if !f.demo {
		if err := configMissing(f.configFile); err != nil {
			level.Error(logger).Log("msg", "clari_exporter cannot start", "err", err)
			return 1
		}
	}
	if f.configCheck {
		return checkConfig(f.configFile, os.Stdout, stderr)
	}
	memlimit.ApplyAndLog(logger)
	if err := serve(context.Background(), f, logger); err != nil {
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

// serve runs the exporter until ctx is cancelled or a SIGTERM or SIGINT
// arrives; a SIGHUP reloads the config (app.Signals, subscribed before
// anything is opened).
func serve(ctx context.Context, f serveFlags, logger log.Logger) error {
	signals := app.NotifySignals(ctx)
	defer signals.Stop()
	ctx = signals.Context()
	level.Info(logger).Log("msg", "starting clari_exporter", "version", version.Info(), "build_context", version.BuildContext())
	listeners, err := app.Listen(f.web)
	if err != nil {
		return err
	}
	defer func() {
		for _, l := range listeners {
			l.Close() // already closed when Run served on it
		}
	}()
	opts := app.Options{
		Listeners:   listeners,
		ConfigFile:  f.configFile,
		StoragePath: f.storagePath,
		MetricsPath: f.metricsPath,
		Web:         f.web,
		Description: "Prometheus exporter and alerting sidecar for Clari forecast exports.",
		DocsURL:     docsURL,
		Logger:      logger,
		Signals:     signals,
	}
	var demo *demoEnv
	if f.demo {
		pace := defaultDemoTiming
		if f.demoPace != nil {
			pace = *f.demoPace
		}
		if demo, err = startDemo(ctx, pace, logger); err != nil {
			return fmt.Errorf("starting the demo: %w", err)
		}
		defer demo.Close()
		opts.Config, opts.Tick = demo.cfg, demo.tick()
		opts.Description = "DEMO MODE: this exporter talks to the built-in Clari simulator (" + demo.simURL +
			"), not to Clari. Data, jobs and failures are simulated. " + opts.Description
	}
	a, err := app.New(opts)
	if err != nil {
		return err
	}
	if demo != nil {
		scriptCtx, stopScript := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() { defer close(done); demo.script(scriptCtx, a.Runner().ExportState, logger) }()
		defer func() { stopScript(); <-done }() // before demo.Close
	}
	return a.Run(ctx)
}

// docsURL is where the landing page links the documentation.
const docsURL = "https://github.com/clari-exporter/clari_exporter/tree/main/docs"

// imageConfigPath is where the container image's default command reads
// its configuration (the Dockerfile's CMD).
const imageConfigPath = "/etc/clari_exporter/clari.yml"

// configMissing says what to do when the configuration file does not
// exist: the first thing a new user (or a container started without its
// mount) runs into, which the loader alone reports as a bare ENOENT.
func configMissing(path string) error {
	if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	msg := fmt.Sprintf("configuration file %s does not exist: pass --config.file=<your file> (start from examples/clari.yml, see docs/install.md), or try --demo, which needs none", path)
	if path == imageConfigPath {
		msg += fmt.Sprintf("; in the container image, mount your file there: docker run -v \"$PWD/clari.yml:%s:ro\" ...", imageConfigPath)
	}
	return errors.New(msg)
}
