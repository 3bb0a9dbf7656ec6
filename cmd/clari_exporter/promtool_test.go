package main

import (
	"bytes"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/clari-exporter/clari_exporter/internal/testtier"
)

// demoScrapePassesPromtool: `promtool check metrics` finds nothing to
// complain about in a scrape of the running demo.
func demoScrapePassesPromtool(t *testing.T, base string, _ func() string) {
	promtool := testtier.Tool(t, "promtool", "prometheus")
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
