package store

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/clari-exporter/clari_exporter/snapshot"
)

func TestPruneDepartedTargets(t *testing.T) { forEachBackend(t, testPruneDepartedTargets) }

// testPruneDepartedTargets: a target that left the config and saw nothing
// for the retention period loses its runs, snapshots, state and counters;
// a configured one, a recently active one and one with a job in flight or
// a create intent keep everything.
func testPruneDepartedTargets(t *testing.T, b backend) {
	s, _ := openStore(t, b)
	ctx := context.Background()
	day := 24 * time.Hour
	before := t0.Add(90 * day)

	// Departed long ago, with snapshots: pruned.
	mustFinish(t, s, okRun("f", "2025_Q1", "old1", t0, 10), snapWithTypes("f", "2025_Q1", "old1", t0, map[string]float64{"a": 1, "b": 2}))
	mustFinish(t, s, okRun("f", "2025_Q1", "old2", t0.Add(day), 10), snapWithTypes("f", "2025_Q1", "old2", t0.Add(day), map[string]float64{"a": 1}))
	mustFinish(t, s, failRun("f", "2025_Q1", "old3", "failed", t0.Add(2*day)), nil)
	// Departed, only counted skips: pruned.
	if err := s.RecordSkip(ctx, "h", "2025_Q1", "quota_reserve", t0); err != nil {
		t.Fatal(err)
	}
	// Configured, as old: kept.
	mustFinish(t, s, okRun("f", "2026_Q4", "cur", t0, 10), snapWithTypes("f", "2026_Q4", "cur", t0, map[string]float64{"a": 3}))
	// Departed but active within the retention period (a skip counted
	// after an old run): kept.
	mustFinish(t, s, okRun("f", "2025_Q2", "recent", t0, 10), snapWithTypes("f", "2025_Q2", "recent", t0, map[string]float64{"a": 4}))
	if err := s.RecordSkip(ctx, "f", "2025_Q2", "circuit_open", before.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	// Departed and old, but a job is in flight, or a create intent is
	// unresolved: kept.
	mustFinish(t, s, okRun("g", "2025_Q1", "g-old", t0, 10), nil)
	if err := s.PutInFlight(ctx, InFlight{Forecast: "g", Period: "2025_Q1", JobID: "g-running", CreatedAt: t0, Request: []byte(`{}`)}); err != nil {
		t.Fatal(err)
	}
	mustFinish(t, s, okRun("i", "2025_Q1", "i-old", t0, 10), nil)
	if err := s.PutIntent(ctx, Intent{Forecast: "i", Period: "2025_Q1", RequestedAt: t0, Request: []byte(`{}`), SeenRuns: 1}); err != nil {
		t.Fatal(err)
	}

	gen, err := s.Generation(ctx)
	if err != nil {
		t.Fatal(err)
	}
	pruned, err := s.PruneDeparted(ctx, []TargetKey{{"f", "2026_Q4"}}, before)
	if err != nil {
		t.Fatal(err)
	}
	if want := []TargetKey{{"f", "2025_Q1"}, {"h", "2025_Q1"}}; !reflect.DeepEqual(pruned, want) {
		t.Fatalf("pruned %v, want %v", pruned, want)
	}
	states, err := s.TargetStates(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var left []TargetKey
	for _, st := range states {
		left = append(left, TargetKey{st.Forecast, st.Period})
	}
	if want := []TargetKey{{"f", "2025_Q2"}, {"f", "2026_Q4"}, {"g", "2025_Q1"}, {"i", "2025_Q1"}}; !reflect.DeepEqual(left, want) {
		t.Fatalf("targets left %v, want %v", left, want)
	}
	for table, want := range map[string]int{"runs": 4, "inflight": 1, "intents": 1} {
		if n := countRows(t, s, table); n != want {
			t.Errorf("%s: %d rows left, want %d", table, n, want)
		}
	}
	for _, table := range []string{"snapshots", "snapshot_totals", "snapshot_periods", "snapshot_data_types"} {
		if n := countRowsWhere(t, s, table, "job_id IN ('old1', 'old2')"); n != 0 {
			t.Errorf("%s: %d rows of pruned snapshots left", table, n)
		}
		if n := countRowsWhere(t, s, table, "job_id IN ('cur', 'recent')"); n == 0 {
			t.Errorf("%s: the kept snapshots lost their rows", table)
		}
	}
	if n := countRowsWhere(t, s, "counters", "period = '2025_Q1' AND forecast IN ('f', 'h')"); n != 0 {
		t.Errorf("%d counters of pruned targets left", n)
	}
	if g, err := s.Generation(ctx); err != nil || g == gen {
		t.Errorf("generation %d after the prune (was %d), err %v: followers would not re-read", g, gen, err)
	}
	if cur := stateOf(t, s, "f", "2026_Q4"); cur.Latest == nil || cur.Latest.JobID != "cur" || cur.Runs != 1 {
		t.Errorf("configured target changed: %+v", cur)
	}
	// Nothing more to prune.
	if again, err := s.PruneDeparted(ctx, []TargetKey{{"f", "2026_Q4"}}, before); err != nil || len(again) != 0 {
		t.Fatalf("second prune: %v, %v", again, err)
	}
}

func countRowsWhere(t testing.TB, s Store, table, where string) int {
	t.Helper()
	var n int
	if err := raw(s).db.QueryRow(`SELECT COUNT(*) FROM ` + table + ` WHERE ` + where).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// snapWithTypes is mkSnap with rows per data type, so every snapshot
// table has rows to prune.
func snapWithTypes(forecast, period, job string, created time.Time, totals map[string]float64) *snapshot.Snapshot {
	s := mkSnap(forecast, period, job, created, totals)
	s.RowsByDataType = map[string]int{"forecast": s.Rows}
	return s
}
