package store

import (
	"context"
	"errors"
	"reflect"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestIntentLifecycle(t *testing.T) { forEachBackend(t, testIntentLifecycle) }

func testIntentLifecycle(t *testing.T, b backend) {
	s, loc := openStore(t, b)
	ctx := context.Background()
	a := Intent{Forecast: "f", Period: "2026_Q4", RequestedAt: t0, Request: []byte(`{"timePeriod":"2026_Q4"}`), Term: 3, Holder: "r1"}
	c := Intent{Forecast: "f", Period: "2026_Q3", RequestedAt: t0.Add(time.Second), Request: []byte(`{}`), Term: 4, Holder: "r2"}
	for _, in := range []Intent{a, c} {
		if err := s.PutIntent(ctx, in); err != nil {
			t.Fatal(err)
		}
	}
	// One intent per target: a second is refused and changes nothing.
	dup := a
	dup.RequestedAt, dup.Term, dup.Holder = t0.Add(time.Minute), 9, "r9"
	if err := s.PutIntent(ctx, dup); !errors.Is(err, ErrIntentExists) {
		t.Fatalf("second intent for a target: %v, want ErrIntentExists", err)
	}
	got, err := s.Intents(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := []Intent{c, a}; !reflect.DeepEqual(got, want) {
		t.Fatalf("intents\n got %+v\nwant %+v", got, want)
	}

	// They survive a restart.
	s.Close()
	s, err = b.openAt(loc)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if got, _ := s.Intents(ctx); len(got) != 2 {
		t.Fatalf("intents after reopen: %+v", got)
	}

	// A stale clear (another request time) leaves the intent.
	if err := s.ClearIntent(ctx, "f", "2026_Q4", t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Intents(ctx); len(got) != 2 {
		t.Fatalf("a stale clear dropped an intent: %+v", got)
	}
	// The job id persisted resolves the intent in the same transaction.
	if err := s.PutInFlight(ctx, InFlight{Forecast: "f", Period: "2026_Q4", JobID: "j1", CreatedAt: t0, Request: a.Request}); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Intents(ctx); !reflect.DeepEqual(got, []Intent{c}) {
		t.Fatalf("intents after the job id was stored: %+v", got)
	}
	// Reconciliation found no job: cleared.
	if err := s.ClearIntent(ctx, "f", "2026_Q3", c.RequestedAt); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Intents(ctx); len(got) != 0 {
		t.Fatalf("intents after clear: %+v", got)
	}
	// Resolved: the target may get its next intent, the re-queue of its job
	// in flight.
	dup.Replaces = "j1"
	if err := s.PutIntent(ctx, dup); err != nil {
		t.Fatalf("intent after resolution: %v", err)
	}
	if err := s.PutIntent(ctx, Intent{Forecast: "f"}); err == nil {
		t.Fatal("intent without a request time accepted")
	}
}

// Many writers (replicas, or leaders of a split brain) race to record an
// intent for the same targets: exactly one wins per target.
func TestIntentUniqueUnderRace(t *testing.T) { forEachBackend(t, testIntentUniqueUnderRace) }

func testIntentUniqueUnderRace(t *testing.T, b backend) {
	s, _ := openStore(t, b)
	ctx := context.Background()
	const writers, targets = 6, 5
	var won, lost atomic.Int64
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for p := range targets {
				err := s.PutIntent(ctx, Intent{Forecast: "f", Period: string(rune('a' + p)), RequestedAt: t0.Add(time.Duration(w) * time.Second), Term: int64(w + 1)})
				switch {
				case err == nil:
					won.Add(1)
				case errors.Is(err, ErrIntentExists):
					lost.Add(1)
				default:
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	if won.Load() != targets || lost.Load() != (writers-1)*targets {
		t.Fatalf("%d intents won, %d refused; want %d and %d", won.Load(), lost.Load(), targets, (writers-1)*targets)
	}
	if n := countRows(t, s, "intents"); n != targets {
		t.Fatalf("%d intent rows, want %d", n, targets)
	}
}

// The slot guard: a writer that looked at the target before another
// process exported it (the other's intent already resolved: its job in
// flight, or its run recorded) is refused, changing nothing; the re-queue
// of the writer's own job in flight is not.
func TestIntentSlotGuard(t *testing.T) { forEachBackend(t, testIntentSlotGuard) }

func testIntentSlotGuard(t *testing.T, b backend) {
	s, _ := openStore(t, b)
	ctx := context.Background()
	in := Intent{Forecast: "f", Period: "p", RequestedAt: t0, Term: 2, Holder: "loser"}
	if err := s.PutInFlight(ctx, InFlight{Forecast: "f", Period: "p", JobID: "j1", CreatedAt: t0}); err != nil {
		t.Fatal(err)
	}
	for _, replaces := range []string{"", "j0"} {
		in.Replaces = replaces
		if err := s.PutIntent(ctx, in); !errors.Is(err, ErrSlotTaken) {
			t.Fatalf("intent (replacing %q) while another job is in flight: %v, want ErrSlotTaken", replaces, err)
		}
	}
	if n := countRows(t, s, "intents"); n != 0 {
		t.Fatalf("a refused intent left %d rows", n)
	}
	// The job's run is recorded: a writer that saw no run is refused.
	if err := s.FinishRun(ctx, okRun("f", "p", "j1", t0, 1), nil); err != nil {
		t.Fatal(err)
	}
	in.Replaces = ""
	if err := s.PutIntent(ctx, in); !errors.Is(err, ErrSlotTaken) {
		t.Fatalf("intent after another's run, seen 0 runs: %v, want ErrSlotTaken", err)
	}
	// A writer that saw that run takes the next slot; its re-queue passes
	// the guard once its job is in flight.
	in.SeenRuns = 1
	if err := s.PutIntent(ctx, in); err != nil {
		t.Fatalf("intent for the next slot: %v", err)
	}
	if err := s.PutInFlight(ctx, InFlight{Forecast: "f", Period: "p", JobID: "j2", CreatedAt: t0}); err != nil {
		t.Fatal(err)
	}
	in.Replaces, in.RequestedAt = "j2", t0.Add(time.Minute)
	if err := s.PutIntent(ctx, in); err != nil {
		t.Fatalf("re-queue of the job in flight: %v", err)
	}
	got, err := s.Intents(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Term != 2 || got[0].Holder != "loser" || got[0].SeenRuns != 0 || got[0].Replaces != "" {
		t.Fatalf("intents %+v, want the re-queue's with its term and holder (guard fields not stored)", got)
	}
}

// Every committed write moves the generation, also one made through
// another handle (another replica); a refused write does not.
func TestGenerationMovesWithEveryWrite(t *testing.T) {
	forEachBackend(t, testGenerationMovesWithEveryWrite)
}

func testGenerationMovesWithEveryWrite(t *testing.T, b backend) {
	s, loc := openStore(t, b)
	ctx := context.Background()
	gen := func() uint64 {
		t.Helper()
		g, err := s.Generation(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return g
	}
	g0 := gen()
	writes := []func() error{
		func() error { return s.PutIntent(ctx, Intent{Forecast: "f", Period: "p", RequestedAt: t0}) },
		func() error {
			return s.PutInFlight(ctx, InFlight{Forecast: "f", Period: "p", JobID: "j", CreatedAt: t0})
		},
		func() error { return s.RecordSkip(ctx, "f", "p", "quota_reserve", t0) },
		func() error { return s.RecordRequeue(ctx, "f", "p", t0) },
		func() error { return s.FinishRun(ctx, okRun("f", "p", "j", t0, 1), nil) },
	}
	for i, w := range writes {
		if err := w(); err != nil {
			t.Fatal(err)
		}
		if g := gen(); g != g0+uint64(i)+1 {
			t.Fatalf("after write %d: generation %d, want %d", i, g, g0+uint64(i)+1)
		}
	}
	before := gen()
	if err := s.FinishRun(ctx, okRun("f", "p", "j", t0, 1), nil); !errors.Is(err, ErrAlreadyRecorded) {
		t.Fatal(err)
	}
	if g := gen(); g != before {
		t.Fatalf("a refused write moved the generation %d → %d", before, g)
	}
	if b.name == "postgres" { // a second replica's write is seen through the shared row
		other, err := b.openAt(loc)
		if err != nil {
			t.Fatal(err)
		}
		defer other.Close()
		if err := other.RecordSkip(ctx, "f", "p", "concurrency", t0); err != nil {
			t.Fatal(err)
		}
		if g := gen(); g != before+1 {
			t.Fatalf("another replica's write: generation %d, want %d", g, before+1)
		}
	}
}
