package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/clari-exporter/clari_exporter/clari"
	"github.com/clari-exporter/clari_exporter/clari/clarisim"
	"github.com/clari-exporter/clari_exporter/store"
)

// TestKill9AfterCreateBeforeJobIDPersisted: the exporter is killed -9 after
// its create POST reached Clari (Clari made the job) but before the answer
// came, so the job id was never persisted: only the create intent is in
// the store. After the restart the job Clari made is adopted and run to its
// end; no second job is created.
func TestKill9AfterCreateBeforeJobIDPersisted(t *testing.T) {
	sim := clarisim.New(clarisim.Options{APIKey: testAPIKey, Seed: 11,
		Tenant:   clarisim.TenantSpec{Users: 30, Fields: 2},
		Scenario: clarisim.Scenario{JobDuration: 2 * time.Second}})
	// The create makes its job and never answers: the client is still
	// waiting for the job id when it is killed.
	if err := sim.AddFault(clarisim.Fault{Kind: clarisim.FaultCreateThenHang, Endpoint: clari.EndpointCreateExport}); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sim)
	defer srv.Close()
	defer sim.Close()

	dir := t.TempDir()
	statePath := filepath.Join(dir, "state.db")
	cfgPath := writeConfig(t, fmt.Sprintf(`
clari:
  base_url: %s
  api_key_file: %%KEYFILE%%
  request_timeout: 1m
  poll_interval: 500ms
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
	waitFor(t, 20*time.Second, "Clari to make the job of the hung create", func() bool {
		return sim.Stats().JobsCreated >= 1
	})
	if err := first.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = first.Wait()
	jobs := sim.Jobs()
	if len(jobs) != 1 {
		t.Fatalf("%d jobs before the restart, want 1", len(jobs))
	}
	jobID := jobs[0].Job.JobID

	// What the kill left: the intent, no job id.
	st, err := store.OpenSQLite(statePath, nil)
	if err != nil {
		t.Fatal(err)
	}
	intents, ierr := st.Intents(context.Background())
	inflight, ferr := st.InFlight(context.Background())
	st.Close()
	if ierr != nil || ferr != nil || len(intents) != 1 || len(inflight) != 0 {
		t.Fatalf("after the kill: intents %+v (%v), in flight %+v (%v); want one intent and no job id", intents, ierr, inflight, ferr)
	}

	second := startChild(t, args, logPath)
	runsSample := fmt.Sprintf(`clari_export_runs_total{forecast="net_arr",period=%q} 1`, currentPeriodLabel())
	waitFor(t, 30*time.Second, "the adopted job's run to be recorded", func() bool {
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

	if s := sim.Stats(); s.JobsCreated != 1 || s.CreateCalls != 1 {
		t.Errorf("simulator saw %d creates and made %d jobs, want 1 and 1 (the restart must adopt, not create)", s.CreateCalls, s.JobsCreated)
	}
	st, err = store.OpenSQLite(statePath, nil)
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
		t.Fatalf("runs = %+v, want one successful run of the adopted job %s\nlogs:\n%s", runs, jobID, tail(string(logs), 30))
	}
	if left, _ := st.Intents(context.Background()); len(left) != 0 {
		t.Errorf("intents left after adoption: %+v", left)
	}
}
