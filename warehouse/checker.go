package warehouse

import (
	"context"
	"sync"
	"time"

	"github.com/go-kit/log"
	"github.com/go-kit/log/level"
)

// Checker runs RunChecks on a schedule and on demand and keeps the last
// Result for the collector, which must never query the warehouse from a
// scrape.
type Checker struct {
	w        *Warehouse
	input    func() CheckInput
	interval time.Duration
	// retry is the shorter wait after a run with errors, so a warehouse
	// that was briefly unreachable is not reported down for a whole
	// check_interval (24h by default).
	retry  time.Duration
	logger log.Logger

	runMu   sync.Mutex // one run at a time
	mu      sync.Mutex
	last    Result
	trigger chan struct{}
}

// NewChecker returns a Checker for w. input is called at the start of every
// run for the current period and the expected rows (from the store's latest
// snapshots); nil means no expectations and no current period. interval 0
// means w.CheckInterval() (warehouse.check_interval, default 24h).
func NewChecker(w *Warehouse, input func() CheckInput, interval time.Duration, logger log.Logger) *Checker {
	if logger == nil {
		logger = log.NewNopLogger()
	}
	if input == nil {
		input = func() CheckInput { return CheckInput{} }
	}
	if interval <= 0 {
		interval = w.CheckInterval()
	}
	return &Checker{w: w, input: input, interval: interval, retry: min(interval, errorRetryInterval), logger: logger, trigger: make(chan struct{}, 1)}
}

// Interval is the time between scheduled runs.
func (c *Checker) Interval() time.Duration { return c.interval }

// errorRetryInterval is how soon a run that had errors is repeated (at
// most the check interval).
const errorRetryInterval = 5 * time.Minute

// Run runs the checks at once, then every interval — after a run with
// errors, after errorRetryInterval — and whenever Trigger is called,
// until ctx is done.
func (c *Checker) Run(ctx context.Context) {
	t := time.NewTimer(c.interval)
	defer t.Stop()
	for {
		res := c.RunNow(ctx)
		wait := c.interval
		if !res.OK() {
			wait = c.retry
		}
		t.Reset(wait)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-c.trigger:
		}
	}
}

// Trigger asks Run for an extra run without waiting for it. Requests made
// while one is pending are merged.
func (c *Checker) Trigger() {
	select {
	case c.trigger <- struct{}{}:
	default:
	}
}

// RunNow runs the checks now (after any run in progress), stores and
// returns the result.
func (c *Checker) RunNow(ctx context.Context) Result {
	c.runMu.Lock()
	defer c.runMu.Unlock()
	in := c.input()
	if in.Now.IsZero() {
		in.Now = time.Now()
	}
	res := c.w.RunChecks(ctx, in)
	if ctx.Err() != nil && !res.OK() {
		// Shutting down: keep the last real result rather than a run
		// that failed only because it was cancelled.
		return res
	}
	c.mu.Lock()
	c.last = res
	c.mu.Unlock()
	level.Debug(c.logger).Log("msg", "warehouse checks stored", "ok", res.OK()) //nolint:errcheck
	return res
}

// Last is the most recent stored Result; RanAt is zero before the first
// run. Its slices and map are shared: read them, do not modify them.
func (c *Checker) Last() Result {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.last
}
