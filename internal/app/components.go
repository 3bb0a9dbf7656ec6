package app

import (
	"context"
	"sort"
	"sync/atomic"
	"time"

	"github.com/go-kit/log"
	"github.com/go-kit/log/level"
	"github.com/prometheus/common/version"

	"github.com/clari-exporter/clari_exporter/clari"
	"github.com/clari-exporter/clari_exporter/config"
	"github.com/clari-exporter/clari_exporter/runner"
	"github.com/clari-exporter/clari_exporter/warehouse"
	"github.com/clari-exporter/clari_exporter/watch"
)

// builtin is the reload fan-out of the built components, in build order.
// Components that read the config through configState.Get (the runner, the
// readiness audit) take a new config when the app commits it, after every
// component here accepted it.
func (a *App) builtin() []Component {
	return []Component{
		restartOnly{name: "store", logger: a.logger, settings: []string{"storage", "ha"},
			same: sameStore, started: a.config.Get()},
		a.client,
		healthComponent{a},
		restartOnly{name: "warehouse", logger: a.logger, settings: []string{"warehouse"},
			same: sameWarehouse, started: a.config.Get()},
		runnerComponent{},
		readinessComponent{},
		watchComponent{},
		collectorComponent{a},
	}
}

// restartOnly is a component whose settings are fixed at start-up (the
// store's file, the warehouse connection and its check schedule): a reload
// that changes them is accepted, with a warning that they wait for a
// restart.
type restartOnly struct {
	name     string
	logger   log.Logger
	settings []string
	same     func(started, reloaded *config.Config) bool // whether the settings are unchanged
	started  *config.Config
}

func (r restartOnly) Name() string     { return r.name }
func (r restartOnly) Reloads() Reloads { return Reloads{Restart: r.settings} }

func (r restartOnly) ApplyConfig(c *config.Config) error {
	if !r.same(r.started, c) {
		level.Warn(r.logger).Log("msg", "reloaded setting needs a restart to take effect; keeping the running one", "component", r.name, "settings", r.settings)
	}
	return nil
}

// sameStore reports whether two configs open the same state store with
// the same lease. The sections are compared with ==, so a field of a type
// == cannot compare is a compile error here, never a silent "changed".
func sameStore(x, y *config.Config) bool {
	return x.Storage == y.Storage && x.HA == y.HA && x.Secrets.StorageDSN == y.Secrets.StorageDSN
}

// sameWarehouse reports whether two configs have the same warehouse
// section (or both none) and DSN.
func sameWarehouse(x, y *config.Config) bool {
	if x.Warehouse == nil || y.Warehouse == nil {
		return x.Warehouse == nil && y.Warehouse == nil
	}
	return *x.Warehouse == *y.Warehouse && x.Secrets.WarehouseDSN == y.Secrets.WarehouseDSN
}

// clientBox holds the current Clari client. A reload that changes the
// client's settings (a rotated key, another base URL, timeouts, retry,
// breaker, pacing) swaps in a new client; the runner and the health monitor
// always call the current one.
type clientBox struct {
	instr  clari.Instrumentation
	logger log.Logger
	c      atomic.Pointer[clari.Client]
	cfg    atomic.Pointer[config.Config] // the config the current client was built from
}

func (b *clientBox) Name() string { return "clari client" }

func (b *clientBox) Reloads() Reloads {
	return Reloads{Live: []string{"clari.base_url", "clari.api_key_file", "clari.api_key_env", "clari.api_key",
		"clari.request_timeout", "clari.retry", "clari.breaker", "clari.pacing"}}
}

// ApplyConfig builds a new client when the clari section's client settings
// changed; a section the client rejects keeps the old client.
func (b *clientBox) ApplyConfig(c *config.Config) error {
	if old := b.cfg.Load(); old != nil && sameClient(old, c) {
		return nil
	}
	nc, err := newClient(c, b.instr, b.logger)
	if err != nil {
		return err
	}
	b.c.Store(nc)
	b.cfg.Store(c)
	return nil
}

func (b *clientBox) Limits(ctx context.Context) (clari.Limits, error) {
	return b.c.Load().Limits(ctx)
}

func (b *clientBox) RunExport(ctx context.Context, req clari.ExportRequest, o clari.RunOptions) clari.RunResult {
	return b.c.Load().RunExport(ctx, req, o)
}

func (b *clientBox) ResumeExport(ctx context.Context, jobID string, req clari.ExportRequest, o clari.RunOptions) clari.RunResult {
	return b.c.Load().ResumeExport(ctx, jobID, req, o)
}

func (b *clientBox) ReconcileExport(ctx context.Context, since time.Time, req clari.ExportRequest, o clari.RunOptions) clari.RunResult {
	return b.c.Load().ReconcileExport(ctx, since, req, o)
}

// newClient builds a Clari client from the clari section of the config
// and its resolved key.
func newClient(c *config.Config, instr clari.Instrumentation, logger log.Logger) (*clari.Client, error) {
	o := c.ClientOptions()
	o.UserAgentVersion = version.Version
	o.Instrumentation = instr
	o.Logger = logger
	return clari.New(o)
}

