package leader

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/clari-exporter/clari_exporter/internal/pgtest"
	"github.com/clari-exporter/clari_exporter/store"
)

// Test timings: short, so the tests are quick, but with the production
// ratios (lease = 3 × renew).
const (
	testRenew = 300 * time.Millisecond
	testLease = 900 * time.Millisecond
	testPoll  = 50 * time.Millisecond
	testName  = "clari_exporter"
)

// interval is one stretch of leadership of one replica, by local clock.
type interval struct {
	who        string
	term       int64
	start, end time.Time // end zero while leading
}

// recorder logs every replica's leadership intervals and Lead calls.
type recorder struct {
	mu        sync.Mutex
	intervals []interval
}

func (r *recorder) onChange(who string) func(State) {
	return func(st State) {
		r.mu.Lock()
		defer r.mu.Unlock()
		now := time.Now()
		if st.Leader {
			r.intervals = append(r.intervals, interval{who: who, term: st.Term, start: now})
			return
		}
		for i := len(r.intervals) - 1; i >= 0; i-- {
			if r.intervals[i].who == who && r.intervals[i].end.IsZero() {
				r.intervals[i].end = now
				return
			}
		}
	}
}

func (r *recorder) snapshot() []interval {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]interval(nil), r.intervals...)
}

// checkNoOverlap fails when two replicas' leadership intervals overlap or
// a term was led twice.
func (r *recorder) checkNoOverlap(t *testing.T) {
	t.Helper()
	iv := r.snapshot()
	terms := map[int64]string{}
	for i, a := range iv {
		if who, dup := terms[a.term]; dup {
			t.Errorf("term %d led by %s and %s", a.term, who, a.who)
		}
		terms[a.term] = a.who
		for _, b := range iv[i+1:] {
			aEnd, bEnd := a.end, b.end
			if aEnd.IsZero() {
				aEnd = time.Now()
			}
			if bEnd.IsZero() {
				bEnd = time.Now()
			}
			if a.who != b.who && a.start.Before(bEnd) && b.start.Before(aEnd) {
				t.Errorf("two leaders at once: %s term %d [%v, %v] and %s term %d [%v, %v]",
					a.who, a.term, a.start.Format("15:04:05.000"), aEnd.Format("15:04:05.000"),
					b.who, b.term, b.start.Format("15:04:05.000"), bEnd.Format("15:04:05.000"))
			}
		}
	}
}

// replica is one elector with its own store connection.
type replica struct {
	name   string
	e      *Elector
	cancel context.CancelFunc
	done   chan struct{}
	leads  chan context.Context // every Lead call's context
}

func startReplica(t *testing.T, name, dsn string, rec *recorder) *replica {
	t.Helper()
	return startReplicaTimed(t, name, dsn, rec, testLease, testRenew)
}

