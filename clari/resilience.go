package clari

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/cenkalti/backoff/v4"
	"github.com/go-kit/log"
	"github.com/go-kit/log/level"
	"github.com/sony/gobreaker/v2"
	"golang.org/x/time/rate"
)

// RetryOptions configures retries of failed attempts (429, 5xx, network
// errors, timeouts). Other 4xx are never retried. There are no defaults
// here: config (clari.retry) decides every value and validates it.
type RetryOptions struct {
	// Enabled turns retries on. When false every call makes one attempt.
	Enabled bool
	// InitialInterval is the first backoff delay; each further delay grows
	// ×1.5 with ±50 % jitter up to MaxInterval.
	InitialInterval time.Duration
	MaxInterval     time.Duration
	// MaxElapsedTime bounds the time spent on one call including waits. A
	// Retry-After beyond it makes the call give up with a *RetryAfterError.
	MaxElapsedTime time.Duration
	// DefaultRetryAfter, when > 0, is the delay after a 429 that carries no
	// Retry-After header. Zero (the default) uses the backoff interval.
	DefaultRetryAfter time.Duration
}

// BreakerOptions configures the circuit breaker that stops calling Clari
// during an outage.
type BreakerOptions struct {
	// Enabled turns the breaker on.
	Enabled bool
	// ConsecutiveFailures trips the breaker. Failures are 5xx, 429, network
	// errors and timeouts of single attempts.
	ConsecutiveFailures uint32
	// OpenTimeout is how long the breaker stays open before letting one
	// probe request through (half-open).
	OpenTimeout time.Duration
}

// PacingOptions spaces requests out client-side so the exporter never bursts
// against the org's shared API limits. Zero RequestsPerSecond is unlimited.
type PacingOptions struct {
	RequestsPerSecond float64
	// Burst is how many requests may go back to back.
	Burst int
}

// The backoff's shape is not configurable: delays grow ×1.5 with ±50 %
// jitter.
const (
	randomizationFactor = 0.5
	backoffMultiplier   = 1.5
)

// Breaker states as reported by BreakerState and Instrumentation.
const (
	BreakerClosed   = "closed"
	BreakerHalfOpen = "half_open"
	BreakerOpen     = "open"
)

func breakerStateName(s gobreaker.State) string {
	switch s {
	case gobreaker.StateOpen:
		return BreakerOpen
	case gobreaker.StateHalfOpen:
		return BreakerHalfOpen
	}
	return BreakerClosed
}

// resilience holds the three layers every attempt passes through, in this
// order: pacing (wait for a token) → circuit breaker (refuse while open) →
// the attempt. The retry loop (withRetry) wraps all three, so every retry is
// paced and counted by the breaker too.
type resilience struct {
	limiter *rate.Limiter // nil: unlimited
	breaker *gobreaker.CircuitBreaker[any]
	retry   RetryOptions
	instr   Instrumentation
	logger  log.Logger

	// Injectable for tests: sleep waits d unless ctx ends first; now is the
	// clock used for elapsed-time budgets and Retry-After dates; jitter is
	// the backoff randomization factor.
	sleep  func(ctx context.Context, d time.Duration) error
	now    func() time.Time
	jitter float64
}

