package watch

import (
	"context"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	pm "github.com/prometheus/common/model"

	"github.com/clari-exporter/clari_exporter/clari"
	"github.com/clari-exporter/clari_exporter/clari/clarisim"
	"github.com/clari-exporter/clari_exporter/config"
	"github.com/clari-exporter/clari_exporter/store"
)

const simKey = "watch-test-key"

type env struct {
	sim   *clarisim.Sim
	clk   *clarisim.Clock
	c     *clari.Client
	st    *store.SQLite
	path  string
	cfg   *config.Config
	start time.Time
}

func watchConfig() *config.Config {
	cfg := config.Default()
	cfg.Schedule.Enabled = false
	cfg.Watch.Enabled = true
	cfg.Watch.InspectPace = 0
	cfg.Watch.StuckAfter = pm.Duration(60 * time.Second)
	cfg.Watch.DownloadGrace = pm.Duration(60 * time.Second)
	return cfg
}

func newEnv(t *testing.T, sc clarisim.Scenario) *env {
	t.Helper()
	return newTenantEnv(t, sc, clarisim.TenantSpec{Users: 6})
}

func newTenantEnv(t *testing.T, sc clarisim.Scenario, tenant clarisim.TenantSpec) *env {
	t.Helper()
	clk := clarisim.NewClock(clarisim.DefaultNow)
	sim := clarisim.New(clarisim.Options{APIKey: simKey, Seed: 11, Clock: clk.Now, Scenario: sc, Tenant: tenant})
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	t.Cleanup(sim.Close)
	c, err := clari.New(clari.Options{BaseURL: srv.URL + "/v4", APIKey: simKey, RequestTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "state.db")
	st, err := store.OpenSQLite(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return &env{sim: sim, clk: clk, c: c, st: st, path: path, cfg: watchConfig(), start: clk.Now()}
}

func (e *env) watcher() *Watcher {
	return New(Options{Clari: e.c, Store: e.st, Config: func() *config.File { return &e.cfg.File }, Now: e.clk.Now,
		Sleep: func(context.Context, time.Duration) error { return nil }})
}

// reopen closes the store and opens it again (a restart).
func (e *env) reopen(t *testing.T) {
	t.Helper()
	e.st.Close()
	st, err := store.OpenSQLite(e.path, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	e.st = st
}

func poll(t *testing.T, w *Watcher) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := w.Poll(ctx); err != nil {
		t.Fatalf("poll: %v", err)
	}
}

func target(t *testing.T, st *State, forecast, period string) Target {
	t.Helper()
	for _, tg := range st.Targets {
		if tg.Forecast == forecast && tg.Period == period {
			return tg
		}
	}
	t.Fatalf("no target %s/%s in %+v", forecast, period, st.Targets)
	return Target{}
}

func forecastOf(t *testing.T, st *State, forecast string) Forecast {
	t.Helper()
	for _, f := range st.Forecasts {
		if f.Forecast == forecast {
			return f
		}
	}
	t.Fatalf("no forecast %s", forecast)
	return Forecast{}
}

// pipelineCounts is the simulator's own tally of the pipeline jobs created
// at or after since: terminal statuses and the summed endTime − startTime,
// per forecast.
func pipelineCounts(sim *clarisim.Sim, since time.Time) (map[string]map[string]uint64, map[string]float64) {
	counts := map[string]map[string]uint64{}
	durs := map[string]float64{}
	for _, j := range sim.Jobs() {
		if !j.Pipeline || j.Created.Before(since) || !j.Job.Status.Terminal() {
			continue
		}
		if counts[j.ForecastID] == nil {
			counts[j.ForecastID] = map[string]uint64{}
		}
		counts[j.ForecastID][statusLabel(j.Job.Status)]++
		durs[j.ForecastID] += float64(j.Job.EndTime-j.Job.StartTime) / 1000
	}
	return counts, durs
}

func storeInFlight(forecast, id string, at time.Time) store.InFlight {
	return store.InFlight{Forecast: forecast, Period: "2026_Q4", JobID: id, CreatedAt: at}
}
