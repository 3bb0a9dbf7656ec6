package main

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/clari-exporter/clari_exporter/clari"
	"github.com/clari-exporter/clari_exporter/clari/clarisim"
	"github.com/clari-exporter/clari_exporter/store"
)

// startChild runs the built exporter (see TestMain) as a child process
// until the test ends, its output appended to logPath.
func startChild(t *testing.T, args []string, logPath string) *exec.Cmd {
	t.Helper()
	bin := exporterBinary(t)
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		logFile.Close()
	})
	return cmd
}

// crashRig is one exporter configuration on a SQLite file against a
// simulator, for the tests that kill the exporter and start it again on the
// same file.
type crashRig struct {
	statePath, logPath, addr string
	args                     []string
}

// newCrashRig serves sim and configures the export of net_arr (forecast
// and quota, the current quarter only) against it; clari holds the extra
// lines of the clari: section (indented by two).
func newCrashRig(t *testing.T, sim *clarisim.Sim, clari string) *crashRig {
	t.Helper()
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	t.Cleanup(sim.Close)
	dir := t.TempDir()
	r := &crashRig{statePath: filepath.Join(dir, "state.db"), logPath: filepath.Join(dir, "exporter.log"), addr: freeAddr(t)}
	cfgPath := writeConfig(t, fmt.Sprintf(`
clari:
  base_url: %s
  api_key_file: %%KEYFILE%%
%sforecasts:
  - id: net_arr
    types_to_export: [forecast, quota]
    historical_quarters: 0
schedule:
  current_interval: 1h
  monthly_budget: 1000
storage:
  path: %s
`, srv.URL, clari, r.statePath))
	r.args = []string{"--config.file=" + cfgPath, "--web.listen-address=" + r.addr}
	return r
}

func (r *crashRig) start(t *testing.T) *exec.Cmd { return startChild(t, r.args, r.logPath) }

func kill9(t *testing.T, cmd *exec.Cmd) {
	t.Helper()
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
}

// waitForRun waits until the running exporter counts one run of net_arr.
// The store file is locked by the running exporter: watch its metrics.
func (r *crashRig) waitForRun(t *testing.T, timeout time.Duration, what string) {
	t.Helper()
	runsSample := fmt.Sprintf(`clari_export_runs_total{forecast="net_arr",period=%q}`, currentPeriodLabel())
	waitFor(t, timeout, what, func() bool {
		v, ok := metricAt(r.addr, runsSample)
		return ok && v == 1
	})
}

func stop(cmd *exec.Cmd) {
	_ = cmd.Process.Signal(syscall.SIGTERM)
	_ = cmd.Wait()
}

// openStore opens the stopped exporter's store; the caller closes it.
func (r *crashRig) openStore(t *testing.T) *store.SQLite {
	t.Helper()
	st, err := store.OpenSQLite(r.statePath, nil)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// requireOneRun fails unless st holds exactly one run of net_arr, a
// successful one of jobID; want says so in the failure.
func (r *crashRig) requireOneRun(t *testing.T, st *store.SQLite, jobID, want string) {
	t.Helper()
	runs, err := st.Runs(context.Background(), "net_arr", currentPeriodLabel(), 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 1 || runs[0].JobID != jobID || !runs[0].Success() {
		logs, _ := os.ReadFile(r.logPath)
		t.Fatalf("runs = %+v, want %s\nlogs:\n%s", runs, want, tail(string(logs), 30))
	}
}

// TestKill9WhileJobInFlight: kill -9 the exporter while its export job is
// being polled, restart it, and the same job is polled to completion, one
// run is counted and its snapshot is kept. No second job is created.
func TestKill9WhileJobInFlight(t *testing.T) {
	t.Parallel()
	sim := clarisim.New(clarisim.Options{APIKey: testAPIKey, Seed: 7,
		Tenant:   januaryTenant(30, 2),
		Scenario: clarisim.Scenario{JobDuration: 4 * time.Second}})
	r := newCrashRig(t, sim, "  poll_interval: 100ms\n  poll_timeout: 1m\n")

	first := r.start(t)
	waitFor(t, 60*time.Second, "the first job to be polled", func() bool {
		return sim.Stats().Requests[clari.EndpointGetJob] >= 2
	})
	jobs := sim.Jobs()
	if len(jobs) != 1 {
		t.Fatalf("%d jobs before the kill, want 1", len(jobs))
	}
	jobID := jobs[0].Job.JobID
	kill9(t, first)

	second := r.start(t)
	r.waitForRun(t, 60*time.Second, "the resumed job to be recorded")
	stop(second)

	if got := sim.Stats().JobsCreated; got != 1 {
		t.Errorf("simulator created %d jobs, want 1 (the restart must resume, not re-create)", got)
	}
	st := r.openStore(t)
	defer st.Close()
	r.requireOneRun(t, st, jobID, "exactly one successful run of job "+jobID)
	snaps, err := st.LatestSnapshots(context.Background())
	if err != nil || len(snaps) != 1 || snaps[0].JobID != jobID || snaps[0].Rows == 0 {
		t.Fatalf("snapshots = %+v (err %v), want one of job %s with rows", snaps, err, jobID)
	}
	inflight, _ := st.InFlight(context.Background())
	if len(inflight) != 0 {
		t.Errorf("in-flight jobs left after completion: %+v", inflight)
	}
}

// currentPeriodLabel is the calendar-quarter label of today: the period of
// the tests whose simulator has a January year (januaryTenant), as
// exporterConfig's fiscal_calendar says.
func currentPeriodLabel() string {
	now := time.Now().UTC()
	return fmt.Sprintf("%d_Q%d", now.Year(), (int(now.Month())-1)/3+1)
}

// januaryTenant is a simulator tenant whose fiscal year is the calendar
// year, for the tests written for it (the simulator's default is a
// February year, as real tenants are not on the calendar year).
func januaryTenant(users, fields int) clarisim.TenantSpec {
	return clarisim.TenantSpec{Users: users, Fields: fields, FiscalStartMonth: time.January}
}
