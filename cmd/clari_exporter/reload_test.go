package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/clari-exporter/clari_exporter/clari/clarisim"
)

func simServer(t *testing.T, key string) (*clarisim.Sim, *httptest.Server) {
	t.Helper()
	sim := clarisim.New(clarisim.Options{APIKey: key, Seed: 3,
		Tenant:   januaryTenant(10, 2), // exporterConfig's fiscal_calendar
		Scenario: clarisim.Scenario{JobDuration: 100 * time.Millisecond}})
	srv := httptest.NewServer(sim)
	t.Cleanup(func() { sim.Close(); srv.Close() })
	return sim, srv
}

func exporterConfig(simURL, extraForecast string) string {
	cfg := fmt.Sprintf(`
clari:
  base_url: %s
  api_key_file: %%KEYFILE%%
  poll_interval: 100ms
  probe_interval: 1s
fiscal_calendar:
  start_month: 1
forecasts:
  - id: net_arr
    types_to_export: [forecast, quota]
    historical_quarters: 0
`, simURL)
	if extraForecast != "" {
		cfg += fmt.Sprintf("  - id: %s\n    historical_quarters: 0\n", extraForecast)
	}
	return cfg + "schedule:\n  current_interval: 1h\n  monthly_budget: 2000\nstorage:\n  path: %STATE%\n"
}

// TestReload: a broken config file is rejected by POST /-/reload, the old
// config keeps running and the reload metric drops to 0; a fixed file
// reloaded by SIGHUP takes effect and sets it back to 1. Not parallel: the
// SIGHUP goes to the whole test process, whose every running exporter would
// reload; serial tests run before the parallel ones start.
func TestReload(t *testing.T) {
	_, srv := simServer(t, testAPIKey)
	state := filepath.Join(t.TempDir(), "state.db")
	path := writeConfig(t, strings.ReplaceAll(exporterConfig(srv.URL, ""), "%STATE%", state))
	keyFile := filepath.Join(filepath.Dir(path), "clari.key")
	f, base := testFlags(t)
	f.configFile = path
	startServe(t, f, base)

	reloadOK := func() float64 {
		mfs, _ := scrape(t, base)
		v, _ := value(mfs, "clari_exporter_config_last_reload_successful", nil)
		return v
	}
	if reloadOK() != 1 {
		t.Fatalf("clari_exporter_config_last_reload_successful != 1 at start")
	}

	good, _ := os.ReadFile(path)
	if err := os.WriteFile(path, append(good, []byte("not_a_section: true\n")...), 0o600); err != nil {
		t.Fatal(err)
	}
	resp, err := http.Post(base+"/-/reload", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusInternalServerError {
		t.Errorf("POST /-/reload of a broken file: status %d, want 500", resp.StatusCode)
	}
	if v := reloadOK(); v != 0 {
		t.Errorf("after a failed reload clari_exporter_config_last_reload_successful = %v, want 0", v)
	}
	mfs, _ := scrape(t, base)
	if _, ok := value(mfs, "clari_export_runs_total", map[string]string{"forecast": "net_arr"}); !ok {
		t.Errorf("the old config stopped serving net_arr after a failed reload")
	}
	if code, _ := get(t, base+"/-/reload"); code != http.StatusMethodNotAllowed {
		t.Errorf("GET /-/reload: status %d, want 405", code)
	}

	fixed := strings.ReplaceAll(strings.ReplaceAll(exporterConfig(srv.URL, "bookings"), "%STATE%", state), "%KEYFILE%", keyFile)
	if err := os.WriteFile(path, []byte(fixed), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 30*time.Second, "SIGHUP reload to add forecast bookings", func() bool {
		mfs, _ := scrape(t, base)
		_, ok := value(mfs, "clari_export_runs_total", map[string]string{"forecast": "bookings"})
		v, _ := value(mfs, "clari_exporter_config_last_reload_successful", nil)
		return ok && v == 1
	})
}
