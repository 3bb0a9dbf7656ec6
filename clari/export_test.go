package clari

import (
	"context"
	"time"
)

// Test hooks for the external test package (clari_test imports clarisim,
// which imports clari, so the acceptance tests cannot live in package
// clari).

// SetRetryClock replaces the retry layer's sleep and clock, so tests can
// record the delays chosen without waiting them.
func SetRetryClock(c *Client, sleep func(ctx context.Context, d time.Duration) error, now func() time.Time) {
	if sleep != nil {
		c.res.sleep = sleep
	}
	if now != nil {
		c.res.now = now
	}
}

// SetJitter sets the backoff randomization factor (0 makes delays exact).
func SetJitter(c *Client, f float64) { c.res.jitter = f }

// Recorder is the Instrumentation that remembers every call (recorder in
// client_test.go), shared with the external test package.
type Recorder = recorder

// Snapshot returns copies of the recorded requests, retries and states.
func (r *recorder) Snapshot() (req, ret, st []string) { return r.snapshot() }
