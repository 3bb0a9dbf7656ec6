package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/clari-exporter/clari_exporter/clari"
	"github.com/clari-exporter/clari_exporter/clari/clarisim"
	"github.com/clari-exporter/clari_exporter/store"
)

// startChild runs the exporter as a subprocess (see TestMain).
func startChild(t *testing.T, args []string, logPath string) *exec.Cmd {
	t.Helper()
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "CLARI_EXPORTER_CHILD=1", "CLARI_EXPORTER_ARGS="+strings.Join(args, "\n"))
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

// TestKill9WhileJobInFlight: kill -9 the exporter while its export job is
// being polled, restart it, and the same job is polled to completion, one
// run is counted and its snapshot is kept. No second job is created.
func TestKill9WhileJobInFlight(t *testing.T) {
	sim := clarisim.New(clarisim.Options{APIKey: testAPIKey, Seed: 7,
		Tenant:   clarisim.TenantSpec{Users: 30, Fields: 2},
		Scenario: clarisim.Scenario{JobDuration: 4 * time.Second}})
	srv := httptest.NewServer(sim)
	defer srv.Close()
	defer sim.Close()

	dir := t.TempDir()
	statePath := filepath.Join(dir, "state.db")
	cfgPath := writeConfig(t, fmt.Sprintf(`
clari:
  base_url: %s
  api_key_file: %%KEYFILE%%
  poll_interval: 100ms
  poll_timeout: 1m
forecasts:
  - id: net_arr
    types_to_export: [forecast, quota]
    historical_quarters: 0
schedule:
  current_interval: 1h
  monthly_budget: 1000
storage:
  path: %s
`, srv.URL, statePath))
	addr := freeAddr(t)
	args := []string{"--config.file=" + cfgPath, "--web.listen-address=" + addr}
	logPath := filepath.Join(dir, "exporter.log")

	first := startChild(t, args, logPath)
	waitFor(t, 60*time.Second, "the first job to be polled", func() bool {
		return sim.Stats().Requests[clari.EndpointGetJob] >= 2
	})
	jobs := sim.Jobs()
	if len(jobs) != 1 {
		t.Fatalf("%d jobs before the kill, want 1", len(jobs))
	}
	jobID := jobs[0].Job.JobID
	if err := first.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = first.Wait()

	second := startChild(t, args, logPath)
	// The store file is locked by the running exporter: watch its metrics.
	runsSample := fmt.Sprintf(`clari_export_runs_total{forecast="net_arr",period=%q} 1`, currentPeriodLabel())
	waitFor(t, 60*time.Second, "the resumed job to be recorded", func() bool {
		resp, err := http.Get("http://" + addr + "/metrics")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return strings.Contains(string(body), runsSample)
	})
	_ = second.Process.Signal(syscall.SIGTERM)
	_ = second.Wait()

	if got := sim.Stats().JobsCreated; got != 1 {
		t.Errorf("simulator created %d jobs, want 1 (the restart must resume, not re-create)", got)
	}
	st, err := store.OpenSQLite(statePath, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	runs, err := st.Runs(context.Background(), "net_arr", currentPeriodLabel(), 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 1 || runs[0].JobID != jobID || !runs[0].Success() {
		logs, _ := os.ReadFile(logPath)
		t.Fatalf("runs = %+v, want exactly one successful run of job %s\nlogs:\n%s", runs, jobID, tail(string(logs), 30))
	}
	snaps, err := st.LatestSnapshots(context.Background())
	if err != nil || len(snaps) != 1 || snaps[0].JobID != jobID || snaps[0].Rows == 0 {
		t.Fatalf("snapshots = %+v (err %v), want one of job %s with rows", snaps, err, jobID)
	}
	inflight, _ := st.InFlight(context.Background())
	if len(inflight) != 0 {
		t.Errorf("in-flight jobs left after completion: %+v", inflight)
	}
}

// currentPeriodLabel is the calendar-quarter label of today (the tests'
// default fiscal calendar).
func currentPeriodLabel() string {
	now := time.Now().UTC()
	return fmt.Sprintf("%d_Q%d", now.Year(), (int(now.Month())-1)/3+1)
}
