package collector

import (
	"context"
	"sync"
	"time"

	"github.com/go-kit/log"
	"github.com/go-kit/log/level"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/clari-exporter/clari_exporter/clari"
)

// LimitsProber is the one live call a scrape may cause: GET /admin/limits.
// It costs no export quota and proves the token works. The clari client
// satisfies it.
type LimitsProber interface {
	Limits(ctx context.Context) (clari.Limits, error)
}

// ProbeOptions configures a Probe. Interval and Timeout have no defaults
// here: they come from config (clari.probe_interval, clari.request_timeout).
type ProbeOptions struct {
	// Interval is the least time between two probe starts, whatever the
	// scrape rate (config clari.probe_interval).
	Interval time.Duration
	// Timeout bounds one probe even when the caller's context has no
	// deadline (config clari.request_timeout). The scrape handler usually
	// gives a shorter one.
	Timeout time.Duration
	// Now is the clock deciding whether the cached result is fresh, timing
	// the probe and stamping clari_exporter_probe_last_timestamp_seconds.
	// Default time.Now.
	Now    func() time.Time
	Logger log.Logger
	// MaxWait, when > 0, is the longest a scrape waits for the probe; the
	// probe itself goes on in the background until its own deadline (the
	// scrape's deadline, bounded by Timeout) and its result serves the next
	// scrapes. So a hung Clari never holds /metrics for more than MaxWait.
	// 0: the scrape waits for the probe up to the scrape's deadline.
	MaxWait time.Duration
}

// Probe runs the live /admin/limits probe at most once per interval and
// exposes its cached result. Refresh is called by the scrape handler with the
// scrape's deadline; concurrent scrapes share one in-flight probe.
type Probe struct {
	prober   LimitsProber
	interval time.Duration
	timeout  time.Duration
	maxWait  time.Duration
	now      func() time.Time
	logger   log.Logger

	mu       sync.Mutex
	started  time.Time     // start of the latest probe; zero before the first
	inflight chan struct{} // non-nil while a probe runs, closed when it ends
	last     probeResult

	up, duration, timestamp, quotaAvailable, quotaLimit *prometheus.Desc
}

// probeResult is the outcome of one finished probe.
type probeResult struct {
	done     bool // false until a probe has finished
	ok       bool
	ended    time.Time
	duration time.Duration
	limits   clari.Limits
}

// NewProbe returns a probe of prober. A nil prober is allowed: the probe then
// never runs and clari_up stays 0.
func NewProbe(prober LimitsProber, opts ProbeOptions) *Probe {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = log.NewNopLogger()
	}
	const cached = " (cached: refreshed by a scrape at most once per clari.probe_interval)."
	return &Probe{
		prober:   prober,
		interval: opts.Interval,
		timeout:  opts.Timeout,
		maxWait:  opts.MaxWait,
		now:      opts.Now,
		logger:   opts.Logger,
		up: prometheus.NewDesc("clari_up",
			"1 if the last live probe of the Clari API (GET /admin/limits) succeeded, 0 if it failed, timed out or has not run yet"+cached,
			nil, nil),
		duration: prometheus.NewDesc("clari_api_probe_duration_seconds",
			"Latency of the last live probe of the Clari API"+cached,
			nil, nil),
		timestamp: prometheus.NewDesc("clari_exporter_probe_last_timestamp_seconds",
			"When the last live probe of the Clari API finished, in unix seconds; shows how old the cached probe values are.",
			nil, nil),
		quotaAvailable: prometheus.NewDesc("clari_export_quota_available",
			"Exports Clari still allows, by kind (monthly: rolling 30-day quota, concurrent: running jobs), from /admin/limits; absent when the last probe failed"+cached,
			[]string{"kind"}, nil),
		quotaLimit: prometheus.NewDesc("clari_export_quota_limit",
			"Clari's export limits, by kind (monthly, concurrent), from /admin/limits; absent when the last probe failed"+cached,
			[]string{"kind"}, nil),
	}
}

