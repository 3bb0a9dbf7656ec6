// Package leader elects one replica of a highly available deployment as
// the leader: the only one that spends Clari quota (exports), downloads
// watched results, checks the warehouse and enforces retention.
//
// The election is a lease row in the shared PostgreSQL store (package
// store): a holder, a term that grows with every change of hands, and an
// expiry in database time. The leader renews the lease every renew
// interval for the lease duration. It trusts its leadership only for
// lease duration − renew interval after the moment it sent its last
// successful renewal: the lease cannot expire anywhere before that moment
// plus the lease duration, so the leader stops one renew interval before
// anyone else can take over, however its connection to the database fails
// (refused, hung, partitioned). A stale renew or release names its term and
// cannot touch a newer one.
package leader

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-kit/log"
	"github.com/go-kit/log/level"

	"github.com/clari-exporter/clari_exporter/leader/leadership"
)

// Lease is the lease row the elector competes for; *store.Postgres
// implements it.
type Lease interface {
	// LeaseFree reports whether the lease can be taken now.
	LeaseFree(ctx context.Context, name string) (bool, error)
	// AcquireLease takes a free lease for ttl as a new term.
	AcquireLease(ctx context.Context, name, holder string, ttl time.Duration) (term int64, ok bool, err error)
	// RenewLease extends holder's lease of term; false when term is no
	// longer current.
	RenewLease(ctx context.Context, name, holder string, term int64, ttl time.Duration) (bool, error)
	// ReleaseLease ends holder's lease of term now.
	ReleaseLease(ctx context.Context, name, holder string, term int64) (bool, error)
}

// releaseTimeout bounds the release at a graceful stop.
const releaseTimeout = 2 * time.Second

// Options configure an Elector. Name and the three durations come from
// config (the ha section and config.LeaseName, config.LeasePollInterval),
// validated there (lease_duration ≥ 3 × renew_interval): New takes them as
// they are.
type Options struct {
	Lease Lease
	// Name of the lease row; replicas of one deployment share it.
	Name string
	// Holder identifies this replica; when empty, host-pid-random, unique
	// per process so a restarted replica never mistakes an old lease for
	// its own.
	Holder        string
	LeaseDuration time.Duration
	RenewInterval time.Duration
	// PollInterval is how often a follower checks whether the lease is
	// free: a released lease is taken within about this long.
	PollInterval time.Duration
	Logger       log.Logger
	// Lead runs (in its own goroutine) while this replica leads term. Its
	// context is cancelled as soon as leadership ends; the elector does not
	// compete again before Lead has returned, so two terms never overlap
	// in one process.
	Lead func(ctx context.Context, term int64)
	// OnChange is called with every new State (from the elector's
	// goroutines; keep it short).
	OnChange func(State)
}

// State is the elector's published, immutable state, defined in the
// import-free leadership package so collector reads it without this one.
type State = leadership.State

// Elector competes for the lease and runs Options.Lead while it holds it.
type Elector struct {
	o     Options
	state atomic.Pointer[State]

	mu         sync.Mutex
	term       int64     // term being led, 0 when following
	trustUntil time.Time // local monotonic end of the trust window

	clock   clock
	signals *testSignals // nil outside tests
}

// New returns an Elector for o, whose timings config has validated.
func New(o Options) (*Elector, error) {
	if o.Lease == nil || o.Lead == nil {
		return nil, errors.New("leader: Lease and Lead are required")
	}
	if o.Holder == "" {
		o.Holder = processHolder()
	}
	if o.Logger == nil {
		o.Logger = log.NewNopLogger()
	}
	e := &Elector{o: o, clock: systemClock{}}
	e.state.Store(&State{Holder: o.Holder})
	return e, nil
}

// processHolder is a holder id unique to this process.
func processHolder() string {
	host, _ := os.Hostname()
	var b [4]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%s-%d-%s", host, os.Getpid(), hex.EncodeToString(b[:]))
}

// State returns the current state.
func (e *Elector) State() State { return *e.state.Load() }

// Holder is this replica's lease holder id.
func (e *Elector) Holder() string { return e.o.Holder }

// TrustWindow is how long after sending a successful renewal the leader
// trusts its lease.
func (e *Elector) TrustWindow() time.Duration { return e.o.LeaseDuration - e.o.RenewInterval }

// Leading reports whether this replica leads term right now, by its own
// clock: the lease of term was renewed within the trust window. Check it
// right before an action only the leader may take.
func (e *Elector) Leading(term int64) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return term != 0 && e.term == term && e.clock.Now().Before(e.trustUntil)
}

func (e *Elector) publish(leader bool, term int64) {
	old := e.state.Load()
	st := &State{Holder: e.o.Holder, Leader: leader, Term: term, Transitions: old.Transitions, Since: e.clock.Now()}
	if leader && !old.Leader {
		st.Transitions++
	}
	e.state.Store(st)
	if e.o.OnChange != nil {
		e.o.OnChange(*st)
	}
}

// Run competes for the lease until ctx is cancelled. A leader then stops
// Lead, waits for it and releases the lease, so a follower takes over
// within its poll interval. Run returns nil after a graceful stop.
func (e *Elector) Run(ctx context.Context) error {
	for ctx.Err() == nil {
		term, until, ok := e.tryAcquire(ctx)
		if !ok {
			if e.signals != nil {
				signal(e.signals.denied, struct{}{})
			}
			e.sleep(ctx, e.o.PollInterval)
			continue
		}
		e.lead(ctx, term, until)
	}
	return nil
}

