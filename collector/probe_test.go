package collector

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/clari-exporter/clari_exporter/clari"
)

// fakeProber answers /admin/limits from a script: err when set, else limits.
// It takes `took` of fake time and counts its calls.
type fakeProber struct {
	clock *fakeClock
	took  time.Duration
	calls atomic.Int32

	mu     sync.Mutex
	limits clari.Limits
	err    error
}

func (f *fakeProber) Limits(ctx context.Context) (clari.Limits, error) {
	f.calls.Add(1)
	if f.clock != nil {
		f.clock.Advance(f.took)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.limits, f.err
}

func (f *fakeProber) fail(err error) {
	f.mu.Lock()
	f.err = err
	f.mu.Unlock()
}

// hangingProber blocks until its context ends, like an API that accepts the
// connection and never answers.
type hangingProber struct {
	calls atomic.Int32
	left  atomic.Int64 // time left to the last call's ctx deadline when called, ns (0: none)
}

func (h *hangingProber) Limits(ctx context.Context) (clari.Limits, error) {
	h.calls.Add(1)
	if d, ok := ctx.Deadline(); ok {
		h.left.Store(int64(time.Until(d)))
	}
	<-ctx.Done()
	return clari.Limits{}, ctx.Err()
}

var sampleLimits = clari.Limits{ConcurrentLimit: 3, MonthlyQuota: 1000, AvailableConcurrentLimit: 2, AvailableMonthlyQuota: 640}

func TestProbeGoldenNeverSucceededFailed(t *testing.T) {
	clock := &fakeClock{t: t0}
	prober := &fakeProber{clock: clock, took: 250 * time.Millisecond, limits: sampleLimits}
	p := NewProbe(prober, ProbeOptions{Interval: time.Minute, Timeout: probeTimeout, Now: clock.Now})

	compareGolden(t, p, "probe_never") // no probe yet: clari_up 0 and nothing else

	p.Refresh(context.Background())
	compareGolden(t, p, "probe_ok")

	prober.fail(errors.New("401 Unauthorized"))
	clock.Advance(time.Minute)
	p.Refresh(context.Background())
	compareGolden(t, p, "probe_failed") // clari_up 0, no stale quota values
	if n := prober.calls.Load(); n != 2 {
		t.Errorf("prober calls = %d, want 2", n)
	}
}

func TestProbeLint(t *testing.T) {
	clock := &fakeClock{t: t0}
	p := NewProbe(&fakeProber{limits: sampleLimits}, ProbeOptions{Interval: time.Minute, Timeout: probeTimeout, Now: clock.Now})
	p.Refresh(context.Background())
	lintClean(t, p)
}

func TestProbeWithoutProberReportsDown(t *testing.T) {
	p := NewProbe(nil, ProbeOptions{})
	p.Refresh(context.Background())
	if got := testutil.ToFloat64(upOnly(p)); got != 0 {
		t.Errorf("clari_up = %v, want 0", got)
	}
}

// 50 scrapes per second, several of them concurrent, over ten simulated
// probe intervals: exactly one probe per interval.
func TestProbeRunsOncePerIntervalWhateverTheScrapeRate(t *testing.T) {
	const interval = time.Second
	clock := &fakeClock{t: t0}
	prober := &fakeProber{limits: sampleLimits}
	p := NewProbe(prober, ProbeOptions{Interval: interval, Timeout: probeTimeout, Now: clock.Now})
	h := newTestHandler(t, p)

	const scrapesPerTick = 4
	for tick := 0; tick < 500; tick++ { // 500 × 20 ms = 10 intervals
		var wg sync.WaitGroup
		for i := 0; i < scrapesPerTick; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if body := scrape(t, h, "0.5"); !strings.Contains(body, "\nclari_up 1\n") {
					t.Errorf("tick %d: scrape without clari_up 1:\n%s", tick, body)
				}
			}()
		}
		wg.Wait()
		clock.Advance(20 * time.Millisecond)
	}
	if n := prober.calls.Load(); n != 10 {
		t.Errorf("probes = %d over 10 intervals and 2000 scrapes, want 10", n)
	}
}

func TestProbeConcurrentScrapesShareOneInFlightProbe(t *testing.T) {
	gate := make(chan struct{})
	prober := &gatedProber{gate: gate}
	p := NewProbe(prober, ProbeOptions{Interval: time.Minute, Timeout: probeTimeout})

	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			p.Refresh(ctx)
			if got := testutil.ToFloat64(upOnly(p)); got != 1 {
				t.Errorf("after Refresh returned: clari_up = %v, want 1 (waiters must see the shared result)", got)
			}
		}()
	}
	time.Sleep(50 * time.Millisecond) // let the others pile up behind the first
	close(gate)
	wg.Wait()
	if n := prober.calls.Load(); n != 1 {
		t.Errorf("probes = %d for 20 concurrent scrapes, want 1", n)
	}
}

type gatedProber struct {
	gate  chan struct{}
	calls atomic.Int32
}

