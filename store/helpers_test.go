package store

import (
	"context"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/clari-exporter/clari_exporter/internal/pgtest"
	"github.com/clari-exporter/clari_exporter/snapshot"
)

var t0 = time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)

// backend is one Store implementation the contract suite runs against.
type backend struct {
	name string
	// fresh returns where a new, empty store for t lives: a temp file
	// path, or a DSN whose search_path is a schema of its own (dropped at
	// cleanup), since CI's role owns one database and may not create more.
	fresh func(t testing.TB) string
	// openAt opens the store at a location fresh returned.
	openAt func(loc string, opts ...Option) (Store, error)
}

var sqliteBackend = backend{
	name:  "sqlite",
	fresh: func(t testing.TB) string { return filepath.Join(t.TempDir(), "sub", "state.db") },
	openAt: func(loc string, opts ...Option) (Store, error) {
		s, err := OpenSQLite(loc, nil, opts...)
		if err != nil {
			return nil, err
		}
		return s, nil
	},
}

var postgresBackend = backend{
	name:  "postgres",
	fresh: func(t testing.TB) string { dsn, _ := pgtest.Fresh(t); return dsn },
	openAt: func(loc string, opts ...Option) (Store, error) {
		s, err := OpenPostgres(context.Background(), loc, nil, opts...)
		if err != nil {
			return nil, err
		}
		return s, nil
	},
}

var backends = []backend{sqliteBackend, postgresBackend}

// forEachBackend runs a contract test once per backend, as subtests named
// after the backend.
func forEachBackend(t *testing.T, fn func(t *testing.T, b backend)) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) { fn(t, b) })
	}
}

// openStore opens a fresh store of backend b, closed at cleanup.
func openStore(t testing.TB, b backend, opts ...Option) (Store, string) {
	t.Helper()
	loc := b.fresh(t)
	s, err := b.openAt(loc, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, loc
}

// openTemp opens a fresh SQLite store (for the SQLite-only tests).
func openTemp(t testing.TB, opts ...Option) (*SQLite, string) {
	t.Helper()
	s, loc := openStore(t, sqliteBackend, opts...)
	return s.(*SQLite), loc
}

// WithRetention keeps the newest n runs per target (and their snapshots);
// older ones are deleted when a run is finished. The run holding a target's
// latest snapshot is never deleted. n <= 0 keeps everything.
func WithRetention(n int) Option {
	return func(c *core) { c.runsPerTarget = n }
}

// base gives tests the shared implementation behind either backend.
func (c *core) base() *core { return c }

// raw is the SQL implementation behind s.
func raw(s Store) *core { return s.(interface{ base() *core }).base() }

// rawExec runs a statement written with ? placeholders on s's database.
func rawExec(t testing.TB, s Store, q string, args ...any) {
	t.Helper()
	c := raw(s)
	if _, err := c.db.Exec(c.d.bind(q), args...); err != nil {
		t.Fatal(err)
	}
}

// countRows is a test helper for raw table sizes.
func countRows(t testing.TB, s Store, table string) int {
	t.Helper()
	var n int
	if err := raw(s).db.QueryRow(`SELECT COUNT(*) FROM ` + table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
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
	// The one-target read must say the same as the full one.
	one, err := s.TargetState(context.Background(), forecast, period)
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range states {
		if st.Forecast == forecast && st.Period == period {
			if !reflect.DeepEqual(one, st) {
				t.Fatalf("TargetState(%s, %s)\n = %+v\nTargetStates has %+v", forecast, period, one, st)
			}
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