// tryAcquire takes the lease when it is free. until is the end of the
// trust window of the new term.
func (e *Elector) tryAcquire(ctx context.Context) (term int64, until time.Time, ok bool) {
	actx, cancel := context.WithTimeout(ctx, e.o.RenewInterval)
	defer cancel()
	free, err := e.o.Lease.LeaseFree(actx, e.o.Name)
	if err != nil {
		if ctx.Err() == nil {
			level.Warn(e.o.Logger).Log("msg", "cannot read the leader lease; staying follower", "err", err)
		}
		return 0, time.Time{}, false
	}
	if !free {
		return 0, time.Time{}, false
	}
	sent := e.clock.Now()
	term, ok, err = e.o.Lease.AcquireLease(actx, e.o.Name, e.o.Holder, e.o.LeaseDuration)
	if err != nil {
		if ctx.Err() == nil {
			level.Warn(e.o.Logger).Log("msg", "cannot acquire the leader lease; staying follower", "err", err)
		}
		return 0, time.Time{}, false
	}
	return term, sent.Add(e.TrustWindow()), ok
}

// lead holds term until the trust window lapses, the lease is lost, Lead
// returns or ctx is cancelled.
func (e *Elector) lead(ctx context.Context, term int64, until time.Time) {
	lctx, cancel := context.WithCancel(ctx)
	defer cancel()

	e.mu.Lock()
	e.term, e.trustUntil = term, until
	e.mu.Unlock()
	e.publish(true, term)
	level.Info(e.o.Logger).Log("msg", "became leader", "term", term, "holder", e.o.Holder)
	if e.signals != nil {
		signal(e.signals.gained, term)
	}

	// The trust timer ends leadership on the local clock, whatever the
	// renewal calls are doing: a hung connection cannot keep a stale leader.
	lapsed := make(chan struct{})
	var lapseOnce sync.Once
	timer := e.clock.AfterFunc(until.Sub(e.clock.Now()), func() {
		e.mu.Lock()
		if e.term != term || e.clock.Now().Before(e.trustUntil) {
			e.mu.Unlock()
			return // renewed meanwhile; the timer was re-armed
		}
		e.term = 0
		e.mu.Unlock()
		lapseOnce.Do(func() { close(lapsed) })
		cancel()
	})
	defer timer.Stop()

	done := make(chan struct{})
	go func() {
		defer close(done)
		e.o.Lead(lctx, term)
	}()

	reason := e.renewLoop(lctx, term, timer, done)
	select {
	case <-lapsed:
		reason = "lease not renewed within the trust window"
	default:
	}
	e.mu.Lock()
	if e.term == term {
		e.term = 0
	}
	e.mu.Unlock()
	e.publish(false, term)
	cancel()
	<-done
	level.Warn(e.o.Logger).Log("msg", "stopped leading", "term", term, "reason", reason)
	if e.signals != nil {
		signal(e.signals.stepped, reason)
	}

	if reason == reasonStopped {
		// Graceful: hand over now instead of letting the lease run out.
		rctx, rcancel := context.WithTimeout(context.Background(), releaseTimeout)
		defer rcancel()
		if _, err := e.o.Lease.ReleaseLease(rctx, e.o.Name, e.o.Holder, term); err != nil {
			level.Warn(e.o.Logger).Log("msg", "cannot release the leader lease; a follower takes over when it expires", "term", term, "err", err)
		}
	}
}

const reasonStopped = "stopping"

// renewLoop renews term every renew interval (sooner after a failure)
// until leadership ends, and says why it ended.
func (e *Elector) renewLoop(lctx context.Context, term int64, timer timer, done <-chan struct{}) string {
	next := e.o.RenewInterval
	for {
		wait := e.clock.NewTimer(next)
		select {
		case <-lctx.Done():
			wait.Stop()
			return reasonStopped // or lapsed: the caller tells them apart
		case <-done:
			wait.Stop()
			return reasonStopped
		case <-wait.C():
		}
		sent := e.clock.Now()
		e.mu.Lock()
		deadline := e.trustUntil
		e.mu.Unlock()
		// A timeout rather than a deadline: the trust window is on e's
		// clock, which a test may have stubbed.
		rctx, cancel := context.WithTimeout(lctx, deadline.Sub(sent))
		ok, err := e.o.Lease.RenewLease(rctx, e.o.Name, e.o.Holder, term, e.o.LeaseDuration)
		cancel()
		switch {
		case err != nil:
			if lctx.Err() != nil {
				continue // the select above reports why
			}
			level.Warn(e.o.Logger).Log("msg", "cannot renew the leader lease; retrying until the trust window ends", "term", term, "err", err)
			if e.signals != nil {
				signal(e.signals.renewFailed, term)
			}
			next = max(e.o.RenewInterval/4, 10*time.Millisecond)
			continue
		case !ok:
			return "lease lost: another replica holds a newer term, or the lease lapsed"
		}
		e.mu.Lock()
		if e.term != term {
			e.mu.Unlock()
			continue // lapsed meanwhile: the select above reports it
		}
		e.trustUntil = sent.Add(e.TrustWindow())
		timer.Reset(e.trustUntil.Sub(e.clock.Now()))
		e.mu.Unlock()
		if e.signals != nil {
			signal(e.signals.renewed, term)
		}
		next = e.o.RenewInterval
	}
}

func (e *Elector) sleep(ctx context.Context, d time.Duration) {
	t := e.clock.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C():
	}
}
