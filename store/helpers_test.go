package store

import (
	"context"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/clari-exporter/clari_exporter/snapshot"
)

var t0 = time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)

func openTemp(t testing.TB, opts ...Option) (*SQLite, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "sub", "state.db")
	s, err := OpenSQLite(path, nil, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, path
}

// mkSnap is a snapshot of job with the given forecast totals (and a quota
// total of 10× each), created at created.
func mkSnap(forecast, period, job string, created time.Time, totals map[string]float64) *snapshot.Snapshot {
	s := &snapshot.Snapshot{
		Forecast: forecast, Period: period, JobID: job, CreatedAt: created,
		Rows: 10 * len(totals), DuplicateRows: 1, LatestWeek: "TF:2026-11-23",
		Periods: []string{period}, RowsByPeriod: map[string]int{period: 10 * len(totals)},
	}
	for f, v := range totals {
		s.Totals = append(s.Totals,
			snapshot.Total{Field: f, DataType: "forecast", Value: v},
			snapshot.Total{Field: f, DataType: "quota", Value: 10 * v})
	}
	snapshot.SortTotals(s.Totals)
	return s
}

func okRun(forecast, period, job string, finished time.Time, rows int) Run {
	return Run{Forecast: forecast, Period: period, JobID: job, Outcome: OutcomeDone,
		StartedAt: finished.Add(-90 * time.Second), FinishedAt: finished, Rows: rows}
}

func failRun(forecast, period, job, reason string, finished time.Time) Run {
	return Run{Forecast: forecast, Period: period, JobID: job, Outcome: reason,
		StartedAt: finished.Add(-time.Minute), FinishedAt: finished}
}

func mustFinish(t testing.TB, s Store, r Run, snap *snapshot.Snapshot) {
	t.Helper()
	if err := s.FinishRun(context.Background(), r, snap); err != nil {
		t.Fatalf("FinishRun(%s): %v", r.JobID, err)
	}
}

func stateOf(t testing.TB, s Store, forecast, period string) TargetState {
	t.Helper()
	states, err := s.TargetStates(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range states {
		if st.Forecast == forecast && st.Period == period {
			return st
		}
	}
	t.Fatalf("no state for %s/%s in %+v", forecast, period, states)
	return TargetState{}
}

func assertSnapEqual(t testing.TB, got, want *snapshot.Snapshot) {
	t.Helper()
	if got == nil || want == nil {
		if got != want {
			t.Fatalf("snapshot: got %+v, want %+v", got, want)
		}
		return
	}
	g, w := *got, *want
	if !g.CreatedAt.Equal(w.CreatedAt) {
		t.Fatalf("created at %v, want %v", g.CreatedAt, w.CreatedAt)
	}
	g.CreatedAt, w.CreatedAt = time.Time{}, time.Time{}
	if !reflect.DeepEqual(g, w) {
		t.Fatalf("snapshot\n got %+v\nwant %+v", g, w)
	}
}