func newResilience(o Options, instr Instrumentation, logger log.Logger) *resilience {
	r := &resilience{
		retry:  o.Retry,
		instr:  instr,
		logger: logger,
		sleep:  sleepCtx,
		now:    time.Now,
		jitter: randomizationFactor,
	}
	if o.Pacing.RequestsPerSecond > 0 {
		r.limiter = rate.NewLimiter(rate.Limit(o.Pacing.RequestsPerSecond), o.Pacing.Burst)
	}
	if o.Breaker.Enabled {
		failures, timeout := o.Breaker.ConsecutiveFailures, o.Breaker.OpenTimeout
		r.breaker = gobreaker.NewCircuitBreaker[any](gobreaker.Settings{
			Name:        "clari",
			MaxRequests: 1,
			Timeout:     timeout,
			ReadyToTrip: func(c gobreaker.Counts) bool { return c.ConsecutiveFailures >= failures },
			OnStateChange: func(_ string, from, to gobreaker.State) {
				lvl := level.Warn
				if to == gobreaker.StateClosed {
					lvl = level.Info
				}
				lvl(logger).Log("msg", "Clari API circuit breaker changed state", "from", breakerStateName(from), "to", breakerStateName(to))
				instr.BreakerState(breakerStateName(to))
			},
			IsSuccessful: func(err error) bool { return err == nil || !isBreakerFailure(err) },
			IsExcluded:   isBreakerExcluded,
		})
	}
	instr.BreakerState(BreakerClosed)
	return r
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

func (r *resilience) state() string {
	if r.breaker == nil {
		return BreakerClosed
	}
	return breakerStateName(r.breaker.State())
}

// attempt runs one HTTP attempt through pacing and the breaker.
func (r *resilience) attempt(ctx context.Context, endpoint string, fn func() error) error {
	if r.limiter != nil {
		if err := r.limiter.Wait(ctx); err != nil {
			if ctx.Err() != nil {
				return parentContextError{err: fmt.Errorf("clari: %s: waiting for pacing: %w", endpoint, ctx.Err())}
			}
			// Wait also fails when the deadline is nearer than the next
			// token; that is the caller's deadline too.
			return parentContextError{err: fmt.Errorf("clari: %s: pacing: %w (%w)", endpoint, err, context.DeadlineExceeded)}
		}
	}
	if r.breaker == nil {
		return fn()
	}
	_, err := r.breaker.Execute(func() (any, error) { return nil, fn() })
	if errors.Is(err, gobreaker.ErrOpenState) || errors.Is(err, gobreaker.ErrTooManyRequests) {
		return fmt.Errorf("clari: %s: %w", endpoint, ErrBreakerOpen)
	}
	return err
}

type noRetryKey struct{}

// WithoutRetry marks ctx so requests made with it are tried once: the live
// health probe, whose next reading is its retry (retrying inside it would
// hold the reading for the whole request budget while Clari is down).
func WithoutRetry(ctx context.Context) context.Context {
	return context.WithValue(ctx, noRetryKey{}, true)
}

// withRetry calls op until it succeeds, fails permanently, or the retry
// budget is spent. op returns backoff.Permanent(err) for errors that must not
// be retried; otherwise retryReason decides. Between attempts it waits the
// server's Retry-After when given, else an exponential backoff with jitter.
func (r *resilience) withRetry(ctx context.Context, endpoint string, op func(attempt int) error) error {
	b := backoff.NewExponentialBackOff(
		backoff.WithInitialInterval(r.retry.InitialInterval),
		backoff.WithMaxInterval(r.retry.MaxInterval),
		backoff.WithMultiplier(backoffMultiplier),
		backoff.WithRandomizationFactor(r.jitter),
		backoff.WithMaxElapsedTime(0), // bounded below, with the injectable clock
	)
	b.Reset()
	start := r.now()
	var slept time.Duration
	for attempt := 1; ; attempt++ {
		err := op(attempt)
		if err == nil {
			return nil
		}
		var perm *backoff.PermanentError
		if errors.As(err, &perm) {
			return perm.Err
		}
		reason, retryable := retryReason(err)
		if !retryable || !r.retry.Enabled || ctx.Value(noRetryKey{}) != nil {
			return err
		}
		delay := b.NextBackOff()
		var ae *APIError
		if errors.As(err, &ae) {
			if ae.RetryAfter > 0 {
				delay = ae.RetryAfter
			} else if ae.StatusCode == 429 && r.retry.DefaultRetryAfter > 0 {
				delay = r.retry.DefaultRetryAfter
			}
		}
		// Elapsed counts both the wall clock and the waits, so the budget
		// holds even when tests replace sleep with a recorder.
		elapsed := r.now().Sub(start)
		if elapsed < slept {
			elapsed = slept
		}
		if elapsed+delay > r.retry.MaxElapsedTime {
			if ae != nil && ae.RetryAfter > 0 {
				return &RetryAfterError{After: ae.RetryAfter, Err: err}
			}
			return fmt.Errorf("%w (gave up after %d attempts in %s)", err, attempt, elapsed.Round(time.Millisecond))
		}
		r.instr.Retry(endpoint, reason)
		level.Debug(r.logger).Log("msg", "retrying Clari API request", "endpoint", endpoint, "reason", reason, "attempt", attempt, "delay", delay, "err", err)
		if serr := r.sleep(ctx, delay); serr != nil {
			return parentContextError{err: fmt.Errorf("clari: %s: waiting to retry: %w", endpoint, serr)}
		}
		slept += delay
	}
}