// Refresh makes sure a probe has started within the last interval. It
// returns at once when the cached result is fresh. Otherwise it starts a
// probe (or joins the one running) and waits for it no longer than ctx
// allows, and no longer than MaxWait when that is set. The probe's own
// deadline is ctx's (bounded by the probe timeout) but it is not cancelled
// with ctx: with MaxWait it finishes in the background and its result serves
// the next scrapes. A probe past its deadline counts as failed (clari_up 0)
// and is not retried before the interval has passed.
func (p *Probe) Refresh(ctx context.Context) {
	if p == nil || p.prober == nil {
		return
	}
	p.mu.Lock()
	wait := p.inflight
	if wait == nil {
		now := p.now()
		if !p.started.IsZero() && now.Sub(p.started) < p.interval {
			p.mu.Unlock()
			return
		}
		wait = make(chan struct{})
		p.inflight = wait
		p.started = now
		probeCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), p.timeout)
		if d, ok := ctx.Deadline(); ok {
			probeCtx, cancel = context.WithDeadline(probeCtx, d)
		}
		go p.finish(probeCtx, cancel, wait)
	}
	p.mu.Unlock()

	var limit <-chan time.Time
	if p.maxWait > 0 {
		t := time.NewTimer(p.maxWait)
		defer t.Stop()
		limit = t.C
	}
	select {
	case <-wait:
	case <-ctx.Done():
	case <-limit:
	}
}

// finish runs one probe and publishes its result.
func (p *Probe) finish(ctx context.Context, cancel context.CancelFunc, done chan struct{}) {
	res := p.run(ctx)
	cancel()
	p.mu.Lock()
	p.last = res
	p.inflight = nil
	p.mu.Unlock()
	close(done)
}

// run performs one probe.
func (p *Probe) run(ctx context.Context) probeResult {
	ctx, cancel := context.WithTimeout(ctx, p.timeout)
	defer cancel()
	start := p.now()
	limits, err := p.prober.Limits(ctx)
	end := p.now()
	res := probeResult{done: true, ok: err == nil, duration: end.Sub(start), ended: end, limits: limits}
	if err != nil {
		level.Warn(p.logger).Log("msg", "Clari live probe (GET /admin/limits) failed; clari_up is 0", "err", err)
	}
	return res
}

// Describe implements prometheus.Collector.
func (p *Probe) Describe(ch chan<- *prometheus.Desc) {
	ch <- p.up
	ch <- p.duration
	ch <- p.timestamp
	ch <- p.quotaAvailable
	ch <- p.quotaLimit
}

// Collect implements prometheus.Collector. It only reads the cached result;
// the scrape handler calls Refresh before gathering.
func (p *Probe) Collect(ch chan<- prometheus.Metric) {
	p.mu.Lock()
	r := p.last
	p.mu.Unlock()

	up := 0.0
	if r.ok {
		up = 1
	}
	sendConst(ch, p.up, prometheus.GaugeValue, up)
	if !r.done {
		return
	}
	sendConst(ch, p.duration, prometheus.GaugeValue, r.duration.Seconds())
	sendConst(ch, p.timestamp, prometheus.GaugeValue, unixSeconds(r.ended))
	if !r.ok {
		return
	}
	sendConst(ch, p.quotaAvailable, prometheus.GaugeValue, float64(r.limits.AvailableMonthlyQuota), "monthly")
	sendConst(ch, p.quotaAvailable, prometheus.GaugeValue, float64(r.limits.AvailableConcurrentLimit), "concurrent")
	sendConst(ch, p.quotaLimit, prometheus.GaugeValue, float64(r.limits.MonthlyQuota), "monthly")
	sendConst(ch, p.quotaLimit, prometheus.GaugeValue, float64(r.limits.ConcurrentLimit), "concurrent")
}
