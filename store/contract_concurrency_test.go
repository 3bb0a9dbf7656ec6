package store

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Writers on several targets, racing finishers of the same job and readers
// scraping at the same time: every run is counted once, readers always see
// a consistent state, and nothing fails with "database is locked".
func TestConcurrentAccess(t *testing.T) { forEachBackend(t, testConcurrentAccess) }

func testConcurrentAccess(t *testing.T, b backend) {
	s, _ := openStore(t, b)
	ctx := context.Background()
	const writers, perWriter = 4, 6

	var wg sync.WaitGroup
	var alreadyRecorded atomic.Int64
	errs := make(chan error, 1000)
	stop := make(chan struct{})

	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f, p := "f", fmt.Sprintf("p%d", w%2)
			for i := range perWriter {
				at := t0.Add(time.Duration(w*perWriter+i) * time.Second)
				job := fmt.Sprintf("w%d-%d", w, i)
				if err := s.FinishRun(ctx, okRun(f, p, job, at, i), mkSnap(f, p, job, at, map[string]float64{"a": float64(i)})); err != nil {
					errs <- err
				}
				// Every writer also tries to finish one shared job per round.
				shared := fmt.Sprintf("shared-%d", i)
				err := s.FinishRun(ctx, failRun("f", "shared", shared, "timeout", at), nil)
				switch {
				case errors.Is(err, ErrAlreadyRecorded):
					alreadyRecorded.Add(1)
				case err != nil:
					errs <- err
				}
				if err := s.RecordSkip(ctx, f, p, "concurrency", at); err != nil {
					errs <- err
				}
			}
		}()
	}

	var readers sync.WaitGroup
	for range 2 {
		readers.Add(1)
		go func() {
			defer readers.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				states, err := s.TargetStates(ctx)
				if err != nil {
					errs <- err
					return
				}
				for _, st := range states {
					// The latest snapshot and the counters come from one
					// read transaction: a snapshot implies its run counted.
					if st.Latest != nil && st.Runs == 0 {
						errs <- fmt.Errorf("%s/%s: snapshot without a counted run", st.Forecast, st.Period)
					}
				}
				if _, err := s.LatestSnapshots(ctx); err != nil {
					errs <- err
				}
				time.Sleep(time.Millisecond) // a scrape loop, not a spin
			}
		}()
	}
	wg.Wait()
	close(stop)
	readers.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}

	if got := alreadyRecorded.Load(); got != (writers-1)*perWriter {
		t.Fatalf("%d duplicate finishes refused, want %d", got, (writers-1)*perWriter)
	}
	total := uint64(0)
	for _, p := range []string{"p0", "p1"} {
		st := stateOf(t, s, "f", p)
		if st.Runs != writers/2*perWriter || st.Skips["concurrency"] != writers/2*perWriter {
			t.Fatalf("%s: runs %d skips %v, want %d each", p, st.Runs, st.Skips, writers/2*perWriter)
		}
		total += st.Runs
	}
	if sh := stateOf(t, s, "f", "shared"); sh.Runs != perWriter || sh.Failures["timeout"] != perWriter {
		t.Fatalf("shared jobs counted %d times, want %d", sh.Runs, perWriter)
	}
	if n := countRows(t, s, "runs"); n != int(total)+perWriter {
		t.Fatalf("%d run rows", n)
	}
}
