package leader

import "time"

// clock is the elector's time: the trust window, the renew and poll waits
// and the lapse timer all read it, so a test can stub it and move time by
// hand (as riverqueue/river's leadership tests stub theirs).
type clock interface {
	Now() time.Time
	// NewTimer sends on its C once d has passed.
	NewTimer(d time.Duration) timer
	// AfterFunc runs f in its own goroutine once d has passed.
	AfterFunc(d time.Duration, f func()) timer
}

// timer is a *time.Timer as clock gives it out.
type timer interface {
	C() <-chan time.Time // nil for an AfterFunc timer
	Reset(d time.Duration) bool
	Stop() bool
}

// systemClock is the real clock.
type systemClock struct{}

func (systemClock) Now() time.Time                 { return time.Now() }
func (systemClock) NewTimer(d time.Duration) timer { return systemTimer{time.NewTimer(d)} }
func (systemClock) AfterFunc(d time.Duration, f func()) timer {
	return systemTimer{time.AfterFunc(d, f)}
}

type systemTimer struct{ t *time.Timer }

func (s systemTimer) C() <-chan time.Time        { return s.t.C }
func (s systemTimer) Reset(d time.Duration) bool { return s.t.Reset(d) }
func (s systemTimer) Stop() bool                 { return s.t.Stop() }

// testSignals tell a test what the elector just did; nil outside tests.
// Sends never block: a test that does not wait for a signal loses it.
type testSignals struct {
	gained      chan int64    // became leader of the term
	renewed     chan int64    // renewed the term's lease
	renewFailed chan int64    // a renewal of the term failed (error)
	denied      chan struct{} // found the lease taken or unreadable
	stepped     chan string   // stopped leading, with the reason
}

func signal[T any](ch chan T, v T) {
	select {
	case ch <- v:
	default:
	}
}
