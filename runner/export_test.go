package runner_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clari-exporter/clari_exporter/clari"
	"github.com/clari-exporter/clari_exporter/clari/clarisim"
	"github.com/clari-exporter/clari_exporter/config"
	"github.com/clari-exporter/clari_exporter/runner"
)

func TestSuccessfulExport(t *testing.T) {
	e := newEnv(t, envOptions{})
	var mu sync.Mutex
	durations := map[string]int{}
	var changes int
	r := e.runner(func(o *runner.Options) {
		o.ObserveDuration = func(forecast string, d time.Duration) {
			mu.Lock()
			defer mu.Unlock()
			if d > 0 {
				durations[forecast]++
			}
		}
		o.OnStateChange = func() { mu.Lock(); changes++; mu.Unlock() }
	})
	if r.Loaded() {
		t.Fatal("Loaded before Load")
	}
	es := runUntil(t, r, "both targets ran once", allRan(1))
	if !r.Loaded() {
		t.Fatal("not Loaded after Run")
	}

	if got := e.sim.Stats().JobsCreated; got != 2 {
		t.Fatalf("JobsCreated = %d, want 2 (one per target)", got)
	}
	wantPeriod := e.config().FiscalCalendar.PeriodAt(e.clock.Now()).Label()
	expected := r.LatestExpected()
	for _, f := range []string{"net_arr", "bookings"} {
		ts := target(t, es, f)
		jobs := jobsOf(e.sim, f)
		if len(jobs) != 1 {
			t.Fatalf("%s: %d jobs, want 1", f, len(jobs))
		}
		summary, err := e.sim.JobSummary(jobs[0].Job.JobID)
		if err != nil {
			t.Fatal(err)
		}
		if ts.Period != wantPeriod || summary.Period != wantPeriod {
			t.Errorf("%s: period %q (sim exported %q), want %q", f, ts.Period, summary.Period, wantPeriod)
		}
		if ts.Runs != 1 || !ts.HasRun() || !ts.LastRunSuccess || ts.LastSuccess.IsZero() || !ts.HasSnapshot() {
			t.Errorf("%s: runs %v hasRun %v success %v lastSuccess %v snapshot %v; want one successful run with a snapshot",
				f, ts.Runs, ts.HasRun(), ts.LastRunSuccess, ts.LastSuccess, ts.HasSnapshot())
		}
		if n := sum(ts.Failures); n != 0 {
			t.Errorf("%s: failures %v, want none", f, ts.Failures)
		}
		wantRows := testUsers * testFields * len(config.DefaultTypesToExport)
		if summary.Values != wantRows || ts.Latest.Rows != wantRows {
			t.Errorf("%s: rows %v, simulator values %d, want %d", f, ts.Latest.Rows, summary.Values, wantRows)
		}
		if expected[[2]string{f, ts.Period}] != wantRows {
			t.Errorf("%s: LatestExpected %v, want %d", f, expected, wantRows)
		}
		if len(ts.Latest.Totals) != testFields*len(config.DefaultTypesToExport) {
			t.Errorf("%s: %d values exposed, want %d: %+v", f, len(ts.Latest.Totals), testFields*len(config.DefaultTypesToExport), ts.Latest.Totals)
		}
		// Series are labelled with the field's display name (what a CSV
		// result carries); the simulator's summary is keyed by field id.
		byName := map[string]string{}
		for i := range testFields {
			byName[clarisim.FieldName(i)] = clarisim.FieldID(i)
		}
		for _, v := range ts.Latest.Totals {
			want, ok := summary.Totals[byName[v.Field]][v.DataType]
			if !ok || !near(v.Value, want, 0.005) {
				t.Errorf("%s: value %s/%s = %v, simulator total %v (present %v)", f, v.Field, v.DataType, v.Value, want, ok)
			}
		}
		mu.Lock()
		if durations[f] != 1 {
			t.Errorf("%s: ObserveDuration called %d times, want 1", f, durations[f])
		}
		mu.Unlock()
	}
	mu.Lock()
	if changes < 2 {
		t.Errorf("OnStateChange called %d times, want at least one per run", changes)
	}
	mu.Unlock()
	if cm := es.CoverageMissing; cm["net_arr"] != 0 || cm["bookings"] != 0 {
		t.Errorf("CoverageMissing %v after fresh exports, want 0 each", cm)
	}
	if inf, err := e.store.InFlight(context.Background()); err != nil || len(inf) != 0 {
		t.Errorf("in-flight rows after finished runs: %v (err %v), want none", inf, err)
	}

	// A new process on the same store starts from the persisted state and
	// does not export again before the interval.
	r2 := e.runner(nil)
	if err := r2.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := target(t, r2.ExportState(), "net_arr"); got.Runs != 1 || !got.LastRunSuccess || got.Latest.Rows != es.Targets[0].Latest.Rows {
		t.Errorf("after restart net_arr state %+v, want the persisted run", got)
	}
	runFor(t, r2, 60*time.Millisecond)
	if got := e.sim.Stats().JobsCreated; got != 2 {
		t.Errorf("restarted runner created jobs before the interval: JobsCreated %d, want 2", got)
	}
}

