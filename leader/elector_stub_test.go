package leader

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

// The elector's logic on a stubbed clock and an in-memory lease, without
// PostgreSQL: the test moves time and waits on the elector's test signals
// (riverqueue/river's leadership tests work the same way). The PostgreSQL
// tests in elector_test.go prove the same against the real lease row.

const (
	stubLease = 3 * time.Second
	stubRenew = time.Second
	stubPoll  = 200 * time.Millisecond
)

// memLease is the lease row in memory; its time is the stubbed clock (the
// database's, in production).
type memLease struct {
	mu       sync.Mutex
	clock    *stubClock
	holder   string
	term     int64
	expires  time.Time
	renewErr error // RenewLease fails with it
	freeErr  error // LeaseFree fails with it
	released []int64
}

func (l *memLease) LeaseFree(ctx context.Context, name string) (bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.freeErr == nil && !l.expires.After(l.clock.Now()), l.freeErr
}

func (l *memLease) AcquireLease(ctx context.Context, name, holder string, ttl time.Duration) (int64, bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.clock.Now()
	if l.expires.After(now) {
		return 0, false, nil
	}
	l.term++
	l.holder, l.expires = holder, now.Add(ttl)
	return l.term, true, nil
}

func (l *memLease) RenewLease(ctx context.Context, name, holder string, term int64, ttl time.Duration) (bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.clock.Now()
	if l.renewErr != nil {
		return false, l.renewErr
	}
	if l.holder != holder || l.term != term || !l.expires.After(now) {
		return false, nil
	}
	l.expires = now.Add(ttl)
	return true, nil
}

func (l *memLease) ReleaseLease(ctx context.Context, name, holder string, term int64) (bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.holder != holder || l.term != term {
		return false, nil
	}
	l.expires = l.clock.Now()
	l.released = append(l.released, term)
	return true, nil
}

func (l *memLease) releasedTerms() []int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]int64(nil), l.released...)
}

func (l *memLease) expiry() time.Time {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.expires
}

func (l *memLease) set(fn func(l *memLease)) {
	l.mu.Lock()
	defer l.mu.Unlock()
	fn(l)
}

// stubRig is one elector on a stubbed clock and an in-memory lease.
type stubRig struct {
	clock *stubClock
	lease *memLease
	e     *Elector
	sig   *testSignals
	leads chan context.Context // every Lead call's context
	stop  func()
}

// newStubRig starts the elector on a lease that prepare (when not nil) set
// up first.
func newStubRig(t *testing.T, prepare func(l *memLease)) *stubRig {
	t.Helper()
	clock := newStubClock()
	r := &stubRig{clock: clock, lease: &memLease{clock: clock}, leads: make(chan context.Context, 10),
		sig: &testSignals{gained: make(chan int64, 10), renewed: make(chan int64, 10), renewFailed: make(chan int64, 10),
			denied: make(chan struct{}, 100), stepped: make(chan string, 10)}}
	var err error
	r.e, err = New(Options{Lease: r.lease, Name: "clari_exporter", Holder: "a",
		LeaseDuration: stubLease, RenewInterval: stubRenew, PollInterval: stubPoll,
		Lead: func(ctx context.Context, term int64) { r.leads <- ctx; <-ctx.Done() }})
	if err != nil {
		t.Fatal(err)
	}
	r.e.clock, r.e.signals = clock, r.sig
	if prepare != nil {
		prepare(r.lease)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = r.e.Run(ctx) }()
	r.stop = sync.OnceFunc(func() { cancel(); <-done })
	t.Cleanup(r.stop)
	return r
}

// await returns the next value on ch, failing after 10 s of real time.
func await[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(10 * time.Second):
		t.Fatalf("no %s within 10 s", what)
		panic("unreachable")
	}
}

// advance moves the clock by d once the elector's goroutines are parked
// on n timers (a leader: the renew wait and the trust timer; a follower:
// the poll wait), so no step of time is lost on a goroutine still running.
func (r *stubRig) advance(t *testing.T, n int, d time.Duration) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for r.clock.waiting() != n {
		if time.Now().After(deadline) {
			t.Fatalf("the elector is not waiting on %d timers (%d) at %v: %s", n, r.clock.waiting(), r.clock.Now(), r.clock.describe())
		}
		time.Sleep(time.Millisecond)
	}
	r.clock.Advance(d)
}

// A leader renews every renew interval and keeps leading well past one
// trust window; a graceful stop ends Lead and releases the lease.
func TestStubElectorLeadsRenewsAndReleases(t *testing.T) {
	r := newStubRig(t, nil)
	if term := await(t, r.sig.gained, "leadership"); term != 1 {
		t.Fatalf("gained term %d, want 1", term)
	}
	lead := await(t, r.leads, "a Lead call")
	for i := range 5 { // 5 s: past the 2 s trust window of the first acquire
		r.advance(t, 2, stubRenew)
		if term := await(t, r.sig.renewed, "a renewal"); term != 1 {
			t.Fatalf("renewal %d of term %d, want 1", i, term)
		}
		if !r.e.Leading(1) {
			t.Fatalf("not leading term 1 after renewal %d", i)
		}
	}
	if st := r.e.State(); !st.Leader || st.Term != 1 || st.Transitions != 1 {
		t.Fatalf("state %+v, want leader of term 1 after one transition", st)
	}
	r.stop()
	if reason := await(t, r.sig.stepped, "the step-down"); reason != reasonStopped {
		t.Errorf("stepped down because %q, want %q", reason, reasonStopped)
	}
	if lead.Err() == nil {
		t.Error("Lead's context is still live after the stop")
	}
	if r.e.Leading(1) || r.e.State().Leader {
		t.Error("still leading after Run returned")
	}
	if got := r.lease.releasedTerms(); len(got) != 1 || got[0] != 1 {
		t.Errorf("released terms %v, want [1]: a graceful stop hands the lease over", got)
	}
}

