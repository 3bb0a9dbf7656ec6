package store

import (
	"context"
	"testing"
)

// watchStore is the part of a backend the pipeline watch uses.
type watchStore interface {
	Store
	LoadWatchState(ctx context.Context, name string) ([]byte, error)
	SaveWatchState(ctx context.Context, name string, doc []byte) error
	OwnJobIDs(ctx context.Context) (map[string]bool, error)
}

func TestWatchStateSurvivesReopen(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		s0, loc := openStore(t, b)
		s := s0.(watchStore)
		if doc, err := s.LoadWatchState(ctx, "pipeline"); err != nil || doc != nil {
			t.Fatalf("fresh store: %q, %v", doc, err)
		}
		if err := s.SaveWatchState(ctx, "pipeline", []byte(`{"v":1}`)); err != nil {
			t.Fatal(err)
		}
		if err := s.SaveWatchState(ctx, "pipeline", []byte(`{"v":2}`)); err != nil {
			t.Fatal(err)
		}
		s.Close()
		r, err := b.openAt(loc)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		s2 := r.(watchStore)
		if doc, err := s2.LoadWatchState(ctx, "pipeline"); err != nil || string(doc) != `{"v":2}` {
			t.Fatalf("after reopen: %q, %v", doc, err)
		}
		if doc, err := s2.LoadWatchState(ctx, "other"); err != nil || doc != nil {
			t.Fatalf("other name: %q, %v", doc, err)
		}
	})
}

func TestOwnJobIDs(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		s0, _ := openStore(t, b)
		s := s0.(watchStore)
		mustFinish(t, s, okRun("f", "2026_Q4", "job-done", t0, 3), mkSnap("f", "2026_Q4", "job-done", t0, map[string]float64{"a": 1}))
		mustFinish(t, s, failRun("f", "2026_Q3", "", "api_error", t0), nil)
		if err := s.PutInFlight(ctx, InFlight{Forecast: "f", Period: "2026_Q1", JobID: "job-running", CreatedAt: t0}); err != nil {
			t.Fatal(err)
		}
		ids, err := s.OwnJobIDs(ctx)
		if err != nil || len(ids) != 2 || !ids["job-done"] || !ids["job-running"] {
			t.Fatalf("%v, %v", ids, err)
		}
		s.Close()
		if _, err := s.OwnJobIDs(ctx); err == nil {
			t.Fatal("closed store answered")
		}
	})
}