// TestFailureReasons: each failure lands on its reason, for the failing
// target only; the other target's export is unaffected.
func TestFailureReasons(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name      string
		reason    string
		failing   string   // forecast whose export fails
		forecasts []string // configured (nil: net_arr, bookings)
		setup     func(t *testing.T, sim *clarisim.Sim)
		requeues  uint64
	}{
		{name: "failed", reason: "failed", failing: "net_arr", setup: func(t *testing.T, sim *clarisim.Sim) {
			must(t, sim.NextJobEnds("net_arr", clari.StatusFailed))
		}},
		{name: "aborted", reason: "aborted", failing: "bookings", setup: func(t *testing.T, sim *clarisim.Sim) {
			must(t, sim.NextJobEnds("bookings", clari.StatusAborted))
		}},
		{name: "cancelled", reason: "cancelled", failing: "net_arr", setup: func(t *testing.T, sim *clarisim.Sim) {
			must(t, sim.NextJobEnds("net_arr", clari.StatusCancelled))
		}},
		{name: "timeout after requeue", reason: "timeout", failing: "net_arr", requeues: 1, setup: func(t *testing.T, sim *clarisim.Sim) {
			must(t, sim.NextJobEnds("net_arr", clarisim.NeverFinish))
			must(t, sim.NextJobEnds("net_arr", clarisim.NeverFinish))
		}},
		{name: "empty", reason: "empty", failing: "bookings", setup: func(t *testing.T, sim *clarisim.Sim) {
			sim.SetEmpty("bookings", "*", true)
		}},
		{name: "decode_error", reason: "decode_error", failing: "net_arr", setup: func(t *testing.T, sim *clarisim.Sim) {
			// Targets run in file order, so the first results download is net_arr's.
			must(t, sim.AddFault(clarisim.Fault{Kind: clarisim.FaultTruncate, Endpoint: clari.EndpointResults, Count: 1, Bytes: 300}))
		}},
		{name: "api_error", reason: "api_error", failing: "no_such_tab", forecasts: []string{"net_arr", "no_such_tab", "bookings"}},
		{name: "truncated", reason: "truncated", failing: "bookings", setup: func(t *testing.T, sim *clarisim.Sim) {
			must(t, sim.NextJobTruncated("bookings", clarisim.JobTruncation{Cells: true, AsCount: true}))
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, envOptions{forecasts: tc.forecasts})
			if tc.setup != nil {
				tc.setup(t, e.sim)
			}
			es := runUntil(t, e.runner(nil), "every target ran", allRan(1))
			var total uint64
			for _, ts := range es.Targets {
				total += sum(ts.Failures)
				if ts.Runs != 1 {
					t.Errorf("%s: RunsTotal %v, want 1", ts.Forecast, ts.Runs)
				}
				if n := sum(ts.Skips); n != 0 {
					t.Errorf("%s: skips %v, want none", ts.Forecast, ts.Skips)
				}
				if ts.Forecast == tc.failing {
					if ts.Failures[tc.reason] != 1 || ts.LastRunSuccess || ts.HasSnapshot() || !ts.LastSuccess.IsZero() {
						t.Errorf("%s: failures %v success %v snapshot %v; want one %q failure and no snapshot",
							ts.Forecast, ts.Failures, ts.LastRunSuccess, ts.HasSnapshot(), tc.reason)
					}
					if ts.Requeues != tc.requeues {
						t.Errorf("%s: RequeuesTotal %v, want %v", ts.Forecast, ts.Requeues, tc.requeues)
					}
					if es.CoverageMissing[ts.Forecast] != 1 {
						t.Errorf("%s: CoverageMissing %v, want 1 after a failed export", ts.Forecast, es.CoverageMissing)
					}
					continue
				}
				if !ts.LastRunSuccess || !ts.HasSnapshot() || ts.Requeues != 0 {
					t.Errorf("%s: success %v snapshot %v requeues %v; want an unaffected successful export",
						ts.Forecast, ts.LastRunSuccess, ts.HasSnapshot(), ts.Requeues)
				}
			}
			if total != 1 {
				t.Errorf("%v failures in total, want exactly 1", total)
			}
			// The recorded run says why it failed (the landing page's error
			// column); a success says nothing.
			for _, ts := range es.Targets {
				runs, err := e.store.Runs(context.Background(), ts.Forecast, ts.Period, 1)
				if err != nil || len(runs) != 1 {
					t.Fatalf("%s: runs %v (err %v)", ts.Forecast, runs, err)
				}
				if got := runs[0].Error; (ts.Forecast == tc.failing) != strings.HasPrefix(got, "export failed") {
					t.Errorf("%s: recorded error %q, want one only for the failing target", ts.Forecast, got)
				}
				if want := "export failed its data-quality guard: empty"; tc.reason == "empty" && ts.Forecast == tc.failing && runs[0].Error != want {
					t.Errorf("%s: recorded error %q, want %q (an empty export has no periods to name)", ts.Forecast, runs[0].Error, want)
				}
			}
			if inf, err := e.store.InFlight(context.Background()); err != nil || len(inf) != 0 {
				t.Errorf("in-flight rows after finished runs: %v (err %v), want none", inf, err)
			}
			if tc.reason == "timeout" {
				if n := len(jobsOf(e.sim, "net_arr")); n != 2 {
					t.Errorf("net_arr: %d jobs, want 2 (the job and its requeue)", n)
				}
				if c := e.sim.Stats().Cancels; c != 2 {
					t.Errorf("%d jobs cancelled, want 2 (both timed out)", c)
				}
			}
		})
	}
}

