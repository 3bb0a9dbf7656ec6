package runner_test

import (
	"context"
	"math"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/common/model"

	"github.com/clari-exporter/clari_exporter/clari"
	"github.com/clari-exporter/clari_exporter/clari/clarisim"
	"github.com/clari-exporter/clari_exporter/config"
	"github.com/clari-exporter/clari_exporter/runner"
	"github.com/clari-exporter/clari_exporter/store"
)

const (
	testKey    = "runner-test-key"
	testUsers  = 20
	testFields = 2
)

// simBase is a fixed mid-quarter instant (fiscal year starting in January:
// 2026_Q4) both the simulator and the runner clocks start from, so the
// tests do not depend on the day they run.
var simBase = time.Date(2026, time.November, 16, 12, 0, 0, 0, time.UTC)

// testClock is simBase plus the real time elapsed since the test started
// (the simulator's jobs progress on it), plus an offset the runner's clock
// can be moved forward by.
type testClock struct {
	start  time.Time
	offset atomic.Int64
}

func newTestClock() *testClock { return &testClock{start: time.Now()} }

// Sim is the simulator's clock: never shifted.
func (c *testClock) Sim() time.Time { return simBase.Add(time.Since(c.start)) }

// Now is the runner's clock: the simulator's plus the offset.
func (c *testClock) Now() time.Time {
	return c.Sim().Add(time.Duration(c.offset.Load()))
}

func (c *testClock) Advance(d time.Duration) { c.offset.Add(int64(d)) }

// env is one simulator behind an HTTP server, one store and one config.
type env struct {
	t     *testing.T
	sim   *clarisim.Sim
	srv   *httptest.Server
	store *store.SQLite
	clock *testClock

	mu  sync.Mutex
	cfg *config.Config
}

type envOptions struct {
	forecasts []string // configured forecast ids; default net_arr, bookings
	scenario  clarisim.Scenario
	tenant    func(*clarisim.TenantSpec)
	config    func(*config.Config)
	// learnCalendar leaves fiscal_calendar out (learned from Clari);
	// otherwise the config names the tenant's calendar.
	learnCalendar bool
}

func newEnv(t *testing.T, o envOptions) *env {
	t.Helper()
	clock := newTestClock()
	if o.scenario.JobDuration == 0 {
		o.scenario.JobDuration = 50 * time.Millisecond
	}
	tenant := clarisim.TenantSpec{Users: testUsers, Fields: testFields, Forecasts: []string{"net_arr", "bookings"}}
	if o.tenant != nil {
		o.tenant(&tenant)
	}
	sim := clarisim.New(clarisim.Options{APIKey: testKey, Seed: 42, Tenant: tenant, Clock: clock.Sim, Scenario: o.scenario})
	if err := sim.SetScenario(o.scenario); err != nil {
		t.Fatalf("scenario: %v", err)
	}
	srv := httptest.NewServer(sim)
	t.Cleanup(func() { sim.Close(); srv.Close() })

	st, err := store.OpenSQLite(t.TempDir()+"/s.db", nil)
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { _ = st.Close() })

	forecasts := o.forecasts
	if forecasts == nil {
		forecasts = []string{"net_arr", "bookings"}
	}
	cfg := config.Default()
	if !o.learnCalendar {
		cfg.FiscalCalendar = tenantCalendar(tenant)
	}
	for _, id := range forecasts {
		f := config.DefaultForecast(id)
		f.HistoricalQuarters = 0
		cfg.Forecasts = append(cfg.Forecasts, f)
	}
	cfg.Clari.PollInterval = model.Duration(10 * time.Millisecond)
	cfg.Clari.PollTimeout = model.Duration(300 * time.Millisecond)
	cfg.Clari.MaxRequeues = 1
	if o.config != nil {
		o.config(cfg)
	}
	cost, _ := cfg.MonthlyExportCost()
	cfg.Schedule.MonthlyBudget = max(cost, 1)
	return &env{t: t, sim: sim, srv: srv, store: st, clock: clock, cfg: cfg}
}

// tenantCalendar is the fiscal_calendar that agrees with the simulator's
// tenant (it names fiscal years by the year they end in).
func tenantCalendar(t clarisim.TenantSpec) config.FiscalCalendar {
	return config.FiscalCalendar{StartMonth: int(t.WithDefaults().FiscalStartMonth), YearLabel: config.YearLabelEnd}
}

func (e *env) config() *config.Config {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.cfg
}

