package main

import (
	"bytes"
	"html"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/clari-exporter/clari_exporter/clari"
)

// TestAPIKeyNeverExposed runs the exporter with a key the simulator accepts
// and then with one it rejects (401s, failed exports, a failed reload) and
// scans everything a user can see: logs, /metrics, the landing page and
// every run page it links, the reload error and --config.check output.
func TestAPIKeyNeverExposed(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		simKey string
	}{
		{"accepted key", testAPIKey},
		{"rejected key", "another-key-the-sim-expects"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sim, srv := simServer(t, tc.simKey)
			state := filepath.Join(t.TempDir(), "state.db")
			path := writeConfig(t, strings.ReplaceAll(exporterConfig(srv.URL, "bookings"), "%STATE%", state))
			f, base := testFlags(t)
			f.configFile = path
			logs := startServe(t, f, base)

			waitFor(t, 60*time.Second, "both forecasts to have run", func() bool {
				mfs, _ := scrape(t, base)
				return sum(mfs, "clari_export_runs_total", nil) >= 2
			})
			if tc.simKey != testAPIKey && sim.Stats().Unauthorized == 0 {
				t.Fatalf("the simulator saw no 401: the rejected-key case tests nothing")
			}
			_, metrics := scrape(t, base)
			_, landing := get(t, base+"/")
			// Every run's page: its record, its error and its log lines.
			var runPages strings.Builder
			links := regexp.MustCompile(`href="(/run\?[^"]+)"`).FindAllStringSubmatch(landing, -1)
			for _, l := range links {
				_, page := get(t, base+html.UnescapeString(l[1]))
				runPages.WriteString(page)
			}
			if len(links) == 0 {
				t.Errorf("the landing page links no run page: nothing of them was scanned")
			}
			// A broken reload puts an error on the wire.
			good, _ := os.ReadFile(path)
			_ = os.WriteFile(path, append(good, []byte("clari_typo: 1\n")...), 0o600)
			resp, err := http.Post(base+"/-/reload", "", nil)
			if err != nil {
				t.Fatal(err)
			}
			var reloadBody bytes.Buffer
			_, _ = reloadBody.ReadFrom(resp.Body)
			resp.Body.Close()
			var out, errOut bytes.Buffer
			checkConfig(path, &out, &errOut)

			for what, text := range map[string]string{
				"logs": logs(), "metrics": metrics, "landing page": landing, "run pages": runPages.String(),
				"reload error": reloadBody.String(), "config check": out.String() + errOut.String(),
			} {
				if strings.Contains(text, testAPIKey) {
					t.Errorf("the API key appears in the %s", what)
				}
				if text == "" {
					t.Errorf("%s is empty: nothing was scanned", what)
				}
			}
			if tc.simKey != testAPIKey {
				mfs, _ := scrape(t, base)
				if v, _ := value(mfs, "clari_api_requests_total", map[string]string{"endpoint": clari.EndpointLimits, "code": "401"}); v == 0 {
					t.Errorf("401s were not counted on clari_api_requests_total")
				}
				if !strings.Contains(logs(), "401") {
					t.Errorf("logs do not mention the 401s: the scan saw no error text")
				}
			}
		})
	}
}