// TestPeriodMismatch: a quarter the tenant cannot export falls back to the
// current one silently; only that target fails, with period_mismatch.
func TestPeriodMismatch(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{
		forecasts: []string{"net_arr"},
		tenant:    func(ts *clarisim.TenantSpec) { ts.Quarters = 2 },
		config:    func(c *config.Config) { c.Forecasts[0].HistoricalQuarters = 2 },
	})
	es := runUntil(t, e.runner(nil), "every target ran", allRan(1))
	cal := e.config().FiscalCalendar
	cur := cal.PeriodAt(e.clock.Now())
	periods := []string{cur.Label(), cal.Shift(cur, -1).Label(), cal.Shift(cur, -2).Label()}
	if len(es.Targets) != 3 {
		t.Fatalf("%d targets, want 3: %+v", len(es.Targets), es.Targets)
	}
	for i, p := range periods {
		ts := targetPeriod(t, es, "net_arr", p)
		if i < 2 {
			if !ts.LastRunSuccess || sum(ts.Failures) != 0 {
				t.Errorf("%s: success %v failures %v, want success", p, ts.LastRunSuccess, ts.Failures)
			}
			continue
		}
		if ts.Failures["period_mismatch"] != 1 || sum(ts.Failures) != 1 || ts.HasSnapshot() {
			t.Errorf("%s: failures %v snapshot %v, want one period_mismatch and no snapshot", p, ts.Failures, ts.HasSnapshot())
		}
	}
	// The simulator did fall back for the third job.
	var fellBack int
	for _, j := range e.sim.Jobs() {
		if j.FellBack {
			fellBack++
		}
	}
	if fellBack != 1 {
		t.Errorf("%d jobs fell back, want 1", fellBack)
	}
	if es.CoverageMissing["net_arr"] != 1 {
		t.Errorf("CoverageMissing %v, want net_arr 1", es.CoverageMissing)
	}
}

