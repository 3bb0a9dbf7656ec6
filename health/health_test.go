package health

import (
	"context"
	"errors"
	"reflect"
	"sync/atomic"
	"testing"
	"time"

	"github.com/clari-exporter/clari_exporter/clari"
	"github.com/clari-exporter/clari_exporter/health/probe"
)

var sampleLimits = clari.Limits{ConcurrentLimit: 3, MonthlyQuota: 1000, AvailableConcurrentLimit: 2, AvailableMonthlyQuota: 640}

// fakeAPI answers /admin/limits with limits, or err; block makes it hang
// until its context ends.
type fakeAPI struct {
	calls atomic.Int32
	err   atomic.Pointer[error]
	block atomic.Bool
	gate  chan struct{} // when set, each call waits for a receive
}

func (f *fakeAPI) Limits(ctx context.Context) (clari.Limits, error) {
	f.calls.Add(1)
	if f.gate != nil {
		select {
		case <-f.gate:
		case <-ctx.Done():
			return clari.Limits{}, ctx.Err()
		}
	}
	if f.block.Load() {
		<-ctx.Done()
		return clari.Limits{}, ctx.Err()
	}
	if e := f.err.Load(); e != nil {
		return clari.Limits{}, *e
	}
	return sampleLimits, nil
}

func TestReadingBeforeAndAfterFresh(t *testing.T) {
	api := &fakeAPI{}
	m := New(Options{API: api, Interval: time.Hour, Timeout: time.Second})
	if r := m.Last(); r.Probe.Done || r.Probe.OK {
		t.Fatalf("before any reading: %+v", r)
	}
	lim, err := m.Fresh(context.Background())
	if err != nil || !reflect.DeepEqual(lim, sampleLimits) {
		t.Fatalf("Fresh = %+v, %v", lim, err)
	}
	if r := m.Last(); !r.Probe.OK || !reflect.DeepEqual(r.Limits, sampleLimits) {
		t.Errorf("published reading %+v, want the fresh one", r)
	}
	// The metrics side reads the quota from the plain value: each of
	// Clari's four numbers lands in its own field.
	wantQuota := probe.Quota{MonthlyAvailable: 640, MonthlyLimit: 1000, ConcurrentAvailable: 2, ConcurrentLimit: 3}
	if r := m.Last(); r.Probe.Quota != wantQuota || r.Probe.Took < 0 || r.Probe.Ended.IsZero() {
		t.Errorf("published probe value %+v, want quota %+v and a finish time", r.Probe, wantQuota)
	}
	select {
	case <-m.First():
	default:
		t.Error("First not closed after a reading")
	}
	failure := errors.New("401 Unauthorized")
	api.err.Store(&failure)
	if _, err := m.Fresh(context.Background()); !errors.Is(err, failure) {
		t.Errorf("Fresh err = %v, want the API's", err)
	}
	if r := m.Last(); r.Probe.OK || !r.Probe.Done || !reflect.DeepEqual(r.Limits, clari.Limits{}) {
		t.Errorf("after a failure: %+v, want done, not ok, no stale limits", r)
	}
	if r := m.Last(); r.Probe.Quota != (probe.Quota{}) {
		t.Errorf("after a failure the published quota is %+v, want none (no stale quota gauges)", r.Probe.Quota)
	}
	if lim, err := m.Cached(context.Background()); err == nil || !reflect.DeepEqual(lim, clari.Limits{}) {
		t.Errorf("Cached = %+v, %v: want the latest (failed) reading", lim, err)
	}
	if n := api.calls.Load(); n != 2 {
		t.Errorf("%d calls, want 2 (Cached reuses the reading)", n)
	}
}

func TestConcurrentCallersShareOneReading(t *testing.T) {
	api := &fakeAPI{gate: make(chan struct{})}
	m := New(Options{API: api, Interval: time.Hour, Timeout: 10 * time.Second})
	done := make(chan error, 5)
	for range 5 {
		go func() { _, err := m.Fresh(context.Background()); done <- err }()
	}
	time.Sleep(50 * time.Millisecond) // let every caller join
	api.gate <- struct{}{}
	for range 5 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	if n := api.calls.Load(); n != 1 {
		t.Errorf("%d calls for 5 concurrent callers, want 1", n)
	}
}

// A hung Clari never blocks a reader of Last; a caller of Fresh waits only
// as long as its own context allows.
func TestHungClariNeverBlocksReaders(t *testing.T) {
	api := &fakeAPI{}
	api.block.Store(true)
	m := New(Options{API: api, Interval: time.Hour, Timeout: time.Hour})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := m.Fresh(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Fresh with a hung Clari = %v, want the caller's deadline", err)
	}
	got := make(chan *Reading, 1)
	go func() { got <- m.Last() }()
	select {
	case r := <-got:
		if r.Probe.Done {
			t.Errorf("reading %+v while the only call hangs", r)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Last blocked while Clari hangs")
	}
}

// Run refreshes every interval, and SetTiming changes the interval live.
func TestRunRefreshesEveryIntervalAndFollowsSetTiming(t *testing.T) {
	api := &fakeAPI{}
	m := New(Options{API: api, Interval: time.Hour, Timeout: time.Second})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); m.Run(ctx) }()
	defer func() { cancel(); <-done }()
	<-m.First()
	time.Sleep(100 * time.Millisecond)
	if n := api.calls.Load(); n != 1 {
		t.Fatalf("%d readings within 100 ms of a 1 h interval, want 1", n)
	}
	m.SetTiming(10*time.Millisecond, time.Second)
	deadline := time.Now().Add(10 * time.Second)
	for api.calls.Load() < 4 {
		if time.Now().After(deadline) {
			t.Fatalf("only %d readings in 10 s after the interval became 10 ms", api.calls.Load())
		}
		time.Sleep(5 * time.Millisecond)
	}
}
