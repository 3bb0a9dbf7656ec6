package checklist

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"net/http/httptest"

	"github.com/clari-exporter/clari_exporter/clari/clarisim"
)

// testKey is the simulator's key in these tests; every output test scans
// for it.
const testKey = "sk-test-4c1f0e2d9b8a7766554433221100ffee"

// now is the audit clock of the tests: inside the simulator's quarter.
var now = clarisim.DefaultNow

type sim struct {
	*clarisim.Sim
	URL string // base_url for configs: the server plus /v4
}

// startSim serves a simulator accepting testKey.
func startSim(t *testing.T, sc clarisim.Scenario) *sim {
	t.Helper()
	s := clarisim.New(clarisim.Options{APIKey: testKey, Seed: 1, Scenario: sc, Clock: func() time.Time { return now }})
	srv := httptest.NewServer(s)
	t.Cleanup(func() { srv.Close(); s.Close() })
	return &sim{Sim: s, URL: srv.URL + "/v4"}
}

// writeFile writes content to dir/name with mode and returns the path.
func writeFile(t *testing.T, dir, name, content string, mode os.FileMode) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, mode); err != nil { // umask may have narrowed it
		t.Fatal(err)
	}
	return p
}

// baseConfig is a configuration that passes every config-only check.
// %BASE% and %EXTRA% are replaced by the simulator URL and more YAML.
const baseConfig = `clari:
  base_url: %BASE%
  api_key_file: key
  rotated_at: "2026-10-01"
  environment: prod
forecasts:
  - id: net_arr
    types_to_export: [forecast, quota, crm_closed]
    historical_quarters: 4
schedule:
  monthly_budget: 200
metrics:
  expose_forecast_values: false
watch:
  enabled: true
`

// writeConfig writes the key file (mode 0400) and a config built from
// baseConfig with replacements applied (old → new pairs), and returns the
// config's path.
func writeConfig(t *testing.T, base string, replace ...string) string {
	t.Helper()
	dir := t.TempDir()
	writeFile(t, dir, "key", testKey+"\n", 0o400)
	y := strings.ReplaceAll(baseConfig, "%BASE%", base)
	for i := 0; i+1 < len(replace); i += 2 {
		if !strings.Contains(y, replace[i]) {
			t.Fatalf("writeConfig: %q not in the base config", replace[i])
		}
		y = strings.Replace(y, replace[i], replace[i+1], 1)
	}
	return writeFile(t, dir, "clari.yml", y, 0o600)
}

// audit runs the audit with the test clock and a short timeout.
func audit(t *testing.T, o Options) *Report {
	t.Helper()
	if o.Now == nil {
		o.Now = func() time.Time { return now }
	}
	if o.Timeout == 0 {
		o.Timeout = 10 * time.Second
	}
	rep, err := Run(context.Background(), o)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if len(rep.Results) != len(Checks) {
		t.Fatalf("got %d results, want one per check (%d)", len(rep.Results), len(Checks))
	}
	return rep
}

func get(t *testing.T, rep *Report, id string) Result {
	t.Helper()
	for _, r := range rep.Results {
		if r.ID == id {
			return r
		}
	}
	t.Fatalf("no result for %s", id)
	return Result{}
}

// expect asserts the status of check id and that its detail contains
// every fragment.
func expect(t *testing.T, rep *Report, id string, want Status, fragments ...string) Result {
	t.Helper()
	r := get(t, rep, id)
	if r.Status != want {
		t.Errorf("%s: got %s (%s), want %s", id, r.Status, r.Detail, want)
	}
	for _, f := range fragments {
		if !strings.Contains(r.Detail, f) {
			t.Errorf("%s: detail %q lacks %q", id, r.Detail, f)
		}
	}
	return r
}

func errorsAs(err error, target any) bool { return errors.As(err, target) }

// assertNoSecrets fails when any secret appears in the report, in either
// output format.
func assertNoSecrets(t *testing.T, rep *Report, secrets ...string) {
	t.Helper()
	var text, js strings.Builder
	if err := WriteText(&text, rep); err != nil {
		t.Fatal(err)
	}
	if err := WriteJSON(&js, rep); err != nil {
		t.Fatal(err)
	}
	for _, s := range secrets {
		for name, out := range map[string]string{"text": text.String(), "json": js.String()} {
			if strings.Contains(out, s) {
				t.Errorf("%s output carries the secret %q:\n%s", name, s, out)
			}
		}
	}
}
