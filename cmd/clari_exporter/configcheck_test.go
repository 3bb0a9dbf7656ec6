package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeConfig writes a config file (with a key file beside it) and returns
// its path. %KEYFILE% in body is replaced by the key file's path.
func writeConfig(t *testing.T, body string) string {
	t.Helper()
	dir := t.TempDir()
	key := filepath.Join(dir, "clari.key")
	if err := os.WriteFile(key, []byte(testAPIKey+"\n"), 0o400); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "clari.yml")
	if err := os.WriteFile(path, []byte(strings.ReplaceAll(body, "%KEYFILE%", key)), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

const testAPIKey = "tk_live_9f8e7d6c5b4a39281706f5e4d3c2b1a0"

const validConfig = `
clari:
  api_key_file: %KEYFILE%
forecasts:
  - id: net_arr
    types_to_export: [forecast, quota, crm_closed]
schedule:
  current_interval: 6h
  historical_interval: 7d
`

func TestConfigCheck(t *testing.T) {
	cases := []struct {
		name     string
		body     string
		wantCode int
		wantOut  []string // substrings of stdout+stderr
	}{
		{"valid", validConfig, 0, []string{"OK", "1 forecasts"}},
		{"unknown key", validConfig + "bogus_section: 1\n", 1, []string{"clari.yml:", "bogus_section"}},
		{"unknown nested key", strings.Replace(validConfig, "  api_key_file:", "  api_key_fiel: x\n  api_key_file:", 1), 1, []string{"clari.yml:3: clari.api_key_fiel: unknown key; did you mean api_key_file?"}},
		{"type error", strings.Replace(validConfig, "crm_closed]", "crm_closed]\n    historical_quarters: four", 1), 1, []string{`clari.yml:7: forecasts[0].historical_quarters: must be a whole number, got "four"`}},
		{"tab", strings.Replace(validConfig, "  current_interval: 6h", "\tcurrent_interval: 6h", 1), 1, []string{"is indented with a tab", "replace the tab with spaces"}},
		{"missing key file", strings.Replace(validConfig, "%KEYFILE%", "/nonexistent/clari.key", 1), 1, []string{"clari.api_key_file", "/nonexistent/clari.key"}},
		{"budget over quota", strings.Replace(validConfig, "current_interval: 6h", "current_interval: 1m", 1) + "", 1, []string{"monthly_budget", "every 1m"}},
		{"negative interval", strings.Replace(validConfig, "current_interval: 6h", "current_interval: -5m", 1), 1, []string{"schedule.current_interval"}},
		{"bad data type", strings.Replace(validConfig, "crm_closed]", "crm_closd]", 1), 1, []string{"types_to_export", "crm_closd"}},
		{"bad period label", strings.Replace(validConfig, "crm_closed]", "crm_closed]\n    extra_periods: [2024-Q3]", 1), 1, []string{"forecasts[0].extra_periods[0]", "2024-Q3", "YYYY_QN"}},
		{"bad fiscal month", validConfig + "fiscal_calendar:\n  start_month: 13\n", 1, []string{"fiscal_calendar.start_month"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := writeConfig(t, tc.body)
			var out, errOut bytes.Buffer
			code := checkConfig(path, &out, &errOut)
			all := out.String() + errOut.String()
			if code != tc.wantCode {
				t.Fatalf("exit code %d, want %d; output:\n%s", code, tc.wantCode, all)
			}
			for _, w := range tc.wantOut {
				if !strings.Contains(all, w) {
					t.Errorf("output lacks %q:\n%s", w, all)
				}
			}
			if strings.Contains(all, testAPIKey) {
				t.Errorf("output contains the API key:\n%s", all)
			}
		})
	}
}
