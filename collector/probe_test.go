package collector

import (
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

// sampleProbe is a successful reading: 250 ms, at t0 + 250 ms.
var sampleProbe = testProbe{done: true, ok: true, ended: t0.Add(250 * time.Millisecond), took: 250 * time.Millisecond,
	quota: [4]int{640, 1000, 2, 3}}

func probeOf(p testProbe) func() ProbeState { return func() ProbeState { return p } }

func TestProbeGoldenNeverSucceededFailed(t *testing.T) {
	compareGolden(t, NewProbeCollector(probeOf(testProbe{})), "probe_never") // no probe yet: clari_up 0 and nothing else
	compareGolden(t, NewProbeCollector(probeOf(sampleProbe)), "probe_ok")
	failed := testProbe{done: true, ended: t0.Add(time.Minute + 500*time.Millisecond), took: 250 * time.Millisecond}
	compareGolden(t, NewProbeCollector(probeOf(failed)), "probe_failed") // clari_up 0, no stale quota values
}

func TestProbeLint(t *testing.T) {
	lintClean(t, NewProbeCollector(probeOf(sampleProbe)))
}

func TestProbeWithoutReadingReportsDown(t *testing.T) {
	for name, p := range map[string]*ProbeCollector{
		"nil source":  NewProbeCollector(nil),
		"nil reading": NewProbeCollector(func() ProbeState { return nil }),
	} {
		if got := testutil.ToFloat64(nameFilter{p, "clari_up"}); got != 0 {
			t.Errorf("%s: clari_up = %v, want 0", name, got)
		}
	}
}
