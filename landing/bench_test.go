package landing

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/go-kit/log"
	"github.com/go-kit/log/level"

	"github.com/clari-exporter/clari_exporter/config"
	"github.com/clari-exporter/clari_exporter/runlog"
	"github.com/clari-exporter/clari_exporter/store"
)

// BenchmarkPage renders / for 20 forecasts × (current + 4 historical)
// targets, each with RecentRuns runs (every tenth failed, its lines in the
// history): the page's cost per view on a large config.
func BenchmarkPage(b *testing.B) {
	var yml string
	for i := range 20 {
		yml += fmt.Sprintf("  - id: forecast_%02d\n    historical_quarters: 4\n", i)
	}
	cfg, err := config.Parse([]byte("clari:\n  api_key: k-bench\nforecasts:\n"+yml+"schedule:\n  monthly_budget: 100000000\n"), "bench.yml")
	if err != nil {
		b.Fatal(err)
	}
	clock := now.Add(-100 * time.Hour)
	logs := runlog.New(runlog.Options{Now: func() time.Time { return clock }})
	logger := logs.Logger(log.NewNopLogger())
	runs := &fakeRuns{runs: map[[2]string][]store.Run{}}
	for _, t := range cfg.Targets(now) {
		k := [2]string{t.Forecast, t.Period}
		for i := range RecentRuns {
			end := now.Add(-time.Duration(i) * time.Hour)
			r := store.Run{Forecast: t.Forecast, Period: t.Period, JobID: fmt.Sprintf("%s-%s-%d", t.Forecast, t.Period, i),
				Outcome: store.OutcomeDone, StartedAt: end.Add(-time.Minute), FinishedAt: end, Duration: time.Minute, Rows: 1000 + i}
			if i%10 == 0 {
				r.Outcome = "api_error"
				clock = end.Add(-time.Second)
				level.Error(logger).Log("msg", "export failed", "forecast", t.Forecast, "period", t.Period, "err", "503")
			}
			runs.runs[k] = append(runs.runs[k], r)
		}
	}
	h := New(Options{Name: "bench", Config: func() *config.File { return &cfg.File }, Runs: runs, Logs: logs, Now: func() time.Time { return now }})
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
		if rec.Code != http.StatusOK {
			b.Fatal(rec.Code)
		}
	}
}