// Renewals that fail (the database unreachable) keep the leader only until
// its trust window, lease − renew after the last successful renewal was
// sent, ends on its own clock: leading at 1.999 s, not at 2 s. It releases
// nothing (it cannot reach the lease) and competes again only once the
// lease has lapsed, as a new term.
func TestStubElectorStepsDownWhenTheTrustWindowEnds(t *testing.T) {
	r := newStubRig(t, nil)
	await(t, r.sig.gained, "leadership")
	lead := await(t, r.leads, "a Lead call")
	r.lease.set(func(l *memLease) { l.renewErr = errors.New("connection refused") })

	r.advance(t, 2, stubRenew) // 1 s: the renewal fails, a retry after renew/4
	await(t, r.sig.renewFailed, "a failed renewal")
	r.advance(t, 2, stubRenew-time.Millisecond) // 1.999 s
	await(t, r.sig.renewFailed, "a failed retry")
	if !r.e.Leading(1) {
		t.Fatal("not leading 1 ms before the trust window ends")
	}
	r.advance(t, 2, time.Millisecond) // 2 s: the window ends
	if r.e.Leading(1) {
		t.Error("Leading(1) at the end of the trust window: it must end by the leader's clock, whatever the timers do")
	}
	if reason := await(t, r.sig.stepped, "the step-down"); reason != "lease not renewed within the trust window" {
		t.Errorf("stepped down because %q", reason)
	}
	if lead.Err() == nil {
		t.Error("Lead's context is still live after the trust window ended")
	}
	if r.lease.releasedTerms() != nil {
		t.Errorf("released %v: a leader that lost the database cannot hand over", r.lease.releasedTerms())
	}
	// The lease runs until 3 s: a follower until then, a new term after.
	await(t, r.sig.denied, "the lease found taken")
	if r.e.State().Leader {
		t.Fatal("leads again while its own old lease runs")
	}
	r.lease.set(func(l *memLease) { l.renewErr = nil })
	for expires := r.lease.expiry(); r.clock.Now().Before(expires); {
		r.advance(t, 1, stubPoll)
	}
	if term := await(t, r.sig.gained, "leadership again"); term != 2 {
		t.Errorf("gained term %d, want the new term 2", term)
	}
	if st := r.e.State(); st.Transitions != 2 {
		t.Errorf("transitions %d, want 2", st.Transitions)
	}
}

// Another holder took a newer term: the leader steps down at its next
// renewal, and follows while that term runs.
func TestStubElectorStepsDownWhenTermTakenOver(t *testing.T) {
	r := newStubRig(t, nil)
	await(t, r.sig.gained, "leadership")
	lead := await(t, r.leads, "a Lead call")
	r.lease.set(func(l *memLease) { l.holder, l.term, l.expires = "b", 2, r.clock.Now().Add(time.Hour) })
	r.advance(t, 2, stubRenew)
	if reason := await(t, r.sig.stepped, "the step-down"); reason != "lease lost: another replica holds a newer term, or the lease lapsed" {
		t.Errorf("stepped down because %q", reason)
	}
	if lead.Err() == nil || r.e.Leading(1) {
		t.Error("still leading term 1 after it was taken over")
	}
	for range 10 {
		await(t, r.sig.denied, "the lease found taken")
		r.advance(t, 1, stubPoll)
	}
	select {
	case term := <-r.sig.gained:
		t.Fatalf("took term %d while b's runs", term)
	default:
	}
	if r.lease.releasedTerms() != nil {
		t.Errorf("released %v: a replica never touches another's term", r.lease.releasedTerms())
	}
}

// An unreadable lease keeps a replica follower; it competes once it can
// read it.
func TestStubElectorFollowsWhileTheLeaseIsUnreadable(t *testing.T) {
	r := newStubRig(t, func(l *memLease) { l.freeErr = errors.New("permission denied for table leader_lease") })
	for range 3 {
		await(t, r.sig.denied, "the unreadable lease")
		r.advance(t, 1, stubPoll)
	}
	await(t, r.sig.denied, "the unreadable lease") // before it is fixed
	if r.e.State().Leader {
		t.Fatal("leads on a lease it cannot read")
	}
	r.lease.set(func(l *memLease) { l.freeErr = nil })
	r.advance(t, 1, stubPoll)
	if term := await(t, r.sig.gained, "leadership"); term != 1 {
		t.Errorf("gained term %d, want 1", term)
	}
}
