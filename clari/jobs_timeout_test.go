package clari_test

import (
	"testing"
	"time"

	"github.com/clari-exporter/clari_exporter/clari"
	"github.com/clari-exporter/clari_exporter/clari/clarisim"
)

// A poll that pacing refuses because it would pass the job's deadline ends
// the job as a timeout (cancel, re-queue), not as an API error.
func TestPollPacedPastDeadlineIsTimeout(t *testing.T) {
	e := newEnv(t, clarisim.Scenario{FinalStatus: clarisim.NeverFinish}, func(o *clari.Options) {
		o.Pacing = clari.PacingOptions{RequestsPerSecond: 2, Burst: 1}
	})
	o := fastRun()
	o.Timeout = 300 * time.Millisecond
	o.MaxRequeues = -1
	res := e.c.RunExport(ctx(t), clari.ExportRequest{ForecastID: "net_arr"}, o)
	if res.Outcome != clari.OutcomeTimeout {
		t.Fatalf("outcome %q (err %v), want timeout", res.Outcome, res.Err)
	}
	if n := e.sim.Stats().Cancels; n != 1 {
		t.Errorf("%d cancels, want 1: a timed-out job frees its slot", n)
	}
}