func (g *gatedProber) Limits(ctx context.Context) (clari.Limits, error) {
	g.calls.Add(1)
	select {
	case <-g.gate:
		return sampleLimits, nil
	case <-ctx.Done():
		return clari.Limits{}, ctx.Err()
	}
}

func TestHandlerAnswersWithinScrapeDeadlineWhenAPIHangs(t *testing.T) {
	prober := &hangingProber{}
	p := NewProbe(prober, ProbeOptions{Interval: time.Minute, Timeout: probeTimeout})
	h := newTestHandler(t, p)

	start := time.Now()
	body := scrape(t, h, "0.1")
	took := time.Since(start)
	if took > time.Second {
		t.Errorf("scrape with a 0.1 s timeout took %v against a hanging API", took)
	}
	if !strings.Contains(body, "\nclari_up 0\n") {
		t.Errorf("want clari_up 0 after a timed-out probe, got:\n%s", body)
	}
	// Read from the probe's own context, so no wall-clock margin is needed.
	if left := time.Duration(prober.left.Load()); left == 0 || left > 100*time.Millisecond {
		t.Errorf("probe called with %v left to its deadline, want within the 0.1 s scrape timeout", left)
	}

	// The failed probe is not retried before the interval: the next scrape
	// is instant and still reports the API down.
	start = time.Now()
	body = scrape(t, h, "0.1")
	if took := time.Since(start); took > time.Second {
		t.Errorf("second scrape took %v", took)
	}
	if n := prober.calls.Load(); n != 1 {
		t.Errorf("probes = %d, want 1 within the interval", n)
	}
	if !strings.Contains(body, "\nclari_up 0\n") {
		t.Errorf("second scrape: want clari_up 0, got:\n%s", body)
	}
}

// A scrape that finds a probe in flight waits for it only until its own
// deadline.
func TestHandlerWaitsForInFlightProbeOnlyUntilItsDeadline(t *testing.T) {
	prober := &hangingProber{}
	p := NewProbe(prober, ProbeOptions{Interval: time.Minute, Timeout: probeTimeout})
	h := newTestHandler(t, p)

	slow := make(chan struct{})
	go func() { defer close(slow); scrape(t, h, "2") }() // starts a probe that hangs ~1.5 s
	for prober.calls.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	start := time.Now()
	body := scrape(t, h, "0.1")
	if took := time.Since(start); took > time.Second {
		t.Errorf("waiting scrape took %v, want about its 0.1 s timeout", took)
	}
	if !strings.Contains(body, "\nclari_up 0\n") {
		t.Errorf("want clari_up 0 while the only probe hangs, got:\n%s", body)
	}
	<-slow
	if n := prober.calls.Load(); n != 1 {
		t.Errorf("probes = %d, want 1", n)
	}
}

func TestProbeDeadline(t *testing.T) {
	const offset, max = 500 * time.Millisecond, 10 * time.Second
	for _, tc := range []struct {
		header string
		want   time.Duration
	}{
		{"", max},                        // curl, browser: no header
		{"garbage", max},                 // unparsable
		{"-3", max},                      // nonsense
		{"NaN", max},                     //
		{"1e300", max},                   // would overflow a Duration
		{"10", 9500 * time.Millisecond},  // Prometheus default: timeout − offset
		{"0.1", 50 * time.Millisecond},   // offset would eat it all: half the timeout
		{"0.8", 400 * time.Millisecond},  // timeout − offset = 0.3 < half
		{"1.5", time.Second},             // timeout − offset
		{"30", max},                      // capped
		{"10.5", 10 * time.Second},       // exactly the cap
		{"0.000000002", time.Nanosecond}, // tiny but positive: half of it
	} {
		if got := ProbeDeadline(tc.header, offset, max); got != tc.want {
			t.Errorf("ProbeDeadline(%q) = %v, want %v", tc.header, got, tc.want)
		}
	}
}

func TestNewHandlerNeedsGatherer(t *testing.T) {
	if _, err := NewHandler(HandlerOptions{}); err == nil {
		t.Error("NewHandler without a Gatherer: want an error")
	}
}

// newTestHandler serves a registry holding only p.
func newTestHandler(t *testing.T, p *Probe) http.Handler {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	if err := reg.Register(p); err != nil {
		t.Fatal(err)
	}
	h, err := NewHandler(HandlerOptions{Gatherers: []prometheus.Gatherer{reg}, Probe: p})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// scrape GETs /metrics from h the way Prometheus does, with the given
// scrape timeout header ("" for none), and returns the body.
func scrape(t *testing.T, h http.Handler, timeout string) string {
	req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
	if timeout != "" {
		req.Header.Set(ScrapeTimeoutHeader, timeout)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		t.Errorf("scrape: status %d", rec.Code)
	}
	b, _ := io.ReadAll(rec.Body)
	return string(b)
}

// upOnly is clari_up of p as a single-metric collector for testutil.ToFloat64.
func upOnly(p *Probe) prometheus.Collector {
	return nameFilter{p, "clari_up"}
}
