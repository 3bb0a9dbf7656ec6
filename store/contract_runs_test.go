package store

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/clari-exporter/clari_exporter/snapshot"
)

func TestFinishRunSuccessStoresSnapshotAndState(t *testing.T) {
	forEachBackend(t, testFinishRunSuccessStoresSnapshotAndState)
}

func testFinishRunSuccessStoresSnapshotAndState(t *testing.T, b backend) {
	s, _ := openStore(t, b)
	ctx := context.Background()
	snap := mkSnap("net_arr", "2026_Q4", "job1", t0, map[string]float64{"commit": 1200.5, "best_case": 3000})
	run := okRun("net_arr", "2026_Q4", "job1", t0, snap.Rows)
	run.Requeues = 1
	mustFinish(t, s, run, snap)

	st := stateOf(t, s, "net_arr", "2026_Q4")
	if st.Runs != 1 || len(st.Failures) != 0 || st.Requeues != 0 || len(st.Skips) != 0 {
		t.Fatalf("counters %+v", st)
	}
	if !st.LastRun.Equal(t0) || !st.LastSuccess.Equal(t0) || !st.LastRunSuccess || st.LastOutcome != OutcomeDone {
		t.Fatalf("last run %+v", st)
	}
	if st.LastDuration != 90*time.Second {
		t.Fatalf("duration %v, want 90s (finished − started)", st.LastDuration)
	}
	assertSnapEqual(t, st.Latest, snap)

	runs, err := s.Runs(ctx, "net_arr", "2026_Q4", 10)
	if err != nil {
		t.Fatal(err)
	}
	want := run
	want.Duration = 90 * time.Second
	if len(runs) != 1 || !reflect.DeepEqual(runs[0], want) {
		t.Fatalf("runs\n got %+v\nwant %+v", runs, want)
	}
}

func TestFinishRunFailureCountsReason(t *testing.T) {
	forEachBackend(t, testFinishRunFailureCountsReason)
}

func testFinishRunFailureCountsReason(t *testing.T, b backend) {
	s, _ := openStore(t, b)
	mustFinish(t, s, okRun("f", "p", "ok1", t0, 5), mkSnap("f", "p", "ok1", t0, map[string]float64{"a": 1}))
	mustFinish(t, s, failRun("f", "p", "bad1", "timeout", t0.Add(time.Hour)), nil)
	mustFinish(t, s, failRun("f", "p", "bad2", "empty", t0.Add(2*time.Hour)), nil)
	mustFinish(t, s, failRun("f", "p", "", "api_error", t0.Add(3*time.Hour)), nil) // no job id
	mustFinish(t, s, failRun("f", "p", "", "api_error", t0.Add(4*time.Hour)), nil) // no job id: not deduplicated

	st := stateOf(t, s, "f", "p")
	if st.Runs != 5 {
		t.Fatalf("runs %d, want 5", st.Runs)
	}
	wantF := map[string]uint64{"timeout": 1, "empty": 1, "api_error": 2}
	if !reflect.DeepEqual(st.Failures, wantF) {
		t.Fatalf("failures %v, want %v", st.Failures, wantF)
	}
	if st.LastRunSuccess || st.LastOutcome != "api_error" || !st.LastRun.Equal(t0.Add(4*time.Hour)) {
		t.Fatalf("last run %+v", st)
	}
	if !st.LastSuccess.Equal(t0) || st.Latest == nil || st.Latest.JobID != "ok1" {
		t.Fatalf("last success must stay at the successful run: %+v", st)
	}
}

// A failed run keeps its error text (what the landing page shows after a
// restart and on every replica), cut to MaxRunError on a character
// boundary; both reads return it.
func TestFinishRunKeepsTheError(t *testing.T) { forEachBackend(t, testFinishRunKeepsTheError) }

