package warehouse

import (
	"context"
	"testing"
	"time"
)

// TestServiceLeavesTheHandleOpen: the service runs once per leader term on
// the pool its opener gave it. After a run ends, a second run on the same
// Warehouse connects and checks again, and the sink still writes: the
// service closed nothing it did not open.
func TestServiceLeavesTheHandleOpen(t *testing.T) {
	ctx := context.Background()
	w := openWithTable(t, sqliteBackend.cfg(t, "clari_forecast_entries"))
	s := NewService(w, func() CheckInput { return CheckInput{CurrentPeriod: "2026_Q4"} },
		func(time.Time) string { return "2026_Q4" }, nil)

	for term := 1; term <= 2; term++ {
		started := time.Now()
		termCtx, end := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() { s.Run(termCtx); close(done) }()
		s.Trigger()
		deadline := time.Now().Add(10 * time.Second)
		for st := s.State(); st.RanAt.Before(started) || !st.Measured; st = s.State() {
			if time.Now().After(deadline) {
				t.Fatalf("term %d: no successful check run within 10 s: %+v", term, s.checker.Last().Errors)
			}
			time.Sleep(10 * time.Millisecond)
		}
		end()
		<-done
		if _, err := NewSink(w).WriteSlice(ctx, "net_arr", entries("2026_Q4", 2, 0, 1), time.Now()); err != nil {
			t.Fatalf("after term %d the sink cannot write: %v", term, err)
		}
	}
}
