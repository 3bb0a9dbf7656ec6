// Package health owns the exporter's one reading of Clari's health: GET
// /admin/limits (free: it costs no export quota and proves the token works).
//
// A Monitor refreshes the reading in the background every
// clari.probe_interval and publishes each result as an immutable Reading.
// Three consumers share it: the scrape-time metrics (clari_up, quota) read
// the latest Reading and never wait for Clari; the pre-export budget check
// asks for a fresh reading right before each create (Fresh); the readiness
// checks take the cached one (Cached).
package health

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-kit/log"
	"github.com/go-kit/log/level"

	"github.com/clari-exporter/clari_exporter/clari"
	"github.com/clari-exporter/clari_exporter/health/probe"
)

// LimitsAPI is the part of the Clari client the monitor calls.
type LimitsAPI interface {
	Limits(ctx context.Context) (clari.Limits, error)
}

// Options configure a Monitor. Interval and Timeout come resolved from
// config (clari.probe_interval, clari.request_timeout); they must be > 0.
type Options struct {
	API      LimitsAPI
	Interval time.Duration
	Timeout  time.Duration
	// Now is the clock stamping readings; default time.Now.
	Now    func() time.Time
	Logger log.Logger
}

// Reading is one finished GET /admin/limits. A published Reading never
// changes: a new result is a new value.
type Reading struct {
	// Probe is the reading as the metrics side reads it (clari_up, the
	// quota gauges): a plain value of the I/O-free state package.
	Probe probe.Reading
	// Err is nil when Clari answered.
	Err error
	// Limits is Clari's answer (zero when Err is set), for the budget and
	// readiness checks, which also want the running job ids.
	Limits clari.Limits
}

// newReading is the published value of one finished GET.
func newReading(limits clari.Limits, err error, ended time.Time, took time.Duration) *Reading {
	r := &Reading{Err: err, Limits: limits,
		Probe: probe.Reading{Done: true, OK: err == nil, Ended: ended, Took: took}}
	if err == nil {
		r.Probe.Quota = probe.Quota{
			MonthlyAvailable: limits.AvailableMonthlyQuota, MonthlyLimit: limits.MonthlyQuota,
			ConcurrentAvailable: limits.AvailableConcurrentLimit, ConcurrentLimit: limits.ConcurrentLimit,
		}
	}
	return r
}

// Monitor holds the latest Reading and refreshes it.
type Monitor struct {
	api    LimitsAPI
	now    func() time.Time
	logger log.Logger

	interval atomic.Int64 // time.Duration
	timeout  atomic.Int64 // time.Duration
	poke     chan struct{}

	last atomic.Pointer[Reading]

	mu        sync.Mutex // one GET at a time: concurrent callers share it
	inflight  chan struct{}
	first     chan struct{}
	firstOnce sync.Once
}

// New returns a monitor with no reading yet (Last().Probe.Done is false).
func New(o Options) *Monitor {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = log.NewNopLogger()
	}
	m := &Monitor{api: o.API, now: o.Now, logger: o.Logger, poke: make(chan struct{}, 1), first: make(chan struct{})}
	m.interval.Store(int64(o.Interval))
	m.timeout.Store(int64(o.Timeout))
	m.last.Store(&Reading{})
	return m
}

// Last returns the latest published reading; never nil.
func (m *Monitor) Last() *Reading { return m.last.Load() }

// SetTiming changes the refresh interval and the per-reading timeout (a
// config reload); the next refresh is rescheduled from the last one.
func (m *Monitor) SetTiming(interval, timeout time.Duration) {
	m.interval.Store(int64(interval))
	m.timeout.Store(int64(timeout))
	select {
	case m.poke <- struct{}{}:
	default:
	}
}

// Interval is the current refresh interval.
func (m *Monitor) Interval() time.Duration { return time.Duration(m.interval.Load()) }

// Run refreshes the reading at once and then every interval until ctx ends.
func (m *Monitor) Run(ctx context.Context) {
	for {
		started := time.Now()
		// One attempt per reading: the next reading is the retry.
		_, _ = m.Fresh(clari.WithoutRetry(ctx))
		if !m.sleepUntilDue(ctx, started) {
			return
		}
	}
}

// sleepUntilDue waits until interval has passed since started, re-reading
// the interval when SetTiming changes it. It returns false when ctx ended.
func (m *Monitor) sleepUntilDue(ctx context.Context, started time.Time) bool {
	for {
		wait := m.Interval() - time.Since(started)
		if wait <= 0 {
			return true
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return false
		case <-m.poke:
			t.Stop()
		case <-t.C:
			return true
		}
	}
}

// Fresh reads /admin/limits now (or joins the reading already running),
// publishes the result and returns it. The budget check calls it right
// before each create. A reading is bounded by the timeout; ctx only stops
// this caller's wait, not the reading the others share.
func (m *Monitor) Fresh(ctx context.Context) (clari.Limits, error) {
	m.mu.Lock()
	wait := m.inflight
	if wait == nil {
		wait = make(chan struct{})
		m.inflight = wait
		go m.read(context.WithoutCancel(ctx), wait)
	}
	m.mu.Unlock()
	select {
	case <-wait:
	case <-ctx.Done():
		return clari.Limits{}, ctx.Err()
	}
	r := m.Last()
	return r.Limits, r.Err
}

// Cached returns the latest reading's limits, taking a fresh one when none
// has finished yet (the readiness checks).
func (m *Monitor) Cached(ctx context.Context) (clari.Limits, error) {
	if r := m.Last(); r.Probe.Done {
		return r.Limits, r.Err
	}
	return m.Fresh(ctx)
}

func (m *Monitor) read(ctx context.Context, done chan struct{}) {
	ctx, cancel := context.WithTimeout(ctx, time.Duration(m.timeout.Load()))
	defer cancel()
	start := m.now()
	limits, err := m.api.Limits(ctx)
	end := m.now()
	if err != nil {
		level.Warn(m.logger).Log("msg", "Clari live probe (GET /admin/limits) failed; clari_up is 0", "err", err)
		limits = clari.Limits{}
	}
	m.last.Store(newReading(limits, err, end, end.Sub(start)))
	m.mu.Lock()
	m.inflight = nil
	m.mu.Unlock()
	m.firstOnce.Do(func() { close(m.first) })
	close(done)
}

// First is closed once the first reading finished.
func (m *Monitor) First() <-chan struct{} { return m.first }