func testFinishRunKeepsTheError(t *testing.T, b backend) {
	s, _ := openStore(t, b)
	ctx := context.Background()
	bad := failRun("f", "p", "bad1", "api_error", t0)
	bad.Error = "POST /export/forecast/f: 503 Service Unavailable"
	long := failRun("f", "p", "bad2", "decode_error", t0.Add(time.Hour))
	long.Error = strings.Repeat("é", MaxRunError) // 2 bytes a character
	mustFinish(t, s, bad, nil)
	mustFinish(t, s, long, nil)
	mustFinish(t, s, okRun("f", "p", "ok1", t0.Add(2*time.Hour), 5), mkSnap("f", "p", "ok1", t0.Add(2*time.Hour), map[string]float64{"a": 1}))

	runs, err := s.Runs(ctx, "f", "p", 10)
	if err != nil {
		t.Fatal(err)
	}
	recent, err := s.RecentRuns(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	for name, got := range map[string][]Run{"Runs": runs, "RecentRuns": recent} {
		if len(got) != 3 {
			t.Fatalf("%s: %d runs, want 3", name, len(got))
		}
		if got[0].Error != "" || got[2].Error != bad.Error {
			t.Errorf("%s: errors %q and %q, want none for the success and %q", name, got[0].Error, got[2].Error, bad.Error)
		}
		if e := got[1].Error; len(e) != MaxRunError || !utf8.ValidString(e) || !strings.HasPrefix(long.Error, e) {
			t.Errorf("%s: a long error kept as %d bytes (valid UTF-8: %v), want its first %d bytes", name, len(e), utf8.ValidString(e), MaxRunError)
		}
	}
}

func TestFinishRunIdempotentPerJob(t *testing.T) { forEachBackend(t, testFinishRunIdempotentPerJob) }

func testFinishRunIdempotentPerJob(t *testing.T, b backend) {
	s, _ := openStore(t, b)
	ctx := context.Background()
	snap := mkSnap("f", "p", "j1", t0, map[string]float64{"a": 1})
	mustFinish(t, s, okRun("f", "p", "j1", t0, 10), snap)
	// Same job again, even with other data: refused, nothing changes.
	err := s.FinishRun(ctx, failRun("f", "p", "j1", "timeout", t0.Add(time.Hour)), nil)
	if !errors.Is(err, ErrAlreadyRecorded) {
		t.Fatalf("second finish: %v, want ErrAlreadyRecorded", err)
	}
	err = s.FinishRun(ctx, okRun("f", "p", "j1", t0, 10), snap)
	if !errors.Is(err, ErrAlreadyRecorded) {
		t.Fatalf("third finish: %v, want ErrAlreadyRecorded", err)
	}
	st := stateOf(t, s, "f", "p")
	if st.Runs != 1 || len(st.Failures) != 0 || !st.LastRunSuccess || !st.LastRun.Equal(t0) {
		t.Fatalf("state changed by a duplicate finish: %+v", st)
	}
	if n := countRows(t, s, "snapshot_totals"); n != 2 {
		t.Fatalf("%d totals rows, want 2", n)
	}
}

func TestFinishRunValidation(t *testing.T) { forEachBackend(t, testFinishRunValidation) }

func testFinishRunValidation(t *testing.T, b backend) {
	s, _ := openStore(t, b)
	ctx := context.Background()
	snap := mkSnap("f", "p", "j", t0, nil)
	cases := map[string]struct {
		run  Run
		snap *snapshot.Snapshot
	}{
		"no forecast":              {Run{Outcome: OutcomeDone, FinishedAt: t0}, nil},
		"no outcome":               {Run{Forecast: "f", FinishedAt: t0}, nil},
		"no finish time":           {Run{Forecast: "f", Outcome: OutcomeDone}, nil},
		"snapshot on failure":      {failRun("f", "p", "j", "timeout", t0), snap},
		"snapshot without job id":  {okRun("f", "p", "", t0, 1), snap},
		"snapshot of another job":  {okRun("f", "p", "other", t0, 1), snap},
		"snapshot of other target": {okRun("g", "p", "j", t0, 1), snap},
	}
	for name, c := range cases {
		if err := s.FinishRun(ctx, c.run, c.snap); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if states, _ := s.TargetStates(ctx); len(states) != 0 {
		t.Fatalf("rejected runs left state: %+v", states)
	}
}

func TestFinishRunFillsSnapshotJobID(t *testing.T) {
	forEachBackend(t, testFinishRunFillsSnapshotJobID)
}

func testFinishRunFillsSnapshotJobID(t *testing.T, b backend) {
	s, _ := openStore(t, b)
	snap := mkSnap("f", "p", "", t0, map[string]float64{"a": 2})
	mustFinish(t, s, okRun("f", "p", "j9", t0, 1), snap)
	if st := stateOf(t, s, "f", "p"); st.Latest == nil || st.Latest.JobID != "j9" {
		t.Fatalf("latest %+v", st.Latest)
	}
}

func TestInFlightLifecycle(t *testing.T) { forEachBackend(t, testInFlightLifecycle) }

func testInFlightLifecycle(t *testing.T, be backend) {
	s, _ := openStore(t, be)
	ctx := context.Background()
	a := InFlight{Forecast: "f", Period: "2026_Q4", JobID: "j1", CreatedAt: t0, Request: []byte(`{"timePeriod":"2026_Q4"}`)}
	b2 := InFlight{Forecast: "f", Period: "2026_Q3", JobID: "j2", CreatedAt: t0.Add(time.Second), Request: []byte(`{}`)}
	for _, f := range []InFlight{a, b2} {
		if err := s.PutInFlight(ctx, f); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.InFlight(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, []InFlight{b2, a}) {
		t.Fatalf("in flight\n got %+v\nwant %+v", got, []InFlight{b2, a})
	}

	// A re-queue replaces the target's job.
	a2 := a
	a2.JobID, a2.CreatedAt = "j1b", t0.Add(time.Minute)
	if err := s.PutInFlight(ctx, a2); err != nil {
		t.Fatal(err)
	}
	// Finishing the replaced job does not clear the new one.
	mustFinish(t, s, failRun("f", "2026_Q4", "j1", "timeout", t0.Add(time.Minute)), nil)
	got, _ = s.InFlight(ctx)
	if len(got) != 2 || got[1].JobID != "j1b" {
		t.Fatalf("in flight after finishing the old job: %+v", got)
	}
	// Finishing the current job clears it, in the same transaction.
	mustFinish(t, s, okRun("f", "2026_Q4", "j1b", t0.Add(2*time.Minute), 1), nil)
	got, _ = s.InFlight(ctx)
	if !reflect.DeepEqual(got, []InFlight{b2}) {
		t.Fatalf("in flight after finish: %+v", got)
	}
	if err := s.ClearInFlight(ctx, "f", "2026_Q3"); err != nil {
		t.Fatal(err)
	}
	if err := s.ClearInFlight(ctx, "f", "2026_Q3"); err != nil {
		t.Fatalf("clearing nothing: %v", err)
	}
	if got, _ = s.InFlight(ctx); len(got) != 0 {
		t.Fatalf("in flight after clear: %+v", got)
	}
	if err := s.PutInFlight(ctx, InFlight{Forecast: "f", Period: "p"}); err == nil {
		t.Fatal("in-flight row without job id accepted")
	}
}

func TestRequeuesAndSkips(t *testing.T) { forEachBackend(t, testRequeuesAndSkips) }

func testRequeuesAndSkips(t *testing.T, b backend) {
	s, _ := openStore(t, b)
	ctx := context.Background()
	for range 3 {
		if err := s.RecordRequeue(ctx, "f", "p", t0); err != nil {
			t.Fatal(err)
		}
	}
	for _, r := range []string{"quota_reserve", "quota_reserve", "circuit_open"} {
		if err := s.RecordSkip(ctx, "f", "q", r, t0); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.RecordSkip(ctx, "f", "q", "", t0); err == nil {
		t.Fatal("skip without reason accepted")
	}
	if st := stateOf(t, s, "f", "p"); st.Requeues != 3 || st.Runs != 0 {
		t.Fatalf("requeues: %+v", st)
	}
	// A target with only skips has a state (so the collector sees its counters).
	st := stateOf(t, s, "f", "q")
	if !reflect.DeepEqual(st.Skips, map[string]uint64{"quota_reserve": 2, "circuit_open": 1}) {
		t.Fatalf("skips %v", st.Skips)
	}
	if !st.LastRun.IsZero() || st.Latest != nil {
		t.Fatalf("skips-only target has run data: %+v", st)
	}
}

func TestDuplicateJobsCounted(t *testing.T) { forEachBackend(t, testDuplicateJobsCounted) }

func testDuplicateJobsCounted(t *testing.T, b backend) {
	s, _ := openStore(t, b)
	ctx := context.Background()
	for range 2 {
		if err := s.RecordDuplicateJob(ctx, "f", "p", t0); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.RecordDuplicateJob(ctx, "", "p", t0); err == nil {
		t.Fatal("duplicate without forecast accepted")
	}
	if st := stateOf(t, s, "f", "p"); st.DuplicateJobs != 2 || st.Requeues != 0 || st.Runs != 0 {
		t.Fatalf("duplicate jobs: %+v", st)
	}
}

func TestSnapshotHistoryAndLatest(t *testing.T) { forEachBackend(t, testSnapshotHistoryAndLatest) }

func testSnapshotHistoryAndLatest(t *testing.T, b backend) {
	s, _ := openStore(t, b)
	ctx := context.Background()
	var snaps []*snapshot.Snapshot
	for i := range 5 {
		at := t0.Add(time.Duration(i) * time.Hour)
		job := string(rune('a' + i))
		sn := mkSnap("f", "p", job, at, map[string]float64{"commit": float64(1000 * (i + 1))})
		snaps = append(snaps, sn)
		mustFinish(t, s, okRun("f", "p", job, at, sn.Rows), sn)
	}
	other := mkSnap("g", "p", "g1", t0, map[string]float64{"x": 1})
	mustFinish(t, s, okRun("g", "p", "g1", t0, 1), other)
	mustFinish(t, s, failRun("f", "p", "late-failure", "failed", t0.Add(10*time.Hour)), nil)

	hist, err := s.SnapshotHistory(ctx, "f", "p", 3)
	if err != nil {
		t.Fatal(err)
	}
	if len(hist) != 3 {
		t.Fatalf("history has %d snapshots, want 3", len(hist))
	}
	for i, h := range hist { // oldest first: c, d, e
		assertSnapEqual(t, &h, snaps[2+i])
	}
	if h, _ := s.SnapshotHistory(ctx, "f", "p", 0); h != nil {
		t.Fatalf("n=0 gave %v", h)
	}
	if h, _ := s.SnapshotHistory(ctx, "nope", "p", 5); len(h) != 0 {
		t.Fatalf("unknown target gave %v", h)
	}

	latest, err := s.LatestSnapshots(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(latest) != 2 {
		t.Fatalf("latest: %d snapshots, want 2", len(latest))
	}
	assertSnapEqual(t, &latest[0], snaps[4])
	assertSnapEqual(t, &latest[1], other)

	// The history feeds the swing comparison directly.
	sw := snapshot.CompareSwings(hist[:2], hist[2], snapshot.SwingConfig{Threshold: 0.2, MinBaseline: 1000, MinHistory: 2})
	if len(sw) != 1 || sw[0].Field != "commit" || sw[0].Ratio != 0.25 || !sw[0].Anomalous {
		t.Fatalf("swings from history: %+v", sw)
	}
}

func TestOutOfOrderFinishDoesNotMoveStateBack(t *testing.T) {
	forEachBackend(t, testOutOfOrderFinishDoesNotMoveStateBack)
}

func testOutOfOrderFinishDoesNotMoveStateBack(t *testing.T, b backend) {
	s, _ := openStore(t, b)
	newer := mkSnap("f", "p", "new", t0.Add(time.Hour), map[string]float64{"a": 2})
	older := mkSnap("f", "p", "old", t0, map[string]float64{"a": 1})
	mustFinish(t, s, okRun("f", "p", "new", t0.Add(time.Hour), 1), newer)
	mustFinish(t, s, okRun("f", "p", "old", t0, 1), older)
	st := stateOf(t, s, "f", "p")
	if st.Latest == nil || st.Latest.JobID != "new" || !st.LastRun.Equal(t0.Add(time.Hour)) || st.Runs != 2 {
		t.Fatalf("state moved back: %+v", st)
	}
}

func TestRetentionPrunesRunsKeepsCountersAndLatestSnapshot(t *testing.T) {
	forEachBackend(t, testRetentionPrunesRunsKeepsCountersAndLatestSnapshot)
}

func testRetentionPrunesRunsKeepsCountersAndLatestSnapshot(t *testing.T, b backend) {
	s, _ := openStore(t, b, WithRetention(3))
	ctx := context.Background()
	mustFinish(t, s, okRun("f", "p", "good", t0, 1), mkSnap("f", "p", "good", t0, map[string]float64{"a": 1}))
	for i := 1; i <= 6; i++ {
		mustFinish(t, s, failRun("f", "p", "bad"+string(rune('0'+i)), "failed", t0.Add(time.Duration(i)*time.Hour)), nil)
	}
	mustFinish(t, s, okRun("g", "p", "other", t0, 1), nil) // other target untouched

	runs, err := s.Runs(ctx, "f", "p", 100)
	if err != nil {
		t.Fatal(err)
	}
	var jobs []string
	for _, r := range runs {
		jobs = append(jobs, r.JobID)
	}
	// Newest 3 plus the run holding the latest snapshot.
	if want := []string{"bad6", "bad5", "bad4", "good"}; !reflect.DeepEqual(jobs, want) {
		t.Fatalf("kept runs %v, want %v", jobs, want)
	}
	st := stateOf(t, s, "f", "p")
	if st.Runs != 7 || st.Failures["failed"] != 6 {
		t.Fatalf("pruning changed counters: %+v", st)
	}
	if st.Latest == nil || st.Latest.JobID != "good" {
		t.Fatalf("latest snapshot lost: %+v", st.Latest)
	}

	// A newer success makes the old snapshot prunable; its totals go with it.
	for i := 7; i <= 10; i++ {
		job := "ok" + string(rune('0'+i))
		at := t0.Add(time.Duration(i) * time.Hour)
		mustFinish(t, s, okRun("f", "p", job, at, 1), mkSnap("f", "p", job, at, map[string]float64{"a": 1}))
	}
	if n := countRows(t, s, "snapshots"); n != 3 {
		t.Fatalf("%d snapshots left, want 3", n)
	}
	if n := countRows(t, s, "snapshot_totals"); n != 3*2 {
		t.Fatalf("%d totals left, want 6 (cascade)", n)
	}
	if g := stateOf(t, s, "g", "p"); g.Runs != 1 {
		t.Fatalf("other target: %+v", g)
	}
}

func TestEmptySnapshotSuccess(t *testing.T) { forEachBackend(t, testEmptySnapshotSuccess) }

func testEmptySnapshotSuccess(t *testing.T, b backend) {
	// With empty_export_is_failure off, an empty export is a success with a
	// snapshot of 0 rows and no totals.
	s, _ := openStore(t, b)
	snap := &snapshot.Snapshot{Forecast: "f", Period: "p", JobID: "j", CreatedAt: t0, RowsByPeriod: map[string]int{}}
	mustFinish(t, s, okRun("f", "p", "j", t0, 0), snap)
	assertSnapEqual(t, stateOf(t, s, "f", "p").Latest, snap)
}

func TestSnapshotRowsByDataTypeRoundTrip(t *testing.T) {
	forEachBackend(t, testSnapshotRowsByDataTypeRoundTrip)
}

func testSnapshotRowsByDataTypeRoundTrip(t *testing.T, b backend) {
	s, _ := openStore(t, b)
	ctx := context.Background()
	snap := &snapshot.Snapshot{Forecast: "f", Period: "p", JobID: "j1", CreatedAt: t0, Rows: 7,
		RowsByPeriod: map[string]int{"p": 7}, Periods: []string{"p"},
		RowsByDataType: map[string]int{"forecast": 4, "quota": 3, "crm_total": 0}}
	run := Run{Forecast: "f", Period: "p", JobID: "j1", Outcome: OutcomeDone, StartedAt: t0, FinishedAt: t0.Add(time.Second), Rows: 7}
	if err := s.FinishRun(ctx, run, snap); err != nil {
		t.Fatal(err)
	}
	got := stateOf(t, s, "f", "p").Latest
	if got == nil || !reflect.DeepEqual(got.RowsByDataType, snap.RowsByDataType) {
		t.Fatalf("rows by data type %+v, want %+v (a requested type with 0 rows kept)", got, snap.RowsByDataType)
	}
}

func TestRecentRunsIsRunsOfEveryTarget(t *testing.T) {
	forEachBackend(t, testRecentRunsIsRunsOfEveryTarget)
}

// RecentRuns (one query) gives every target exactly what Runs gives it,
// ties in finish time included, in forecast and period order.
func testRecentRunsIsRunsOfEveryTarget(t *testing.T, b backend) {
	s, _ := openStore(t, b)
	ctx := context.Background()
	targets := [][2]string{{"b", "2026_Q4"}, {"a", "2026_Q4"}, {"a", "2026_Q3"}}
	job := 0
	for i, tg := range targets {
		for k := range 4 + i {
			job++
			at := t0.Add(time.Duration(k/2) * time.Minute) // two runs finish at each instant
			if k%3 == 2 {
				mustFinish(t, s, failRun(tg[0], tg[1], fmt.Sprintf("j%d", job), "failed", at), nil)
			} else {
				mustFinish(t, s, okRun(tg[0], tg[1], fmt.Sprintf("j%d", job), at, job), nil)
			}
		}
	}
	for _, n := range []int{0, 1, 3, 100} {
		got, err := s.RecentRuns(ctx, n)
		if err != nil {
			t.Fatal(err)
		}
		var want []Run
		for _, tg := range [][2]string{{"a", "2026_Q3"}, {"a", "2026_Q4"}, {"b", "2026_Q4"}} {
			runs, err := s.Runs(ctx, tg[0], tg[1], n)
			if err != nil {
				t.Fatal(err)
			}
			want = append(want, runs...)
		}
		if len(want) == 0 && n > 0 || !reflect.DeepEqual(got, want) {
			t.Errorf("RecentRuns(%d) = %+v\nwant Runs of each target: %+v", n, got, want)
		}
	}
}
