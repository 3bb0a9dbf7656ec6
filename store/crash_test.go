package store

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/clari-exporter/clari_exporter/internal/testtier"
)

// The crash test re-executes the test binary as a child that writes runs to
// the store in a loop and prints each job id after FinishRun returned. The
// parent SIGKILLs it at random points, then reopens the store and checks
// that nothing committed was lost and nothing was counted twice.

const (
	envCrashDB      = "CLARI_STORE_CRASH_CHILD_DB"
	envCrashBackend = "CLARI_STORE_CRASH_CHILD_BACKEND"
	envCrashPrefix  = "CLARI_STORE_CRASH_CHILD_PREFIX"
)

// crashTotals is what the child stores for job index i, so the parent can
// check every snapshot against the run it belongs to.
func crashTotals(i int) map[string]float64 {
	return map[string]float64{"commit": float64(i) * 1.5, "best_case": float64(i) * 2}
}

func crashTarget(i int) (forecast, period string) { return "net_arr", fmt.Sprintf("2026_Q%d", i%3+1) }

// TestHelperProcess is the child. It does nothing in a normal test run.
func TestHelperProcess(t *testing.T) {
	path := os.Getenv(envCrashDB)
	if path == "" {
		return // not re-executed by TestCrashSafety: nothing to do
	}
	prefix := os.Getenv(envCrashPrefix)
	b := sqliteBackend
	if os.Getenv(envCrashBackend) == postgresBackend.name {
		b = postgresBackend
	}
	s, err := b.openAt(path, WithRetention(0))
	if err != nil {
		fmt.Println("ERR open:", err)
		os.Exit(3)
	}
	fmt.Println("ready")
	ctx := context.Background()
	for i := 0; ; i++ {
		job := fmt.Sprintf("%s-%d", prefix, i)
		f, p := crashTarget(i)
		now := time.Now()
		if err := s.PutInFlight(ctx, InFlight{Forecast: f, Period: p, JobID: job, CreatedAt: now, Request: []byte(`{}`)}); err != nil {
			fmt.Println("ERR inflight:", err)
			os.Exit(3)
		}
		if i%3 == 2 {
			err = s.FinishRun(ctx, failRun(f, p, job, "timeout", now), nil)
		} else {
			err = s.FinishRun(ctx, okRun(f, p, job, now, i), mkSnap(f, p, job, now, crashTotals(i)))
		}
		if err != nil {
			fmt.Println("ERR finish:", err)
			os.Exit(3)
		}
		fmt.Println("committed", job)
		if i%5 == 0 { // finishing twice must not count twice
			if err := s.FinishRun(ctx, failRun(f, p, job, "timeout", now), nil); !errors.Is(err, ErrAlreadyRecorded) {
				fmt.Println("ERR refinish:", err)
				os.Exit(3)
			}
		}
		if i%4 == 0 {
			if err := s.RecordSkip(ctx, f, p, "quota_reserve", now); err != nil {
				fmt.Println("ERR skip:", err)
				os.Exit(3)
			}
			fmt.Println("skipped")
		}
	}
}

type childReport struct {
	committed []string
	skips     int
	errs      []string
}

// runChildAndKill starts a child on path, waits until it is ready (or not,
// when waitReady is false) plus delay, kills it with SIGKILL and returns
// what it reported.
func runChildAndKill(t *testing.T, b backend, path, prefix string, waitReady bool, delay time.Duration) childReport {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), envCrashDB+"="+path, envCrashBackend+"="+b.name, envCrashPrefix+"="+prefix)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, 1024)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	var rep childReport
	handle := func(l string) {
		switch {
		case strings.HasPrefix(l, "committed "):
			rep.committed = append(rep.committed, strings.TrimPrefix(l, "committed "))
		case l == "skipped":
			rep.skips++
		case strings.HasPrefix(l, "ERR"):
			rep.errs = append(rep.errs, l)
		}
	}
	if waitReady {
		deadline := time.After(20 * time.Second)
	wait:
		for {
			select {
			case l, ok := <-lines:
				if !ok {
					t.Fatalf("child exited before it was ready: %v", rep.errs)
				}
				handle(l)
				if l == "ready" {
					break wait
				}
			case <-deadline:
				cmd.Process.Kill()
				t.Fatal("child not ready within 20s")
			}
		}
	}
	time.Sleep(delay)
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatalf("kill: %v", err)
	}
	for l := range lines {
		handle(l)
	}
	_ = cmd.Wait() // "signal: killed" is expected
	if len(rep.errs) > 0 {
		t.Fatalf("child reported errors: %v", rep.errs)
	}
	return rep
}

func TestCrashSafety(t *testing.T) {
	testtier.Outside(t, "kills a child process")
	forEachBackend(t, testCrashSafety)
}

