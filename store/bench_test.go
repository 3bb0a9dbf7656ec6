package store

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// benchBackends runs a benchmark per backend, as sub-benchmarks named
// after the backend (the PostgreSQL one needs CLARI_TEST_POSTGRES_DSN).
func benchBackends(b *testing.B, fn func(b *testing.B, be backend)) {
	for _, be := range backends {
		b.Run(be.name, func(b *testing.B) { fn(b, be) })
	}
}

// BenchmarkTargetStates reads the state of 10 forecasts × 5 periods with 20
// fields × 2 data types (forecast, quota) in each latest snapshot and 20 runs of history per
// target: what one (uncached) scrape, or one follower sync, costs.
func BenchmarkTargetStates(b *testing.B) { benchBackends(b, benchTargetStates) }

func benchTargetStates(b *testing.B, be backend) {
	s, _ := openStore(b, be)
	ctx := context.Background()
	fields := map[string]float64{}
	for f := range 20 {
		fields[fmt.Sprintf("field_%02d", f)] = float64(f * 1000)
	}
	for fc := range 10 {
		for p := range 5 {
			forecast, period := fmt.Sprintf("forecast_%d", fc), fmt.Sprintf("2026_Q%d", p)
			for r := range 20 {
				at := t0.Add(time.Duration(r) * time.Hour)
				job := fmt.Sprintf("%s-%s-%d", forecast, period, r)
				if r%4 == 3 {
					mustFinish(b, s, failRun(forecast, period, job, "timeout", at), nil)
					continue
				}
				sn := mkSnap(forecast, period, job, at, fields)
				mustFinish(b, s, okRun(forecast, period, job, at, sn.Rows), sn)
			}
			if err := s.RecordSkip(ctx, forecast, period, "quota_reserve", t0); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		states, err := s.TargetStates(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if len(states) != 50 || states[0].Latest == nil || len(states[0].Latest.Totals) != 40 {
			b.Fatalf("unexpected states: %d", len(states))
		}
	}
}

// BenchmarkFinishRun records one successful run with a snapshot of 20
// fields × 2 data types, on a store keeping the default 100 runs per
// target (so pruning runs too): the commit at the end of every export.
func BenchmarkFinishRun(b *testing.B) { benchBackends(b, benchFinishRun) }

func benchFinishRun(b *testing.B, be backend) {
	s, _ := openStore(b, be)
	fields := map[string]float64{}
	for f := range 20 {
		fields[fmt.Sprintf("field_%02d", f)] = float64(f * 1000)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		at := t0.Add(time.Duration(i) * time.Minute)
		job := fmt.Sprintf("job-%d", i)
		sn := mkSnap("net_arr", "2026_Q4", job, at, fields)
		mustFinish(b, s, okRun("net_arr", "2026_Q4", job, at, sn.Rows), sn)
		i++
	}
}
