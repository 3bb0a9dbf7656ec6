package every

import (
	"context"
	"sync/atomic"
	"testing"
	"time"
)

func TestRunCallsAtOnceThenEveryIntervalUntilCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var calls atomic.Int32
	done := make(chan struct{})
	go func() {
		defer close(done)
		Run(ctx, 10*time.Millisecond, func(context.Context) {
			if calls.Add(1) == 3 {
				cancel()
			}
		})
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after ctx was cancelled")
	}
	if n := calls.Load(); n != 3 {
		t.Errorf("fn called %d times, want 3 (at once, then twice on the ticker, none after cancel)", n)
	}
}
