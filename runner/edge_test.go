package runner_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/clari-exporter/clari_exporter/clari"
	"github.com/clari-exporter/clari_exporter/clari/clarisim"
	"github.com/clari-exporter/clari_exporter/config"
	"github.com/clari-exporter/clari_exporter/runner"
)

// TestCreateRefusedByBreakerIsSkip: the limits call fails with a 5xx (not
// a breaker refusal, so the export goes ahead), which opens the breaker;
// the create is then refused without reaching Clari. Nothing ran and
// nothing was spent: that is a circuit_open skip, not an api_error
// failure (clari.ErrBreakerOpen's contract).
func TestCreateRefusedByBreakerIsSkip(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	must(t, e.sim.AddFault(clarisim.Fault{Kind: clarisim.FaultServerError, Endpoint: clari.EndpointLimits, Count: 1}))
	c, err := clari.New(clari.Options{BaseURL: e.srv.URL, APIKey: testKey, RequestTimeout: 2 * time.Second,
		Breaker: clari.BreakerOptions{Enabled: true, ConsecutiveFailures: 1, OpenTimeout: time.Minute}})
	must(t, err)
	es := runUntil(t, e.runner(func(o *runner.Options) { o.API = c }), "both targets skipped", allSkipped(runner.SkipCircuitOpen))
	checkOnlySkips(t, es, runner.SkipCircuitOpen)
	if st := e.sim.Stats(); st.CreateCalls != 0 || st.JobsCreated != 0 {
		t.Errorf("create calls %d, jobs %d; want none", st.CreateCalls, st.JobsCreated)
	}
}

// shutdownAPI is an ExportAPI whose job is created just as the process is
// told to stop: ctx is cancelled between the create and the persist.
type shutdownAPI struct {
	cancel  context.CancelFunc
	created atomic.Int32
}

func (a *shutdownAPI) Limits(context.Context) (clari.Limits, error) {
	return clari.Limits{ConcurrentLimit: 3, AvailableConcurrentLimit: 3, MonthlyQuota: 1000, AvailableMonthlyQuota: 1000}, nil
}

func (a *shutdownAPI) RunExport(ctx context.Context, req clari.ExportRequest, o clari.RunOptions) clari.RunResult {
	if a.created.Add(1) > 1 {
		return clari.RunResult{Outcome: clari.OutcomeAPIError, Err: context.Canceled}
	}
	a.cancel()
	if err := o.Persist("job-at-shutdown"); err != nil {
		// The real client cancels the job here: quota spent for nothing.
		return clari.RunResult{JobID: "job-at-shutdown", Outcome: clari.OutcomeAPIError, Err: err}
	}
	return clari.RunResult{JobID: "job-at-shutdown", Outcome: clari.OutcomeAPIError, Err: ctx.Err()}
}

func (a *shutdownAPI) ResumeExport(context.Context, string, clari.ExportRequest, clari.RunOptions) clari.RunResult {
	return clari.RunResult{Outcome: clari.OutcomeAPIError, Err: context.Canceled}
}

func (a *shutdownAPI) ReconcileExport(context.Context, time.Time, clari.ExportRequest, clari.RunOptions) clari.RunResult {
	return clari.RunResult{Outcome: clari.OutcomeAPIError, Err: context.Canceled}
}

// TestJobCreatedAtShutdownIsPersisted: a job created while the runner is
// being stopped is still persisted, so the next start resumes it instead
// of it being cancelled (its quota is spent either way).
func TestJobCreatedAtShutdownIsPersisted(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{forecasts: []string{"net_arr"}})
	ctx, cancel := context.WithCancel(context.Background())
	api := &shutdownAPI{cancel: cancel}
	r := e.runner(func(o *runner.Options) { o.API = api })
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	select {
	case err := <-done:
		must(t, err)
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not stop")
	}
	inflight, err := e.store.InFlight(context.Background())
	if err != nil || len(inflight) != 1 || inflight[0].JobID != "job-at-shutdown" {
		t.Fatalf("in flight %+v (err %v), want the job created at shutdown", inflight, err)
	}
	if ts := target(t, r.ExportState(), "net_arr"); ts.Runs != 0 || sum(ts.Failures) != 0 {
		t.Errorf("state %+v, want no run and no failure", ts)
	}
}

