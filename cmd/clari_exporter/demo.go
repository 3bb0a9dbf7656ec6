package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/go-kit/log"
	"github.com/go-kit/log/level"
	"github.com/prometheus/common/model"

	"github.com/clari-exporter/clari_exporter/clari"
	"github.com/clari-exporter/clari_exporter/clari/clarisim"
	"github.com/clari-exporter/clari_exporter/config"
	"github.com/clari-exporter/clari_exporter/runner"
)

// demoTiming sets the pace of --demo. The real demo shows every failure mode
// within a minute; tests run the same script faster.
type demoTiming struct {
	jobDuration time.Duration
	// pipelineUnit paces the production pipeline beside the exporter and
	// the watch (demoPipelinePlan): its story needs the watch's first poll
	// before the swung job ends, 11 units after the start.
	pipelineUnit       time.Duration
	pollInterval       time.Duration
	pollTimeout        time.Duration
	currentInterval    time.Duration
	historicalInterval time.Duration
	probeInterval      time.Duration
	warehouseInterval  time.Duration
	tick               time.Duration
	users              int // tenant size: the sink's load time grows with it
}

var defaultDemoTiming = demoTiming{
	jobDuration:        2 * time.Second,
	pipelineUnit:       2 * time.Second,
	pollInterval:       500 * time.Millisecond,
	pollTimeout:        6 * time.Second,
	currentInterval:    20 * time.Second,
	historicalInterval: 60 * time.Second,
	probeInterval:      10 * time.Second,
	warehouseInterval:  10 * time.Second,
	tick:               500 * time.Millisecond,
	users:              200,
}

// The demo tenant's forecast tabs: net_arr covers two historical quarters
// (one of which exports empty), bookings exports CSV, renewals is the one
// whose totals swing.
const (
	demoNetARR   = "net_arr"
	demoBookings = "bookings"
	demoRenewals = "renewals"
	demoKey      = "demo-not-a-real-clari-key"
)

// demoEnv is the in-process simulator and the config pointing at it.
type demoEnv struct {
	sim     *clarisim.Sim
	simURL  string
	server  *http.Server
	dir     string
	cfg     *config.Config
	timing  demoTiming
	whPath  string
	emptyAt string // the period that exports empty
	driftAt string // the period whose warehouse rows go missing
	// auditConfig is the demo's configuration written as a file, to audit
	// the running demo with `check` (writeAuditConfig).
	auditConfig string
}

