package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/clari-exporter/clari_exporter/checklist"
	"github.com/clari-exporter/clari_exporter/clari/clarisim"
)

const auditTestKey = "sk-cmd-test-9f8e7d6c5b4a39281706f5e4d3c2b1a0"

// auditSim serves a simulator accepting auditTestKey and returns base_url.
func auditSim(t *testing.T) string {
	t.Helper()
	s := clarisim.New(clarisim.Options{APIKey: auditTestKey})
	srv := httptest.NewServer(s)
	t.Cleanup(func() { srv.Close(); s.Close() })
	return srv.URL + "/v4"
}

// auditConfig writes a key file (0400) and a config for base; extra is
// appended to the metrics section.
func auditConfig(t *testing.T, base, metrics string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "key"), []byte(auditTestKey+"\n"), 0o400); err != nil {
		t.Fatal(err)
	}
	today := time.Now().UTC().Format(time.DateOnly)
	y := "clari:\n  base_url: " + base + "\n  api_key_file: key\n  rotated_at: \"" + today + "\"\n  environment: prod\n" +
		"forecasts:\n  - id: net_arr\n    types_to_export: [forecast, quota, crm_closed]\n    historical_quarters: 4\n" +
		"metrics:\n  expose_forecast_values: false\n" + metrics
	p := filepath.Join(dir, "clari.yml")
	if err := os.WriteFile(p, []byte(y), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func auditArgs(cfg string) checkFlags {
	return checkFlags{configFile: cfg, output: "text", timeout: 10 * time.Second, logLevel: "debug"}
}

func runAuditTest(t *testing.T, cf checkFlags) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = checkMain(context.Background(), cf, checklist.Options{}, &out, &errb)
	return code, out.String(), errb.String()
}

func TestCheckExitCodes(t *testing.T) {
	base := auditSim(t)
	t.Run("0 when no P1 fails", func(t *testing.T) {
		code, out, errOut := runAuditTest(t, auditArgs(auditConfig(t, base, "")))
		if code != 0 {
			t.Fatalf("exit %d, want 0\n%s%s", code, out, errOut)
		}
		for _, want := range []string{"[PASS] api_token_valid (P1): token accepted by " + base + "/admin/limits", "\nAuthentication & security\n", "Summary: "} {
			if !strings.Contains(out, want) {
				t.Errorf("output lacks %q:\n%s", want, out)
			}
		}
	})
	t.Run("1 when a P1 check fails", func(t *testing.T) {
		code, out, _ := runAuditTest(t, auditArgs(auditConfig(t, base, "  empty_export_is_failure: false\n")))
		if code != 1 || !strings.Contains(out, "[FAIL] empty_export_detection (P1)") {
			t.Fatalf("exit %d, want 1\n%s", code, out)
		}
	})
	t.Run("0 when only P2 checks fail", func(t *testing.T) {
		cfg := auditConfig(t, base, "")
		b, _ := os.ReadFile(cfg)
		os.WriteFile(cfg, bytes.Replace(b, []byte("historical_quarters: 4"), []byte("historical_quarters: 1"), 1), 0o600)
		code, out, _ := runAuditTest(t, auditArgs(cfg))
		if code != 0 || !strings.Contains(out, "[FAIL] period_coverage (P2)") {
			t.Fatalf("exit %d, want 0 with a P2 FAIL\n%s", code, out)
		}
	})
	t.Run("2 when the config file cannot be read", func(t *testing.T) {
		code, out, errOut := runAuditTest(t, auditArgs(filepath.Join(t.TempDir(), "nope.yml")))
		if code != 2 || out != "" || !strings.Contains(errOut, "cannot read --config.file") {
			t.Fatalf("exit %d, stdout %q, stderr %q", code, out, errOut)
		}
	})
	t.Run("2 on bad flags", func(t *testing.T) {
		for _, args := range [][]string{
			{"check", "--output=xml"},
			{"check", "--no-such-flag"},
			{"check", "--timeout=soon"},
		} {
			if code := run(args); code != 2 {
				t.Errorf("%v: exit %d, want 2", args, code)
			}
		}
	})
}

func TestCheckJSON(t *testing.T) {
	cf := auditArgs(auditConfig(t, auditSim(t), ""))
	cf.output = "json"
	code, out, _ := runAuditTest(t, cf)
	var rep struct {
		Checks []struct {
			ID     string `json:"id"`
			Result string `json:"result"`
		} `json:"checks"`
		ExitCode int `json:"exit_code"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("JSON does not parse: %v\n%s", err, out)
	}
	if len(rep.Checks) != len(checklist.Checks) || rep.ExitCode != code {
		t.Fatalf("%d checks (want %d), exit_code %d (process %d)", len(rep.Checks), len(checklist.Checks), rep.ExitCode, code)
	}
	for i, c := range rep.Checks {
		if c.ID != checklist.Checks[i].ID || c.Result == "" {
			t.Errorf("check %d: %+v", i, c)
		}
	}
}

// TestCheckNoSecrets scans stdout and the debug log of both formats.
func TestCheckNoSecrets(t *testing.T) {
	base := auditSim(t)
	const pw = "cmd-dsn-secret-pw"
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := l.Addr().String()
	l.Close()
	dsn := "postgres://clari:" + pw + "@" + addr + "/clari?sslmode=disable"
	cfg := auditConfig(t, base, "")
	b, _ := os.ReadFile(cfg)
	b = bytes.Replace(b, []byte("api_key_file: key"), []byte("api_key: "+auditTestKey), 1)
	b = append(b, []byte("warehouse:\n  driver: postgres\n  dsn: "+dsn+"\n")...)
	os.WriteFile(cfg, b, 0o600)
	for _, format := range []string{"text", "json"} {
		cf := auditArgs(cfg)
		cf.output = format
		cf.prometheusURL = "http://u:prom-pw-secret@" + addr
		code, out, errOut := runAuditTest(t, cf)
		if code != 1 || !strings.Contains(out, "api_key_secret_store") {
			t.Fatalf("%s: exit %d\n%s", format, code, out)
		}
		for _, s := range []string{auditTestKey, dsn, pw, "prom-pw-secret"} {
			if strings.Contains(out, s) || strings.Contains(errOut, s) {
				t.Errorf("%s output or log carries %q:\n%s\n%s", format, s, out, errOut)
			}
		}
	}
}

func TestCheckUnreachableClariFinishesInTime(t *testing.T) {
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := l.Addr().String()
	l.Close()
	cf := auditArgs(auditConfig(t, "http://"+addr+"/v4", ""))
	cf.timeout = 2 * time.Second
	start := time.Now()
	code, out, _ := runAuditTest(t, cf)
	// 10x the timeout: room for a busy CI machine, still far below the
	// client's retry budget (minutes) that an ignored timeout would use.
	if d := time.Since(start); d > 10*cf.timeout {
		t.Errorf("check took %s with --timeout %s", d, cf.timeout)
	}
	if code != 1 || !strings.Contains(out, "[FAIL] api_token_valid (P1)") {
		t.Errorf("exit %d\n%s", code, out)
	}
}