// setConfig swaps the configuration the runner reads (a reload).
func (e *env) setConfig(change func(*config.Config)) {
	e.mu.Lock()
	defer e.mu.Unlock()
	c := *e.cfg
	c.Forecasts = append([]config.Forecast(nil), e.cfg.Forecasts...)
	change(&c)
	e.cfg = &c
}

// client builds a real client against the simulator: short request
// timeout, fast retries, the breaker as given (zero: disabled).
func (e *env) client(b clari.BreakerOptions) *clari.Client {
	e.t.Helper()
	c, err := clari.New(clari.Options{
		BaseURL:        e.srv.URL,
		APIKey:         testKey,
		RequestTimeout: 2 * time.Second,
		Retry: clari.RetryOptions{Enabled: true, InitialInterval: time.Millisecond,
			MaxInterval: 5 * time.Millisecond, MaxElapsedTime: 200 * time.Millisecond},
		Breaker: b,
	})
	if err != nil {
		e.t.Fatalf("clari.New: %v", err)
	}
	return c
}

// runner builds a Runner on a fresh client (no breaker) unless api is set.
func (e *env) runner(change func(*runner.Options)) *runner.Runner {
	o := runner.Options{
		API:    e.client(clari.BreakerOptions{}),
		Store:  e.store,
		Config: func() *config.File { return &e.config().File },
		Now:    e.clock.Now,
		Tick:   10 * time.Millisecond,
	}
	if change != nil {
		change(&o)
	}
	return runner.New(o)
}

// runUntil runs r until cond holds for its ExportState, then cancels it and
// waits for Run to return. It fails the test after 30 s (the slowest
// condition takes about 2 s on a loaded machine).
func runUntil(t *testing.T, r *runner.Runner, what string, cond func(*runner.State) bool) *runner.State {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	deadline := time.Now().Add(30 * time.Second)
	for !cond(r.ExportState()) {
		if time.Now().After(deadline) {
			cancel()
			<-done
			t.Fatalf("runner never reached: %s; state: %+v", what, r.ExportState())
		}
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run returned %v after cancel", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return within 5 s of its context being cancelled")
	}
	return r.ExportState()
}

// runFor runs r for d, then cancels it and waits for Run to return.
func runFor(t *testing.T, r *runner.Runner, d time.Duration) *runner.State {
	t.Helper()
	start := time.Now()
	return runUntil(t, r, "time to pass", func(*runner.State) bool { return time.Since(start) >= d })
}

// allRan is a runUntil condition: every target has n finished runs.
func allRan(n uint64) func(*runner.State) bool {
	return func(es *runner.State) bool {
		if len(es.Targets) == 0 {
			return false
		}
		for _, ts := range es.Targets {
			if ts.Runs < n {
				return false
			}
		}
		return true
	}
}

// allSkipped is a runUntil condition: every target has a skip with reason.
func allSkipped(reason string) func(*runner.State) bool {
	return func(es *runner.State) bool {
		if len(es.Targets) == 0 {
			return false
		}
		for _, ts := range es.Targets {
			if ts.Skips[reason] < 1 {
				return false
			}
		}
		return true
	}
}

// target returns the state of forecast's current-quarter target (the
// first one listed for it).
func target(t *testing.T, es *runner.State, forecast string) runner.Target {
	t.Helper()
	for _, ts := range es.Targets {
		if ts.Forecast == forecast {
			return ts
		}
	}
	t.Fatalf("no target for forecast %s in %+v", forecast, es.Targets)
	return runner.Target{}
}

func targetPeriod(t *testing.T, es *runner.State, forecast, period string) runner.Target {
	t.Helper()
	for _, ts := range es.Targets {
		if ts.Forecast == forecast && ts.Period == period {
			return ts
		}
	}
	t.Fatalf("no target %s/%s in %+v", forecast, period, es.Targets)
	return runner.Target{}
}

func sum(m map[string]uint64) uint64 {
	var s uint64
	for _, v := range m {
		s += v
	}
	return s
}

// jobsOf lists the simulator's jobs created for forecast, in order.
func jobsOf(sim *clarisim.Sim, forecast string) []clarisim.JobInfo {
	var out []clarisim.JobInfo
	for _, j := range sim.Jobs() {
		if !j.Foreign && j.ForecastID == forecast {
			out = append(out, j)
		}
	}
	return out
}

func near(a, b, tol float64) bool { return math.Abs(a-b) <= tol }