// TestGeneration: the collector reuses the metrics of an unchanged
// generation, so it must be stable while nothing changes and change with
// a finished run, a coverage change caused by the clock alone, and a
// reload.
func TestGeneration(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{config: everyMinute, scenario: scenarioInstant()})
	r := e.runner(nil)
	must(t, r.Load(context.Background()))
	g0 := r.ExportState().Generation
	if g0 == 0 || r.ExportState().Generation != g0 {
		t.Fatalf("generation %d then %d: want a stable non-zero value", g0, r.ExportState().Generation)
	}
	es := runUntil(t, r, "both ran", allRan(1))
	g1 := es.Generation
	if g1 == g0 || r.ExportState().Generation != g1 {
		t.Fatalf("generation %d before the runs, %d after, then %d: want a new, stable value", g0, g1, r.ExportState().Generation)
	}
	e.clock.Advance(3 * time.Minute) // past the 2 min max age: coverage changes
	es = r.ExportState()
	if es.CoverageMissing["net_arr"] != 1 || es.Generation == g1 {
		t.Fatalf("after the max age: coverage %v generation %d (was %d): want missing coverage and a new generation",
			es.CoverageMissing, es.Generation, g1)
	}
	g2 := es.Generation
	e.setConfig(func(c *config.Config) { c.Metrics.ExposeForecastValues = false })
	if g3 := r.ExportState().Generation; g3 == g2 {
		t.Errorf("generation unchanged (%d) after a config reload", g3)
	}
}

// TestUnauthorisedKeyFailsAsAPIError: a limits call that fails for another
// reason than the breaker does not skip; the export then fails with
// api_error (which pages), and no job is created.
func TestUnauthorisedKeyFailsAsAPIError(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	c, err := clari.New(clari.Options{BaseURL: e.srv.URL, APIKey: "wrong-key", RequestTimeout: 2 * time.Second})
	must(t, err)
	es := runUntil(t, e.runner(func(o *runner.Options) { o.API = c }), "both ran", allRan(1))
	for _, ts := range es.Targets {
		if ts.Failures["api_error"] != 1 || sum(ts.Failures) != 1 || sum(ts.Skips) != 0 {
			t.Errorf("%s: failures %v skips %v, want one api_error", ts.Forecast, ts.Failures, ts.Skips)
		}
	}
	if st := e.sim.Stats(); st.JobsCreated != 0 || st.Unauthorized == 0 {
		t.Errorf("jobs %d, 401s %d; want no job and the key refused", st.JobsCreated, st.Unauthorized)
	}
}

// TestReloadChangesTargets: a forecast added by a reload is exported at a
// following tick; one removed leaves ExportState (its history stays in the
// store).
func TestReloadChangesTargets(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{forecasts: []string{"net_arr"}, scenario: scenarioInstant()})
	r := e.runner(nil)
	runUntil(t, r, "net_arr ran", allRan(1))
	e.setConfig(func(c *config.Config) {
		f := config.DefaultForecast("bookings")
		f.HistoricalQuarters = 0
		c.Forecasts = []config.Forecast{f}
	})
	es := runUntil(t, r, "bookings ran", allRan(1))
	if len(es.Targets) != 1 || es.Targets[0].Forecast != "bookings" || !es.Targets[0].LastRunSuccess {
		t.Errorf("targets %+v, want only a successful bookings", es.Targets)
	}
	if _, ok := es.CoverageMissing["net_arr"]; ok || len(es.CoverageMissing) != 1 {
		t.Errorf("CoverageMissing %v, want only bookings", es.CoverageMissing)
	}
	if n := len(jobsOf(e.sim, "net_arr")); n != 1 {
		t.Errorf("net_arr exported %d times, want 1 (removed by the reload)", n)
	}
}
