package warehouse

import (
	"context"
	"sync/atomic"
	"testing"
	"time"
)

func TestRunChecksAndChecker(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		w := openWithTable(t, b.cfg(t, "clari_forecast_entries"))
		load := time.Date(2026, 11, 27, 6, 0, 0, 0, time.UTC)
		if _, err := NewSink(w).WriteSlice(ctx, "net_arr", entries("2026_Q4", 4, 0, 1), load); err != nil {
			t.Fatal(err)
		}
		if _, err := NewSink(w).WriteSlice(ctx, "net_arr", entries("2023_Q1", 2, 0, 1), load.Add(-time.Hour)); err != nil {
			t.Fatal(err)
		}
		var calls atomic.Int32
		const expect = 4
		c := NewChecker(w, func() CheckInput {
			calls.Add(1)
			return CheckInput{CurrentPeriod: "2026_Q4", Expected: []Expected{{"net_arr", "2026_Q4", expect}}}
		}, 20*time.Millisecond, nil)
		if !c.Last().RanAt.IsZero() {
			t.Fatal("Last before any run should be empty")
		}
		res := c.RunNow(ctx)
		if !res.OK() {
			t.Fatalf("RunNow errors: %v", res.Errors)
		}
		if len(res.Reconciliations) != 1 || res.Reconciliations[0].Actual != 4 || res.Reconciliations[0].MismatchRatio != 0 {
			t.Errorf("reconciliations = %+v", res.Reconciliations)
		}
		if len(res.BeyondRetention) != 1 || res.BeyondRetention[0] != "2023_Q1" {
			t.Errorf("beyond retention = %v, want [2023_Q1] (8 quarters by default)", res.BeyondRetention)
		}
		if !res.LastLoad.Equal(load) || res.DuplicateKeys != 0 || !res.Ran(CheckFreshness) {
			t.Errorf("result = %+v", res)
		}
		if got := c.Last(); got.RanAt != res.RanAt {
			t.Error("Last does not return the stored run")
		}

		// The scheduled loop runs again every interval.
		runCtx, cancel := context.WithCancel(ctx)
		done := make(chan struct{})
		before := calls.Load()
		go func() { c.Run(runCtx); close(done) }()
		deadline := time.After(5 * time.Second)
		for calls.Load() < before+3 {
			select {
			case <-deadline:
				t.Fatalf("Run did not repeat within 5s (%d runs)", calls.Load()-before)
			case <-time.After(5 * time.Millisecond):
			}
		}
		c.Trigger()
		cancel()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Fatal("Run did not stop after cancel")
		}
	})
}

func TestRunChecksCapturesEachCheckSeparately(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		w := openWithTable(t, b.cfg(t, "clari_forecast_entries"))
		// A malformed current period fails only the retention check.
		res := w.RunChecks(context.Background(), CheckInput{CurrentPeriod: "Q4", Expected: []Expected{{"f", "2026_Q4", 1}}})
		if res.Errors[CheckRetention] == nil || len(res.Errors) != 1 {
			t.Errorf("errors = %v, want only retention", res.Errors)
		}
		if len(res.Reconciliations) != 1 || res.Reconciliations[0].MismatchRatio != 1 || !res.Ran(CheckReconciliation) || res.Ran(CheckRetention) {
			t.Errorf("other checks should still report: %+v", res)
		}
	})
}

func TestCheckerRetriesSoonerAfterAFailedRun(t *testing.T) {
	w := openTest(t, sqliteBackend.cfg(t, "clari_forecast_entries")) // no table: every run fails
	var calls atomic.Int32
	c := NewChecker(w, func() CheckInput { calls.Add(1); return CheckInput{CurrentPeriod: "2026_Q4"} }, time.Hour, nil)
	if c.retry != errorRetryInterval {
		t.Errorf("retry = %v, want %v", c.retry, errorRetryInterval)
	}
	c.retry = 10 * time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go c.Run(ctx)
	deadline := time.After(5 * time.Second)
	for calls.Load() < 3 {
		select {
		case <-deadline:
			t.Fatalf("a failing warehouse was checked %d times in 5s with a 10ms retry and a 1h interval", calls.Load())
		case <-time.After(5 * time.Millisecond):
		}
	}
	if res := c.Last(); res.Errors[CheckConnect] == nil {
		t.Errorf("Last().Errors = %v, want the missing table under connect", res.Errors)
	}
}