func startReplicaTimed(t *testing.T, name, dsn string, rec *recorder, lease, renew time.Duration) *replica {
	t.Helper()
	st, err := store.OpenPostgres(context.Background(), dsn, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	r := &replica{name: name, done: make(chan struct{}), leads: make(chan context.Context, 100)}
	r.e, err = New(Options{Lease: st, Name: testName, Holder: name, LeaseDuration: lease, RenewInterval: renew, PollInterval: testPoll,
		OnChange: rec.onChange(name),
		Lead: func(ctx context.Context, term int64) {
			r.leads <- ctx
			<-ctx.Done()
		}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	go func() { defer close(r.done); _ = r.e.Run(ctx) }()
	t.Cleanup(r.stop)
	return r
}

func (r *replica) stop() {
	r.cancel()
	<-r.done
}

func waitUntil(t *testing.T, timeout time.Duration, what string, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for !cond() {
		if time.Since(start) > timeout {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
	return time.Since(start)
}

func leaders(rs ...*replica) []string {
	var out []string
	for _, r := range rs {
		if r.e.State().Leader {
			out = append(out, r.name)
		}
	}
	return out
}

// One leader at a time; a graceful stop releases the lease and the other
// replica takes over at once (well within 2 s), as a newer term.
func TestGracefulHandover(t *testing.T) {
	dsn, _ := pgtest.Fresh(t)
	rec := &recorder{}
	a := startReplica(t, "a", dsn, rec)
	waitUntil(t, 10*time.Second, "a to lead", func() bool { return a.e.State().Leader })
	b := startReplica(t, "b", dsn, rec)
	<-a.leads

	// b stays follower while a renews, for several lease durations.
	deadline := time.Now().Add(4 * testLease)
	for time.Now().Before(deadline) {
		if l := leaders(a, b); len(l) != 1 || l[0] != "a" {
			t.Fatalf("leaders %v while a renews, want [a]", l)
		}
		time.Sleep(20 * time.Millisecond)
	}
	termA := a.e.State().Term

	stopped := time.Now()
	a.stop()
	if a.e.State().Leader || a.e.Leading(termA) {
		t.Fatal("a still leads after its Run returned")
	}
	took := waitUntil(t, 2*time.Second, "b to take over after a's graceful stop", func() bool { return b.e.State().Leader })
	t.Logf("takeover %v after a stopped (poll %v)", time.Since(stopped), testPoll)
	if took >= testLease-testRenew {
		t.Errorf("takeover took %v: the lease was not released (it would lapse after %v)", took, testLease)
	}
	if st := b.e.State(); st.Term != termA+1 || st.Transitions != 1 {
		t.Fatalf("b state %+v, want term %d and one transition", st, termA+1)
	}
	select {
	case ctx := <-b.leads:
		if ctx.Err() != nil {
			t.Fatal("b's Lead context is already done")
		}
	case <-time.After(2 * time.Second):
		t.Fatal("b's Lead was not called")
	}
	rec.checkNoOverlap(t)
}

// A lease row edited behind the leader's back (a newer term for someone
// else) makes the leader step down at its next renewal, and its Lead
// context ends.
func TestLeaderStepsDownWhenTermTakenOver(t *testing.T) {
	dsn, schema := pgtest.Fresh(t)
	rec := &recorder{}
	a := startReplica(t, "a", dsn, rec)
	waitUntil(t, 10*time.Second, "a to lead", func() bool { return a.e.State().Leader })
	lctx := <-a.leads
	term := a.e.State().Term
	if _, err := pgtest.Admin(t).Exec(fmt.Sprintf(`UPDATE %s.leader_lease SET holder = 'intruder', term = term + 1,
		expires_at = clock_timestamp() + interval '1 hour'`, schema)); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, 10*testRenew, "a to step down", func() bool { return !a.e.State().Leader })
	if a.e.Leading(term) {
		t.Fatal("Leading(term) still true")
	}
	select {
	case <-lctx.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("a's Lead context did not end")
	}
	// a keeps following: the intruder's lease runs for an hour.
	time.Sleep(3 * testLease)
	if a.e.State().Leader {
		t.Fatal("a took a running lease")
	}
}

// The leader loses PostgreSQL (a partition: its connections hang): it
// stops leading within its trust window, before its lease can expire
// anywhere else; the other replica takes over after the lease lapsed.
// Sampled every 100 ms, and by the exact intervals, there are never two
// leaders, also after the partition heals.
func TestPartitionedLeaderStepsDownBeforeTakeover(t *testing.T) {
	const lease, renew = 3 * time.Second, time.Second // the smallest the config allows
	dsn, _ := pgtest.Fresh(t)
	proxy := pgtest.NewProxy(t, pgtest.Server(t, dsn))
	rec := &recorder{}
	a := startReplicaTimed(t, "a", pgtest.WithHost(t, dsn, proxy.Addr()), rec, lease, renew)
	waitUntil(t, 10*time.Second, "a to lead", func() bool { return a.e.State().Leader })
	alead := <-a.leads
	b := startReplicaTimed(t, "b", dsn, rec, lease, renew)

	stop := make(chan struct{})
	sampled := make(chan error, 1)
	go func() {
		var err error
		for n := 0; ; n++ {
			select {
			case <-stop:
				sampled <- err
				return
			case <-time.After(100 * time.Millisecond):
			}
			if l := leaders(a, b); len(l) > 1 && err == nil {
				err = fmt.Errorf("sample %d: two leaders %v", n, l)
			}
		}
	}()

	time.Sleep(2 * renew) // a renews through the proxy meanwhile
	cut := time.Now()
	proxy.Cut()
	waitUntil(t, 4*lease, "a to step down", func() bool { return !a.e.State().Leader })
	down := time.Since(cut)
	select {
	case <-alead.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("a's Lead context did not end")
	}
	waitUntil(t, 10*lease, "b to take over", func() bool { return b.e.State().Leader })
	up := time.Since(cut)
	t.Logf("a stepped down %v after the cut (trust window %v), b took over after %v", down, a.e.TrustWindow(), up)
	if down >= lease {
		t.Errorf("a stepped down %v after the cut: past the lease duration %v, when others may take over", down, lease)
	}

	proxy.Heal()
	time.Sleep(3 * lease) // a reconnects, finds b's lease running and follows
	if l := leaders(a, b); len(l) != 1 || l[0] != "b" {
		t.Errorf("leaders after the heal: %v, want [b]", l)
	}
	close(stop)
	if err := <-sampled; err != nil {
		t.Error(err)
	}
	rec.checkNoOverlap(t)
}
