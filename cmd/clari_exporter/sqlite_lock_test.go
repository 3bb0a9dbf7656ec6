package main

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/clari-exporter/clari_exporter/clari/clarisim"
)

// Two exporters on one SQLite file would be two schedulers spending quota:
// the second is refused at start, exits non-zero and names the file; the
// first keeps serving.
func TestSecondProcessOnSQLiteFileRefused(t *testing.T) {
	t.Parallel()
	sim := clarisim.New(clarisim.Options{APIKey: testAPIKey, Seed: 3, Tenant: clarisim.TenantSpec{Users: 5, Fields: 1}})
	srv := httptest.NewServer(sim)
	defer srv.Close()
	defer sim.Close()

	dir := t.TempDir()
	statePath := filepath.Join(dir, "shared-state.db")
	cfgPath := writeConfig(t, fmt.Sprintf(`
clari:
  base_url: %s
  api_key_file: %%KEYFILE%%
forecasts:
  - id: net_arr
    historical_quarters: 0
schedule:
  current_interval: 24h
storage:
  path: %s
`, srv.URL, statePath))

	firstAddr := freeAddr(t)
	first := startChild(t, []string{"--config.file=" + cfgPath, "--web.listen-address=" + firstAddr}, filepath.Join(dir, "first.log"))
	waitFor(t, 20*time.Second, "the first exporter to be ready", func() bool {
		resp, err := http.Get("http://" + firstAddr + "/-/ready")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})

	logPath := filepath.Join(dir, "second.log")
	second := startChild(t, []string{"--config.file=" + cfgPath, "--web.listen-address=" + freeAddr(t)}, logPath)
	done := make(chan error, 1)
	go func() { done <- second.Wait() }()
	var err error
	select {
	case err = <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("the second exporter on the same SQLite file is still running after 30s; it must be refused at start")
	}
	logs, _ := os.ReadFile(logPath)
	var exit *exec.ExitError
	if err == nil || !errors.As(err, &exit) || exit.ExitCode() == 0 {
		t.Fatalf("second exporter exited with %v, want a non-zero exit\n%s", err, logs)
	}
	if !strings.Contains(string(logs), statePath) || !strings.Contains(string(logs), "in use") {
		t.Fatalf("the refusal does not name the file %s:\n%s", statePath, logs)
	}

	if first.ProcessState != nil {
		t.Fatal("the first exporter exited")
	}
	resp, err := http.Get("http://" + firstAddr + "/-/ready")
	if err != nil {
		t.Fatalf("first exporter stopped serving: %v", err)
	}
	resp.Body.Close()
}