// TestRequeueThenDone: a job past the polling timeout is cancelled and
// replaced; the replacement's success is the run's.
func TestRequeueThenDone(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{forecasts: []string{"net_arr"}})
	must(t, e.sim.NextJobEnds("net_arr", clarisim.NeverFinish))
	es := runUntil(t, e.runner(nil), "net_arr ran", allRan(1))
	ts := target(t, es, "net_arr")
	if ts.Runs != 1 || ts.Requeues != 1 || !ts.LastRunSuccess || !ts.HasSnapshot() || sum(ts.Failures) != 0 {
		t.Errorf("runs %v requeues %v success %v snapshot %v failures %v; want 1 successful run after 1 requeue",
			ts.Runs, ts.Requeues, ts.LastRunSuccess, ts.HasSnapshot(), ts.Failures)
	}
	jobs := jobsOf(e.sim, "net_arr")
	if len(jobs) != 2 || e.sim.Stats().JobsCreated != 2 {
		t.Fatalf("%d jobs (%d created), want exactly 2", len(jobs), e.sim.Stats().JobsCreated)
	}
	if jobs[0].Job.Status != clari.StatusCancelled || jobs[1].Job.Status != clari.StatusDone {
		t.Errorf("job statuses %s, %s; want CANCELLED then DONE", jobs[0].Job.Status, jobs[1].Job.Status)
	}
	runs, err := e.store.Runs(context.Background(), "net_arr", ts.Period, 10)
	if err != nil || len(runs) != 1 || runs[0].JobID != jobs[1].Job.JobID || runs[0].Requeues != 1 {
		t.Errorf("stored runs %+v (err %v), want one run of job %s with 1 requeue", runs, err, jobs[1].Job.JobID)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestTimeoutWithRefusedRequeue: the job times out and Clari refuses its
// replacement (quota spent): the run is a timeout failure, not a skip.
func TestTimeoutWithRefusedRequeue(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{forecasts: []string{"net_arr"}, scenario: clarisim.Scenario{MonthlyQuota: 1},
		config: func(c *config.Config) { c.Schedule.QuotaReserve = 0 }})
	must(t, e.sim.NextJobEnds("net_arr", clarisim.NeverFinish))
	es := runUntil(t, e.runner(nil), "net_arr ran", allRan(1))
	ts := target(t, es, "net_arr")
	if ts.Failures["timeout"] != 1 || sum(ts.Failures) != 1 || sum(ts.Skips) != 0 || ts.LastRunSuccess {
		t.Errorf("failures %v skips %v success %v, want one timeout failure and no skip", ts.Failures, ts.Skips, ts.LastRunSuccess)
	}
	if st := e.sim.Stats(); st.JobsCreated != 1 || st.CreateCalls != 2 || st.Cancels != 1 {
		t.Errorf("jobs %d, create calls %d, cancels %d; want 1 job, its refused re-queue, 1 cancel", st.JobsCreated, st.CreateCalls, st.Cancels)
	}
	if got, err := e.store.InFlight(context.Background()); err != nil || len(got) != 0 {
		t.Errorf("in flight %+v (err %v), want none", got, err)
	}
}

// TestCSVExport: a forecast configured for CSV is requested and decoded as
// CSV (fields are then named by their display name).
func TestCSVExport(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{forecasts: []string{"net_arr"}, config: func(c *config.Config) {
		c.Forecasts[0].ExportFormat = string(clari.FormatCSV)
	}})
	es := runUntil(t, e.runner(nil), "net_arr ran", allRan(1))
	ts := target(t, es, "net_arr")
	jobs := jobsOf(e.sim, "net_arr")
	if len(jobs) != 1 || jobs[0].Request.ExportFormat != clari.FormatCSV {
		t.Fatalf("jobs %+v, want one CSV export", jobs)
	}
	summary, err := e.sim.JobSummary(jobs[0].Job.JobID)
	must(t, err)
	if !ts.LastRunSuccess || ts.Latest.Rows != summary.CSVRows || summary.CSVRows != testUsers*testFields*len(config.DefaultTypesToExport) {
		t.Errorf("success %v rows %v, simulator CSV rows %d", ts.LastRunSuccess, ts.Latest.Rows, summary.CSVRows)
	}
	names := map[string]bool{clarisim.FieldName(0): true, clarisim.FieldName(1): true}
	for _, v := range ts.Latest.Totals {
		if !names[v.Field] {
			t.Errorf("value for field %q, want the CSV display names %v", v.Field, names)
		}
	}
}

// TestMaxRequeuesZero: clari.max_requeues 0 means a timed-out job is not
// replaced (RunOptions' own 0 would mean its default, 1).
func TestMaxRequeuesZero(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{forecasts: []string{"net_arr"}, config: func(c *config.Config) { c.Clari.MaxRequeues = 0 }})
	must(t, e.sim.NextJobEnds("net_arr", clarisim.NeverFinish))
	es := runUntil(t, e.runner(nil), "net_arr ran", allRan(1))
	ts := target(t, es, "net_arr")
	if ts.Failures["timeout"] != 1 || ts.Requeues != 0 {
		t.Errorf("failures %v requeues %v, want one timeout and no requeue", ts.Failures, ts.Requeues)
	}
	if n := e.sim.Stats().JobsCreated; n != 1 {
		t.Errorf("JobsCreated %d, want 1", n)
	}
}
