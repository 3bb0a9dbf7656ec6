package main

import (
	"bytes"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// needBinary finds an outside binary: a missing one skips the test, except
// under CI=true where it fails.
func needBinary(t *testing.T, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s not found on PATH; CI must install it (.ci/run)", name)
		}
		t.Skipf("%s not found on PATH; install Debian's prometheus package to run this test", name)
	}
	return path
}

// TestDemoScrapePassesPromtool: `promtool check metrics` finds nothing to
// complain about in a scrape of the running demo.
func TestDemoScrapePassesPromtool(t *testing.T) {
	promtool := needBinary(t, "promtool")
	base, _ := startDemoServe(t)
	var body string
	waitFor(t, 60*time.Second, "a demo scrape with forecast values", func() bool {
		_, body = scrape(t, base)
		return strings.Contains(body, "clari_forecast_value{")
	})
	cmd := exec.Command(promtool, "check", "metrics")
	cmd.Stdin = strings.NewReader(body)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("promtool check metrics: %v\n%s", err, out.String())
	}
	if strings.TrimSpace(out.String()) != "" {
		t.Errorf("promtool check metrics reported:\n%s", out.String())
	}
}

// TestHealthAndReady: /-/healthy answers at once, /-/ready once state is
// loaded; both are plain 200s a load balancer can use.
func TestHealthAndReady(t *testing.T) {
	_, srv := simServer(t, testAPIKey)
	f, base := testFlags(t)
	f.configFile = writeConfig(t, strings.ReplaceAll(exporterConfig(srv.URL, ""), "%STATE%", t.TempDir()+"/s.db"))
	startServe(t, f, base) // waits for /-/ready
	for _, p := range []string{"/-/healthy", "/-/ready"} {
		if code, _ := get(t, base+p); code != 200 {
			t.Errorf("GET %s: %d, want 200", p, code)
		}
	}
	if code, body := get(t, base+"/"); code != 200 || !strings.Contains(body, "/metrics") {
		t.Errorf("landing page: %d, no link to /metrics:\n%s", code, body)
	}
}
