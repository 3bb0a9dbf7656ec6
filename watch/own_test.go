package watch

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/clari-exporter/clari_exporter/clari"
	"github.com/clari-exporter/clari_exporter/clari/clarisim"
	"github.com/clari-exporter/clari_exporter/config"
)

// forgetfulStore knows the exporter's own job ids until forget is set, as a
// store that pruned old runs.
type forgetfulStore struct {
	Store
	forget atomic.Bool
}

func (f *forgetfulStore) OwnJobIDs(ctx context.Context) (map[string]bool, error) {
	if f.forget.Load() {
		return map[string]bool{}, nil
	}
	return f.Store.OwnJobIDs(ctx)
}

// TestOwnJobsNeverCountAsThePipelines: the exporter's own jobs are left
// out, also after the store pruned the runs that named them.
func TestOwnJobsNeverCountAsThePipelines(t *testing.T) {
	e := newEnv(t, clarisim.Scenario{JobDuration: 10 * time.Second})
	f0 := e.sim.Tenant().Forecasts[0]
	ctx := context.Background()
	fs := &forgetfulStore{Store: e.st}
	w := New(Options{Clari: e.c, Store: fs, Config: func() *config.File { return &e.cfg.File }, Now: e.clk.Now})
	poll(t, w) // seeded: nothing yet
	id, err := e.c.CreateExport(ctx, clari.ExportRequest{ForecastID: f0})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.st.PutInFlight(ctx, storeInFlight(f0, id, e.clk.Now())); err != nil {
		t.Fatal(err)
	}
	poll(t, w)
	e.clk.Advance(time.Minute) // the own job is DONE now
	poll(t, w)
	fs.forget.Store(true)
	e.clk.Advance(time.Minute)
	poll(t, w)
	for _, tg := range w.State().Targets {
		for s, n := range tg.Jobs {
			if n != 0 {
				t.Fatalf("the exporter's own job counted as the pipeline's: %s/%s %s = %d", tg.Forecast, tg.Period, s, n)
			}
		}
	}
	if len(w.State().Targets) != 0 {
		t.Fatalf("targets from the exporter's own job: %+v", w.State().Targets)
	}
}
