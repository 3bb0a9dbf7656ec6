package leader

import (
	"fmt"
	"sync"
	"time"
)

// stubClock is a clock that moves only when the test advances it.
type stubClock struct {
	mu     sync.Mutex
	now    time.Time
	timers []*stubTimer
}

func newStubClock() *stubClock {
	return &stubClock{now: time.Date(2026, 12, 8, 9, 0, 0, 0, time.UTC)}
}

func (c *stubClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *stubClock) NewTimer(d time.Duration) timer {
	return c.add(&stubTimer{c: c, ch: make(chan time.Time, 1)}, d)
}

func (c *stubClock) AfterFunc(d time.Duration, f func()) timer {
	return c.add(&stubTimer{c: c, f: f}, d)
}

func (c *stubClock) add(t *stubTimer, d time.Duration) *stubTimer {
	c.mu.Lock()
	c.timers = append(c.timers, t)
	c.mu.Unlock()
	t.Reset(d)
	return t
}

// Advance moves the clock by d and fires every timer due by then.
func (c *stubClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	var due []*stubTimer
	for _, t := range c.timers {
		if t.active && !t.at.After(c.now) {
			t.active = false
			due = append(due, t)
		}
	}
	now := c.now
	c.mu.Unlock()
	for _, t := range due {
		t.fire(now)
	}
}

// waiting is how many timers are armed: the elector's goroutines are
// parked on the clock once it matches what the test expects.
func (c *stubClock) waiting() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, t := range c.timers {
		if t.active {
			n++
		}
	}
	return n
}

type stubTimer struct {
	c      *stubClock
	at     time.Time
	active bool
	ch     chan time.Time // NewTimer
	f      func()         // AfterFunc
}

func (t *stubTimer) C() <-chan time.Time { return t.ch }

func (t *stubTimer) Reset(d time.Duration) bool {
	t.c.mu.Lock()
	was := t.active
	t.at, t.active = t.c.now.Add(d), d > 0
	now := t.c.now
	t.c.mu.Unlock()
	if d <= 0 {
		t.fire(now)
	}
	return was
}

func (t *stubTimer) Stop() bool {
	t.c.mu.Lock()
	defer t.c.mu.Unlock()
	was := t.active
	t.active = false
	return was
}

func (t *stubTimer) fire(now time.Time) {
	if t.f != nil {
		go t.f()
		return
	}
	select {
	case t.ch <- now:
	default:
	}
}

func (c *stubClock) describe() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := ""
	for _, t := range c.timers {
		if t.active {
			out += fmt.Sprintf("[at %v func %v] ", t.at.Sub(time.Date(2026, 12, 8, 9, 0, 0, 0, time.UTC)), t.f != nil)
		}
	}
	return out
}