// startDemo starts the simulator on a loopback port and builds a config for
// it at pace t: fast schedule, SQLite state and warehouse in a temporary
// directory.
func startDemo(ctx context.Context, t demoTiming, logger log.Logger) (*demoEnv, error) {
	dir, err := os.MkdirTemp("", "clari-exporter-demo-")
	if err != nil {
		return nil, err
	}
	d := &demoEnv{dir: dir, timing: t, whPath: filepath.Join(dir, "warehouse.db")}
	d.sim = clarisim.New(clarisim.Options{
		APIKey: demoKey,
		Seed:   42,
		Tenant: clarisim.TenantSpec{Users: t.users, Fields: 4, Quarters: 4,
			Forecasts: []string{demoNetARR, demoBookings, demoRenewals, demoPipelineForecast}}.WithFebruaryYear(),
		Scenario: clarisim.Scenario{
			JobDuration: t.jobDuration, MonthlyQuota: demoMonthlyQuota, QuotaWindow: time.Hour,
			DuplicateEvery: 50, AuditEvents: 25,
		},
		Logger: log.With(logger, "component", "clarisim"),
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	d.simURL = "http://" + ln.Addr().String()
	d.server = &http.Server{Handler: d.sim, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = d.server.Serve(ln) }()

	d.cfg, err = d.config()
	if err == nil {
		err = d.startDemoPipeline(time.Now())
	}
	if err != nil {
		d.Close()
		return nil, err
	}
	if d.auditConfig, err = d.writeAuditConfig(); err != nil {
		d.Close()
		return nil, err
	}
	level.Warn(logger).Log("msg", "DEMO MODE: exporting from the built-in Clari simulator, not Clari", "simulator", d.simURL, "state", dir,
		"audit", "clari_exporter check --config.file="+d.auditConfig)
	return d, nil
}

func (d *demoEnv) config() (*config.Config, error) {
	t := d.timing
	cfg := config.Default()
	cfg.Source = "--demo"
	cfg.Clari.BaseURL = d.simURL
	cfg.Secrets.APIKey = demoKey
	cfg.Secrets.KeyRotatedAt = float64(time.Now().Add(-30 * 24 * time.Hour).Unix())
	cfg.Clari.Environment = "demo"
	cfg.Clari.PollInterval = model.Duration(t.pollInterval)
	cfg.Clari.PollTimeout = model.Duration(t.pollTimeout)
	cfg.Clari.ProbeInterval = model.Duration(t.probeInterval)
	cfg.Clari.RequestTimeout = model.Duration(5 * time.Second)
	cfg.Clari.Retry.InitialInterval = model.Duration(200 * time.Millisecond)
	cfg.Clari.Retry.MaxElapsedTime = model.Duration(20 * time.Second)
	cfg.Clari.Pacing = config.Pacing{RequestsPerSecond: 50, Burst: 20}
	cfg.FiscalCalendar = config.FiscalCalendar{StartMonth: 2, YearLabel: config.YearLabelEnd}

	netARR := config.DefaultForecast(demoNetARR)
	netARR.TypesToExport = []string{clari.DataForecast, clari.DataQuota, clari.DataCRMClosed}
	netARR.IncludeHistorical = true
	netARR.HistoricalQuarters = 2
	bookings := config.DefaultForecast(demoBookings)
	bookings.TypesToExport = []string{clari.DataForecast, clari.DataQuota}
	bookings.HistoricalQuarters = 1
	bookings.ExportFormat = string(clari.FormatCSV)
	renewals := config.DefaultForecast(demoRenewals)
	renewals.TypesToExport = []string{clari.DataForecast, clari.DataQuota}
	renewals.HistoricalQuarters = 0
	cfg.Forecasts = []config.Forecast{netARR, bookings, renewals}

	cfg.Schedule.CurrentInterval = model.Duration(t.currentInterval)
	cfg.Schedule.HistoricalInterval = model.Duration(t.historicalInterval)
	cfg.Schedule.QuotaReserve = 100
	cost, _ := cfg.MonthlyExportCost()
	cfg.Schedule.MonthlyBudget = cost // an accelerated schedule: the simulator's quota window is 1h
	cfg.Swing.MinBaseline = 1000
	// The simulator's totals are made up, not revenue: the demo shows
	// clari_forecast_value (off by default) so its dashboards have data.
	cfg.Metrics.ExposeForecastValues = true
	cfg.Storage.Path = filepath.Join(d.dir, "state.db")
	demoWatch(cfg, t)

	wh := config.DefaultWarehouse()
	wh.Driver = config.DriverSQLite
	wh.DSN = config.Secret(d.whPath)
	cfg.Secrets.WarehouseDSN = wh.DSN
	wh.Sink = true
	wh.CheckInterval = model.Duration(t.warehouseInterval)
	cfg.Warehouse = &wh

	now := time.Now()
	periods := cfg.FiscalCalendar.Recent(now, 2)
	d.driftAt = periods[1].Label()
	d.emptyAt = periods[2].Label()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("demo config: %w", err)
	}
	return cfg, nil
}

// tick is the runner's scheduling resolution (0: the runner's default).
func (d *demoEnv) tick() time.Duration {
	if d == nil {
		return 0
	}
	return d.timing.tick
}

// Close stops the simulator and removes the demo's temporary state.
func (d *demoEnv) Close() {
	_ = d.server.Close()
	d.sim.Close()
	_ = os.RemoveAll(d.dir)
}

// script injects the demo's story into the simulator. At start: the first
// create gets a 429 (retried), the first bookings job fails, the first
// net_arr job never finishes (timeout, cancel, re-queue) and the oldest
// net_arr quarter exports empty. Then, driven by what the exporter has done:
// renewals' totals swing by +35% once it has a baseline, the monthly quota
// is squeezed to the reserve until an export is skipped for it, and rows of
// one quarter go missing from the warehouse (reconciliation drift).
func (d *demoEnv) script(ctx context.Context, state func() *runner.State, logger log.Logger) {
	logger = log.With(logger, "component", "demo")
	must := func(err error) {
		if err != nil {
			level.Error(logger).Log("msg", "demo script step failed", "err", err)
		}
	}
	must(d.sim.AddFault(clarisim.Fault{Kind: clarisim.FaultTooManyRequests, Endpoint: clari.EndpointCreateExport, Count: 1, RetryAfter: "1"}))
	must(d.sim.NextJobEnds(demoBookings, clari.StatusFailed))
	must(d.sim.NextJobEnds(demoNetARR, clarisim.NeverFinish))
	d.sim.SetEmpty(demoNetARR, d.emptyAt, true)

	swung, squeezed, released := false, false, false
	var lastDrift time.Time
	tick := time.NewTicker(d.timing.tick)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		for _, t := range state().Targets {
			switch {
			case !swung && t.Forecast == demoRenewals && t.HasSnapshot():
				must(d.sim.Swing(demoRenewals, 1.35))
				swung = true
				level.Info(logger).Log("msg", "demo: renewals totals will swing +35% on the next export")
			case swung && !squeezed && t.Forecast == demoRenewals && len(t.Swings) > 0:
				// Leave the production pipeline exactly its reserve: the
				// next export must be skipped.
				lim := d.sim.Limits()
				used := lim.MonthlyQuota - lim.AvailableMonthlyQuota
				must(d.sim.UpdateScenario(func(sc *clarisim.Scenario) { sc.MonthlyQuota = used + 100 }))
				squeezed = true
				level.Info(logger).Log("msg", "demo: monthly quota squeezed down to the reserve")
			case squeezed && !released && t.Skips[runner.SkipQuotaReserve] > 0:
				must(d.sim.UpdateScenario(func(sc *clarisim.Scenario) { sc.MonthlyQuota = demoMonthlyQuota }))
				released = true
				level.Info(logger).Log("msg", "demo: monthly quota restored")
			}
		}
		if time.Since(lastDrift) >= d.timing.warehouseInterval/2 {
			d.drift(ctx, logger)
			lastDrift = time.Now()
		}
	}
}

// drift deletes some warehouse rows of one quarter, as a broken load would.
// The sink reloads them with the next export; drift takes them again.
func (d *demoEnv) drift(ctx context.Context, logger log.Logger) {
	db, err := sql.Open("sqlite", d.whPath)
	if err != nil {
		return
	}
	defer db.Close()
	// The same ten users every time, so the drift stays a fixed 5%.
	args := []any{demoNetARR, d.driftAt}
	for i := range 10 {
		args = append(args, clarisim.UserID(i))
	}
	_, err = db.ExecContext(ctx, `DELETE FROM clari_forecast_entries WHERE forecast_id = ? AND time_period_id = ?
		AND user_id IN (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, args...)
	if err != nil && !errors.Is(err, context.Canceled) {
		level.Debug(logger).Log("msg", "demo drift not applied yet", "err", err)
	}
}
