package watch

import (
	"testing"
	"time"

	"github.com/clari-exporter/clari_exporter/clari"
	"github.com/clari-exporter/clari_exporter/clari/clarisim"
)

// TestDownloadFailuresAreCheckFailures: expired results (400), a truncated
// and a malformed body each fail the check with a clear reason; nothing
// passes silently and the next good download checks fine.
func TestDownloadFailuresAreCheckFailures(t *testing.T) {
	e := newEnv(t, clarisim.Scenario{ResultsTTL: time.Minute})
	f0 := e.sim.Tenant().Forecasts[0]
	period := clarisim.QuarterOf(e.start, e.sim.Tenant().FiscalStartMonth).ID()
	if err := e.sim.StartPipeline(e.start, []clarisim.PipelineJob{
		{At: 10 * time.Second, Forecast: f0},
		{At: 6 * time.Minute, Forecast: f0},
		{At: 8 * time.Minute, Forecast: f0},
		{At: 10 * time.Minute, Forecast: f0},
	}); err != nil {
		t.Fatal(err)
	}
	w := e.watcher()
	poll(t, w) // first poll: nothing yet
	failures := func() map[string]uint64 { return target(t, w.State(), f0, period).CheckFailures }
	// The newest inspected export's check, as the landing page reads it.
	lastCheck := func(want string) {
		t.Helper()
		c := target(t, w.State(), f0, period).LastCheck
		if c.JobID == "" || c.Reason != want || c.Failed() != (want != "") {
			t.Fatalf("last check %+v, want reason %q", c, want)
		}
	}

	e.clk.Advance(5 * time.Minute) // job 1 ended at 40 s, results expired at 100 s
	poll(t, w)
	if f := failures(); f[ReasonDownloadError] != 1 || f[ReasonDecodeError] != 0 {
		t.Fatalf("expired results: %v", f)
	}
	lastCheck(ReasonDownloadError)
	if err := e.sim.AddFault(clarisim.Fault{Kind: clarisim.FaultTruncate, Endpoint: clari.EndpointResults, Bytes: 200}); err != nil {
		t.Fatal(err)
	}
	e.clk.Advance(2 * time.Minute)
	poll(t, w)
	if f := failures(); f[ReasonDownloadError] != 2 || f[ReasonDecodeError] != 0 {
		t.Fatalf("truncated results: %v", f)
	}
	if err := e.sim.AddFault(clarisim.Fault{Kind: clarisim.FaultMalformed, Endpoint: clari.EndpointResults, Bytes: 200}); err != nil {
		t.Fatal(err)
	}
	e.clk.Advance(2 * time.Minute)
	poll(t, w)
	if f := failures(); f[ReasonDownloadError] != 2 || f[ReasonDecodeError] != 1 {
		t.Fatalf("malformed results: %v", f)
	}
	lastCheck(ReasonDecodeError)
	e.clk.Advance(2 * time.Minute)
	poll(t, w)
	tg := target(t, w.State(), f0, period)
	if f := tg.CheckFailures; f[ReasonDownloadError] != 2 || f[ReasonDecodeError] != 1 || f[ReasonEmpty] != 0 {
		t.Fatalf("good results: %v", f)
	}
	if !tg.Inspected || tg.Rows == 0 || tg.Jobs[StatusDone] != 4 {
		t.Fatalf("after a good download: %+v", tg)
	}
	lastCheck("")
}

// TestExpiredHistorySetsNoBaseline: at the first poll, the newest DONE job
// of a target whose results Clari has already expired cannot be a
// baseline: it is not downloaded and the target shows no failed check
// (a month-old history job is not a pipeline failure).
func TestExpiredHistorySetsNoBaseline(t *testing.T) {
	e := newEnv(t, clarisim.Scenario{ResultsTTL: time.Minute})
	f0 := e.sim.Tenant().Forecasts[0]
	period := clarisim.QuarterOf(e.start, e.sim.Tenant().FiscalStartMonth).ID()
	if err := e.sim.StartPipeline(e.start, []clarisim.PipelineJob{{At: 10 * time.Second, Forecast: f0}}); err != nil {
		t.Fatal(err)
	}
	e.clk.Advance(5 * time.Minute) // the job ended at 40 s, its results expired at 100 s
	w := e.watcher()
	poll(t, w)
	tg := target(t, w.State(), f0, period)
	if tg.LastCheck.JobID != "" || tg.LastCheck.Failed() || tg.Inspected {
		t.Fatalf("an expired history job was inspected: last check %+v, inspected %v", tg.LastCheck, tg.Inspected)
	}
	if n := e.sim.Stats().Requests[clari.EndpointResults]; n != 0 {
		t.Fatalf("%d result requests for expired results, want none", n)
	}
}

// TestTruncatedJobsFailTheirCheck: a DONE pipeline job whose record says
// rowsTruncated or cellsTruncated (a boolean or a count) fails its check
// as truncated, is not downloaded, and leaves the previous good export's
// figures and swing baseline as they were.
func TestTruncatedJobsFailTheirCheck(t *testing.T) {
	e := newEnv(t, clarisim.Scenario{})
	f0 := e.sim.Tenant().Forecasts[0]
	period := clarisim.QuarterOf(e.start, e.sim.Tenant().FiscalStartMonth).ID()
	if err := e.sim.StartPipeline(e.start, []clarisim.PipelineJob{
		{At: 10 * time.Second, Forecast: f0},
		{At: 2 * time.Minute, Forecast: f0, Ratio: 1.5, Truncation: clarisim.JobTruncation{Rows: true}},
		{At: 4 * time.Minute, Forecast: f0, Ratio: 1.5, Truncation: clarisim.JobTruncation{Cells: true, AsCount: true}},
		{At: 6 * time.Minute, Forecast: f0},
	}); err != nil {
		t.Fatal(err)
	}
	w := e.watcher()
	poll(t, w)
	e.clk.Advance(time.Minute)
	poll(t, w)
	good := target(t, w.State(), f0, period)
	if !good.Inspected || good.Rows == 0 || good.LastCheck.Failed() {
		t.Fatalf("first export: %+v", good)
	}
	downloads := e.sim.Stats().ResultsServed
	for i, step := range []string{"rowsTruncated", "cellsTruncated as a count"} {
		e.clk.Advance(2 * time.Minute)
		poll(t, w)
		tg := target(t, w.State(), f0, period)
		if tg.CheckFailures[ReasonTruncated] != uint64(i+1) || tg.LastCheck.Reason != ReasonTruncated {
			t.Fatalf("%s: check failures %v, last check %+v; want truncated", step, tg.CheckFailures, tg.LastCheck)
		}
		// Its document holds half the users: figures from it would differ.
		if tg.Rows != good.Rows || len(tg.Swings) != 0 {
			t.Fatalf("%s: rows %d, swings %+v: the truncated export replaced the good one's figures (%d rows)",
				step, tg.Rows, tg.Swings, good.Rows)
		}
	}
	if got := e.sim.Stats().ResultsServed; got != downloads {
		t.Errorf("%d downloads of truncated results; a truncated document is never read", got-downloads)
	}
	e.clk.Advance(2 * time.Minute)
	poll(t, w)
	if tg := target(t, w.State(), f0, period); tg.LastCheck.Failed() || tg.CheckFailures[ReasonTruncated] != 2 || tg.Rows != good.Rows {
		t.Fatalf("the next whole export: %+v", tg)
	}
}
