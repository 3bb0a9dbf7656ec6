package collector

import (
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/clari-exporter/clari_exporter/health/probe"
)

// sampleProbe is a successful reading (the health monitor's published
// value): 250 ms, at t0 + 250 ms.
var sampleProbe = probe.Reading{Done: true, OK: true, Ended: t0.Add(250 * time.Millisecond), Took: 250 * time.Millisecond,
	Quota: probe.Quota{MonthlyAvailable: 640, MonthlyLimit: 1000, ConcurrentAvailable: 2, ConcurrentLimit: 3}}

func probeOf(r probe.Reading) func() probe.Reading { return func() probe.Reading { return r } }

func TestProbeGoldenNeverSucceededFailed(t *testing.T) {
	compareGolden(t, NewProbeCollector(probeOf(probe.Reading{})), "probe_never") // no probe yet: clari_up 0 and nothing else
	compareGolden(t, NewProbeCollector(probeOf(sampleProbe)), "probe_ok")
	failed := probe.Reading{Done: true, Ended: t0.Add(time.Minute + 500*time.Millisecond), Took: 250 * time.Millisecond}
	compareGolden(t, NewProbeCollector(probeOf(failed)), "probe_failed") // clari_up 0, no stale quota values
}

func TestProbeLint(t *testing.T) {
	lintClean(t, NewProbeCollector(probeOf(sampleProbe)))
}

func TestProbeWithoutSourceReportsDown(t *testing.T) {
	if got := testutil.ToFloat64(nameFilter{NewProbeCollector(nil), "clari_up"}); got != 0 {
		t.Errorf("nil source: clari_up = %v, want 0", got)
	}
}
