package watch

import (
	"math"
	"testing"
	"time"

	"github.com/clari-exporter/clari_exporter/clari"
	"github.com/clari-exporter/clari_exporter/clari/clarisim"
)

// TestZeroQuotaTwoMinutesOfPipeline runs the watch in zero-quota mode
// against two simulated minutes of a production pipeline (polling every 10
// simulated seconds), beside a long history that must seed but not count.
func TestZeroQuotaTwoMinutesOfPipeline(t *testing.T) {
	e := newEnv(t, clarisim.Scenario{})
	f0, f1 := e.sim.Tenant().Forecasts[0], e.sim.Tenant().Forecasts[1]
	period := clarisim.QuarterOf(e.start, e.sim.Tenant().FiscalStartMonth).ID()
	e.sim.AddJobHistory(2000, e.start.Add(-400*24*time.Hour), e.start.Add(-31*24*time.Hour))
	e.sim.AddJobHistory(40, e.start.Add(-5*24*time.Hour), e.start.Add(-time.Hour))
	plan := []clarisim.PipelineJob{
		{At: 0, Forecast: f0, Duration: 20 * time.Second},
		{At: 10 * time.Second, Forecast: f0, Final: clari.StatusFailed, Duration: 16 * time.Second},
		{At: 20 * time.Second, Forecast: f0, Final: clari.StatusAborted, Duration: 24 * time.Second},
		{At: 30 * time.Second, Forecast: f0, Final: clari.StatusCancelled, Duration: 12 * time.Second},
		{At: 40 * time.Second, Forecast: f0, Empty: true},
		{At: 50 * time.Second, Forecast: f1, Ratio: 1},
		{At: 70 * time.Second, Forecast: f1, Ratio: 1.3},
		{At: 80 * time.Second, Forecast: f0, Final: clarisim.NeverFinish},
		{At: 90 * time.Second, Forecast: f1, Ratio: 1.3, Undownloaded: true},
		{At: 100 * time.Second, Forecast: f0, Duration: 8 * time.Second},
		{At: 110 * time.Second, Forecast: f0, Final: clari.StatusFailed, Duration: 4 * time.Second},
		{At: 115 * time.Second, Forecast: f1, Ratio: 1.3, Format: clari.FormatCSV},
	}
	if err := e.sim.StartPipeline(e.start, plan); err != nil {
		t.Fatal(err)
	}
	w := e.watcher()
	var swingSeen bool
	for e.clk.Now().Before(e.start.Add(4 * time.Minute)) {
		poll(t, w)
		st := w.State()
		for _, tg := range st.Targets {
			if tg.Forecast == f1 && tg.Period == period {
				for _, sw := range tg.Swings {
					if sw.Anomalous && math.Abs(sw.Ratio-0.3) < 0.01 {
						swingSeen = true
					}
				}
			}
		}
		e.clk.Advance(10 * time.Second)
	}
	st := w.State()
	if s := e.sim.Stats(); s.CreateCalls != 0 || s.JobsCreated != 0 {
		t.Fatalf("zero-quota mode created exports: %+v", s)
	}
	counts, durs := pipelineCounts(e.sim, e.start)
	if counts[f0][StatusDone] != 3 || counts[f0][StatusFailed] != 2 || counts[f1][StatusDone] != 4 {
		t.Fatalf("simulator tally unexpected (plan changed?): %v", counts)
	}
	for _, f := range []string{f0, f1} {
		tg := target(t, st, f, period)
		for _, s := range Statuses {
			if got, want := tg.Jobs[s], counts[f][s]; got != want {
				t.Errorf("%s %s: %d jobs, simulator says %d", f, s, got, want)
			}
		}
		h := forecastOf(t, st, f).Duration
		var n uint64
		for _, c := range counts[f] {
			n += c
		}
		if h.Count != n || math.Abs(h.Sum-durs[f]) > 1e-6 {
			t.Errorf("%s durations: %d observed summing %gs, simulator: %d summing %gs", f, h.Count, h.Sum, n, durs[f])
		}
	}
	if fc := forecastOf(t, st, f0); fc.Stuck != 1 || fc.Running != 1 || fc.Undownloaded != 0 {
		t.Errorf("%s: running %d, stuck %d, undownloaded %d; want 1, 1, 0", f0, fc.Running, fc.Stuck, fc.Undownloaded)
	}
	if fc := forecastOf(t, st, f1); fc.Stuck != 0 || fc.Undownloaded != 1 {
		t.Errorf("%s: stuck %d, undownloaded %d; want 0, 1", f1, fc.Stuck, fc.Undownloaded)
	}
	tg0 := target(t, st, f0, period)
	if tg0.CheckFailures[ReasonEmpty] != 1 || tg0.CheckFailures[ReasonDownloadError] != 0 || tg0.CheckFailures[ReasonDecodeError] != 0 || tg0.CheckFailures[ReasonPeriodMismatch] != 0 {
		t.Errorf("%s check failures %v, want exactly one empty", f0, tg0.CheckFailures)
	}
	if !tg0.LastJobKnown || tg0.LastJobSuccess {
		t.Errorf("%s: the newest terminal job FAILED, last_job_success known=%v success=%v", f0, tg0.LastJobKnown, tg0.LastJobSuccess)
	}
	if !swingSeen {
		t.Errorf("the +30%% swing of %s was never reported anomalous", f1)
	}
	// f1's newest export is CSV: its rows are put in periods by the fiscal
	// calendar, so a clean export shows no failure of any kind.
	if tg1 := target(t, st, f1, period); !tg1.LastJobSuccess || tg1.Rows == 0 || tg1.CheckFailures[ReasonEmpty]+tg1.CheckFailures[ReasonPeriodMismatch]+tg1.CheckFailures[ReasonDecodeError]+tg1.CheckFailures[ReasonDownloadError] != 0 {
		t.Errorf("%s: %+v", f1, tg1)
	}
	if got, ok := st.ExpectedRows(f1, period); !ok || got != target(t, st, f1, period).Rows {
		t.Errorf("expected rows %d, %v", got, ok)
	}
	if st.ListedAt.IsZero() {
		t.Error("no list success time")
	}
}