// sameClient reports whether two configs build the same client.
func sameClient(x, y *config.Config) bool {
	a, b := x.Clari, y.Clari
	return a.BaseURL == b.BaseURL && x.Secrets.APIKey == y.Secrets.APIKey && a.RequestTimeout == b.RequestTimeout &&
		a.Retry == b.Retry && a.Breaker == b.Breaker && a.Pacing == b.Pacing
}

// healthComponent applies the probe's timing live.
type healthComponent struct{ a *App }

func (healthComponent) Name() string { return "clari health" }
func (healthComponent) Reloads() Reloads {
	return Reloads{Live: []string{"clari.probe_interval", "clari.request_timeout"}}
}
func (h healthComponent) ApplyConfig(c *config.Config) error {
	h.a.health.SetTiming(time.Duration(c.Clari.ProbeInterval), time.Duration(c.Clari.RequestTimeout))
	return nil
}

// runnerComponent: the runner reads the config in force at every tick.
type runnerComponent struct{}

func (runnerComponent) Name() string { return "runner" }
func (runnerComponent) Reloads() Reloads {
	return Reloads{Live: []string{"forecasts", "fiscal_calendar", "schedule", "swing", "metrics.empty_export_is_failure",
		"clari.poll_interval", "clari.poll_timeout", "clari.max_requeues", "clari.create_search_margin"}}
}
func (runnerComponent) ApplyConfig(*config.Config) error { return nil }

// readinessComponent: the audit reads the config in force at every run.
type readinessComponent struct{}

func (readinessComponent) Name() string { return "readiness" }
func (readinessComponent) Reloads() Reloads {
	return Reloads{Live: []string{"clari.environment", "clari.rotated_at", "clari.rotation_policy"}}
}
func (readinessComponent) ApplyConfig(*config.Config) error { return nil }

// collectorComponent applies what /metrics shows.
type collectorComponent struct{ a *App }

func (collectorComponent) Name() string { return "collector" }
func (collectorComponent) Reloads() Reloads {
	return Reloads{Live: []string{"metrics.expose_forecast_values", "forecasts", "clari.rotated_at", "clari.rotation_policy"}}
}
func (c collectorComponent) ApplyConfig(cfg *config.Config) error {
	c.a.metrics.Export.SetExposeForecastValues(cfg.Metrics.ExposeForecastValues)
	c.a.durations.SetForecasts(forecastIDs(cfg))
	return nil
}

// watchComponent: the pipeline watch reads the config in force at every poll.
type watchComponent struct{}

func (watchComponent) Name() string { return "pipeline watch" }
func (watchComponent) Reloads() Reloads {
	return Reloads{Live: []string{"watch", "fiscal_calendar"}}
}
func (watchComponent) ApplyConfig(*config.Config) error { return nil }

// watchAPI is what the pipeline watch calls: the current client for the job
// list and results, the health monitor's reading for /admin/limits.
type watchAPI struct {
	client *clientBox
	limits func(context.Context) (clari.Limits, error)
}

func (w watchAPI) Limits(ctx context.Context) (clari.Limits, error) { return w.limits(ctx) }
func (w watchAPI) StreamJobs(ctx context.Context, fn func(*clari.Job) error) error {
	return w.client.c.Load().StreamJobs(ctx, fn)
}
func (w watchAPI) Results(ctx context.Context, jobID string, format clari.ExportFormat, v clari.Visitor) error {
	return w.client.c.Load().Results(ctx, jobID, format, v)
}

// expectedRows feeds the warehouse reconciliation: the runner's own exports,
// and for targets the exporter does not export itself the newest inspected
// pipeline export (where both exist, the exporter's own export wins: it is
// the one made with the configured types, scope and currency).
type expectedRows struct {
	config func() *config.Config // in force, with the calendar in use
	runner *runner.Runner
	watch  *watch.Watcher
}

func (e expectedRows) input() warehouse.CheckInput {
	now := time.Now()
	in := warehouse.CheckInput{Now: now, CurrentPeriod: currentPeriod(e.config(), now)}
	own := e.runner.LatestExpected()
	for k, rows := range own {
		in.Expected = append(in.Expected, warehouse.Expected{Forecast: k[0], Period: k[1], Rows: rows})
	}
	for _, t := range e.watch.State().Targets {
		if _, exported := own[[2]string{t.Forecast, t.Period}]; !exported && t.Inspected && t.Forecast != watch.Unknown {
			in.Expected = append(in.Expected, warehouse.Expected{Forecast: t.Forecast, Period: t.Period, Rows: t.Rows})
		}
	}
	sort.Slice(in.Expected, func(i, j int) bool {
		a, b := in.Expected[i], in.Expected[j]
		return a.Forecast < b.Forecast || a.Forecast == b.Forecast && a.Period < b.Period
	})
	return in
}
