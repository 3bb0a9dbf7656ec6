package watch

import (
	"testing"
	"time"

	"github.com/clari-exporter/clari_exporter/clari"
	"github.com/clari-exporter/clari_exporter/clari/clarisim"
)

// TestRestartCountsEachJobOnce: a restart re-reads the whole list; jobs
// counted before are not counted again, and one that finished while the
// exporter was down is counted once.
func TestRestartCountsEachJobOnce(t *testing.T) {
	e := newEnv(t, clarisim.Scenario{})
	f0 := e.sim.Tenant().Forecasts[0]
	period := clarisim.QuarterOf(e.start, e.sim.Tenant().FiscalStartMonth).ID()
	e.sim.AddJobHistory(200, e.start.Add(-10*24*time.Hour), e.start.Add(-time.Hour))
	if err := e.sim.StartPipeline(e.start, []clarisim.PipelineJob{
		{At: 0, Forecast: f0},
		{At: 5 * time.Second, Forecast: f0, Final: clari.StatusFailed},
		{At: 30 * time.Second, Forecast: f0, Duration: 2 * time.Minute}, // ends while down
		{At: 3 * time.Minute, Forecast: f0},                             // created and ended while down
	}); err != nil {
		t.Fatal(err)
	}
	w := e.watcher()
	for range 10 { // 50 s
		poll(t, w)
		e.clk.Advance(5 * time.Second)
	}
	before := target(t, w.State(), f0, period).Jobs
	if before[StatusDone] != 1 || before[StatusFailed] != 1 {
		t.Fatalf("before the restart: %v", before)
	}
	e.reopen(t)
	e.clk.Advance(10 * time.Minute)
	w2 := e.watcher()
	poll(t, w2)
	poll(t, w2)
	counts, _ := pipelineCounts(e.sim, e.start)
	after := target(t, w2.State(), f0, period).Jobs
	for _, s := range Statuses {
		if after[s] != counts[f0][s] {
			t.Errorf("after the restart %s = %d, simulator %d (all: %v)", s, after[s], counts[f0][s], after)
		}
	}
	if after[StatusDone] != 3 {
		t.Errorf("done = %d, want 3 (1 before, 2 finished while down)", after[StatusDone])
	}
	if h := forecastOf(t, w2.State(), f0).Duration; h.Count != 4 {
		t.Errorf("duration observations %d, want 4 (restored, plus 2)", h.Count)
	}
}

// TestSavedDocumentGainsNewCheckReasons: a document saved before a reason
// was added (truncated, calendar_mismatch) reads back with that reason's
// counter at 0 for every target seen, so the series exists from the start;
// counts already stored are kept.
func TestSavedDocumentGainsNewCheckReasons(t *testing.T) {
	saved := `{"version":1,"seeded":true,"counted":{},"open":{},"targets":{"net_arr\u00002027_Q4":{"forecast":"net_arr","period":"2027_Q4",
		"jobs":{"done":3},"check_failures":{"empty":2,"period_mismatch":0,"decode_error":0,"download_error":1}}},"forecasts":{}}`
	d, err := decodeDoc([]byte(saved))
	if err != nil {
		t.Fatal(err)
	}
	got := d.Targets["net_arr\x002027_Q4"].CheckFailures
	for _, r := range CheckReasons {
		if _, ok := got[r]; !ok {
			t.Errorf("reason %s missing after reading an older document: %v", r, got)
		}
	}
	if got[ReasonEmpty] != 2 || got[ReasonDownloadError] != 1 || got[ReasonTruncated] != 0 {
		t.Errorf("stored counts changed: %v", got)
	}
}
