package collector

import (
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

// With MaxWait a scrape never waits longer for a slow or hung Clari; the
// probe finishes in the background and its result serves later scrapes
// without a second probe.
func TestProbeMaxWaitDetachesSlowProbe(t *testing.T) {
	prober := &gatedProber{gate: make(chan struct{})}
	p := NewProbe(prober, ProbeOptions{Interval: time.Minute, Timeout: probeTimeout, MaxWait: 50 * time.Millisecond})
	h := newTestHandler(t, p)

	start := time.Now()
	body := scrape(t, h, "10")
	if took := time.Since(start); took > time.Second {
		t.Fatalf("scrape took %v with MaxWait 50ms and a blocked probe", took)
	}
	if !strings.Contains(body, "clari_up 0") {
		t.Errorf("while the first probe runs clari_up must be 0:\n%s", body)
	}

	close(prober.gate) // Clari answers after the scrape gave up waiting
	deadline := time.Now().Add(5 * time.Second)
	for testutil.ToFloat64(upOnly(p)) != 1 {
		if time.Now().After(deadline) {
			t.Fatal("the background probe's result never reached clari_up")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if body := scrape(t, h, "10"); !strings.Contains(body, "clari_up 1") {
		t.Errorf("the next scrape does not serve the background result:\n%s", body)
	}
	if n := prober.calls.Load(); n != 1 {
		t.Errorf("probes = %d, want 1 (the background result is reused within the interval)", n)
	}
}