func testCrashSafety(t *testing.T, b backend) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 1))

	// Kills at any time, also during start-up and schema migration of a
	// new file: the file must always open cleanly afterwards.
	for i := range 3 {
		path := b.fresh(t)
		rep := runChildAndKill(t, b, path, fmt.Sprintf("fresh%d", i), false, time.Duration(rng.IntN(150))*time.Millisecond)
		verifyCrashStore(t, b, path, rep.committed, rep.skips, 1)
	}

	// Kills in the middle of the write loop, accumulating in one file.
	path := b.fresh(t)
	var committed []string
	skips, kills := 0, 0
	for i := range 8 {
		rep := runChildAndKill(t, b, path, fmt.Sprintf("it%d", i), true, time.Duration(30+rng.IntN(270))*time.Millisecond)
		committed = append(committed, rep.committed...)
		skips += rep.skips
		kills++
		verifyCrashStore(t, b, path, committed, skips, kills)
	}
	if len(committed) == 0 {
		t.Fatal("no child committed anything; the test proved nothing")
	}
	t.Logf("%d runs committed across %d kills", len(committed), kills)
}

// verifyCrashStore reopens the store after a kill and checks it. Runs the
// child committed but was killed before reporting may be present too; at
// most one per kill (and likewise for skips).
func verifyCrashStore(t *testing.T, b backend, path string, committed []string, reportedSkips, kills int) {
	t.Helper()
	s, err := b.openAt(path, WithRetention(0))
	if err != nil {
		t.Fatalf("reopen after kill: %v", err)
	}
	defer s.Close()
	ctx := context.Background()
	if lite, ok := s.(*SQLite); ok {
		if err := lite.IntegrityCheck(ctx); err != nil {
			t.Fatal(err)
		}
	}
	db, d := raw(s).db, raw(s).d

	// Every reported run is there, exactly once.
	stored := map[string]string{} // job → outcome
	rows, err := db.Query(`SELECT job_id, outcome FROM runs`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var job, outcome string
		if err := rows.Scan(&job, &outcome); err != nil {
			t.Fatal(err)
		}
		if _, dup := stored[job]; dup {
			t.Fatalf("job %s stored twice", job)
		}
		stored[job] = outcome
	}
	rows.Close()
	for _, job := range committed {
		if _, ok := stored[job]; !ok {
			t.Fatalf("committed job %s lost after kill", job)
		}
	}
	if extra := len(stored) - len(committed); extra < 0 || extra > kills {
		t.Fatalf("%d runs stored, %d reported committed, %d kills", len(stored), len(committed), kills)
	}

	// Counters equal the runs they count: nothing counted twice or missed.
	states, err := s.TargetStates(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var runs, failures, skips uint64
	for _, st := range states {
		var nRuns, nFail int
		if err := db.QueryRow(d.bind(`SELECT COUNT(*), COALESCE(SUM(1 - success), 0) FROM runs WHERE forecast = ? AND period = ?`),
			st.Forecast, st.Period).Scan(&nRuns, &nFail); err != nil {
			t.Fatal(err)
		}
		if st.Runs != uint64(nRuns) || st.Failures["timeout"] != uint64(nFail) {
			t.Fatalf("%s/%s: counters runs=%d failures=%v, table has %d runs, %d failures",
				st.Forecast, st.Period, st.Runs, st.Failures, nRuns, nFail)
		}
		runs += st.Runs
		failures += st.Failures["timeout"]
		skips += st.Skips["quota_reserve"]
	}
	if runs != uint64(len(stored)) {
		t.Fatalf("runs counter %d, runs table %d", runs, len(stored))
	}
	if skips < uint64(reportedSkips) || skips > uint64(reportedSkips+kills) {
		t.Fatalf("skips counter %d, reported %d, kills %d", skips, reportedSkips, kills)
	}

	// Every successful run has its snapshot with the totals the child wrote
	// for it; failures have none.
	snapJobs := map[string]bool{}
	rows, err = db.Query(`SELECT s.job_id, t.field, t.value FROM snapshots s JOIN snapshot_totals t ON t.job_id = s.job_id WHERE t.data_type = 'forecast'`)
	if err != nil {
		t.Fatal(err)
	}
	nTotals := 0
	for rows.Next() {
		var job, field string
		var v float64
		if err := rows.Scan(&job, &field, &v); err != nil {
			t.Fatal(err)
		}
		idx, err := strconv.Atoi(job[strings.LastIndexByte(job, '-')+1:])
		if err != nil {
			t.Fatalf("bad job id %q", job)
		}
		if want := crashTotals(idx)[field]; v != want {
			t.Fatalf("snapshot %s total %s = %v, want %v", job, field, v, want)
		}
		snapJobs[job] = true
		nTotals++
	}
	rows.Close()
	for job, outcome := range stored {
		if (outcome == OutcomeDone) != snapJobs[job] {
			t.Fatalf("run %s (%s): has snapshot = %v", job, outcome, snapJobs[job])
		}
	}
	if nTotals != 2*len(snapJobs) {
		t.Fatalf("%d forecast totals for %d snapshots", nTotals, len(snapJobs))
	}
	if uint64(len(snapJobs)) != runs-failures {
		t.Fatalf("%d snapshots for %d successful runs", len(snapJobs), runs-failures)
	}

	// A recorded run's in-flight row went in the same transaction.
	infl, err := s.InFlight(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range infl {
		if _, ok := stored[f.JobID]; ok {
			t.Fatalf("job %s is recorded but still in flight", f.JobID)
		}
	}
}
