package checklist

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clari-exporter/clari_exporter/clari/clarisim"
)

// TestBaselinePasses: the base configuration against the simulator passes
// every check that can run without a warehouse, Prometheus or other
// environments, spends no quota, and exits 0.
func TestBaselinePasses(t *testing.T) {
	s := startSim(t, clarisim.Scenario{})
	rep := audit(t, Options{ConfigFile: writeConfig(t, s.URL)})
	for _, r := range rep.Results {
		switch r.ID {
		case CheckProductionBaseURL, CheckLeastPrivilege: // a simulator is not production; it serves the audit log
			if r.Status != Warn {
				t.Errorf("%s: got %s (%s), want WARN", r.ID, r.Status, r.Detail)
			}
		case CheckTokenPerEnvironment, CheckWarehouseReachable, CheckWarehouseUpsertKey, CheckWarehouseRetention,
			CheckPrometheusRules, CheckPrometheusTarget, CheckAlertmanagerRoute, CheckFiscalCalendar:
			if r.Status != Skip {
				t.Errorf("%s: got %s (%s), want SKIP", r.ID, r.Status, r.Detail)
			}
		default:
			if r.Status != Pass {
				t.Errorf("%s: got %s (%s), want PASS", r.ID, r.Status, r.Detail)
			}
		}
		if r.Detail == "" {
			t.Errorf("%s: empty detail", r.ID)
		}
	}
	if rep.ExitCode != 0 {
		t.Errorf("exit code %d, want 0", rep.ExitCode)
	}
	st := s.Stats()
	if st.CreateCalls != 0 || st.JobsCreated != 0 {
		t.Errorf("the audit spent quota: %d creates, %d jobs", st.CreateCalls, st.JobsCreated)
	}
}

func TestConfigValid(t *testing.T) {
	s := startSim(t, clarisim.Scenario{})
	t.Run("fails on a validation problem, other checks still run", func(t *testing.T) {
		rep := audit(t, Options{ConfigFile: writeConfig(t, s.URL, "monthly_budget: 200", "monthly_budget: 200\n  quota_reserve: -1")})
		expect(t, rep, CheckConfigValid, Fail, "schedule.quota_reserve", "clari.yml:")
		expect(t, rep, CheckAPITokenValid, Pass)
		if rep.ExitCode != 1 {
			t.Errorf("exit code %d, want 1", rep.ExitCode)
		}
	})
	t.Run("undecodable file: every other check skipped", func(t *testing.T) {
		rep := audit(t, Options{ConfigFile: writeConfig(t, s.URL, "environment: prod", "environment: prod\n  no_such_key: 1")})
		expect(t, rep, CheckConfigValid, Fail, "no_such_key", "nothing else can be checked")
		for _, r := range rep.Results {
			if r.ID != CheckConfigValid && r.Status != Skip {
				t.Errorf("%s: got %s, want SKIP", r.ID, r.Status)
			}
		}
		if rep.ExitCode != 1 {
			t.Errorf("exit code %d, want 1", rep.ExitCode)
		}
	})
	t.Run("unreadable file is a usage error", func(t *testing.T) {
		_, err := Run(t.Context(), Options{ConfigFile: filepath.Join(t.TempDir(), "missing.yml")})
		var ue *UsageError
		if err == nil || !errorsAs(err, &ue) {
			t.Fatalf("got %v, want a *UsageError", err)
		}
	})
}

func TestAPIKeySecretStore(t *testing.T) {
	s := startSim(t, clarisim.Scenario{})
	t.Run("key file 0400 passes", func(t *testing.T) {
		rep := audit(t, Options{ConfigFile: writeConfig(t, s.URL)})
		expect(t, rep, CheckAPIKeySecretStore, Pass, "api_key_file", "(mode 0400)")
	})
	t.Run("world-readable key file fails", func(t *testing.T) {
		cfg := writeConfig(t, s.URL)
		if err := os.Chmod(filepath.Join(filepath.Dir(cfg), "key"), 0o644); err != nil {
			t.Fatal(err)
		}
		rep := audit(t, Options{ConfigFile: cfg})
		expect(t, rep, CheckAPIKeySecretStore, Fail, "world-readable", "0644")
		if rep.ExitCode != 1 {
			t.Errorf("exit code %d, want 1 (P1)", rep.ExitCode)
		}
	})
	t.Run("missing key file fails", func(t *testing.T) {
		rep := audit(t, Options{ConfigFile: writeConfig(t, s.URL, "api_key_file: key", "api_key_file: nokey")})
		expect(t, rep, CheckAPIKeySecretStore, Fail, "nokey does not exist")
		expect(t, rep, CheckAPITokenValid, Fail, "no API key")
	})
	t.Run("inline key fails naming its line", func(t *testing.T) {
		rep := audit(t, Options{ConfigFile: writeConfig(t, s.URL, "api_key_file: key", "api_key: "+testKey)})
		expect(t, rep, CheckAPIKeySecretStore, Fail, "inline api_key in clari.yml line 3")
		expect(t, rep, CheckAPITokenValid, Pass) // the key itself works
	})
	t.Run("env var passes, unset env var fails", func(t *testing.T) {
		t.Setenv("CLARI_AUDIT_TEST_KEY", testKey)
		rep := audit(t, Options{ConfigFile: writeConfig(t, s.URL, "api_key_file: key", "api_key_env: CLARI_AUDIT_TEST_KEY")})
		expect(t, rep, CheckAPIKeySecretStore, Pass, "api_key_env CLARI_AUDIT_TEST_KEY")
		rep = audit(t, Options{ConfigFile: writeConfig(t, s.URL, "api_key_file: key", "api_key_env: CLARI_AUDIT_TEST_UNSET")})
		expect(t, rep, CheckAPIKeySecretStore, Fail, "CLARI_AUDIT_TEST_UNSET is not set")
	})
}

func TestAPIKeyRotation(t *testing.T) {
	s := startSim(t, clarisim.Scenario{})
	cases := []struct {
		name, rotated string
		want          Status
		fragment      string
	}{
		{"within policy", `rotated_at: "2026-10-01"`, Pass, "key rotated 2026-10-01 (46 days ago, from clari.rotated_at)"},
		{"due soon", `rotated_at: "2026-08-25"`, Warn, "due within"},
		{"overdue", `rotated_at: "2026-05-01"`, Fail, "over the 90d rotation policy"},
		{"unknown with an env var", `rotated_at: "2026-10-01"`, Warn, "rotation time unknown"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			repl := []string{`rotated_at: "2026-10-01"`, c.rotated}
			if strings.HasPrefix(c.name, "unknown") {
				t.Setenv("CLARI_AUDIT_TEST_KEY", testKey)
				repl = []string{`rotated_at: "2026-10-01"`, "", "api_key_file: key", "api_key_env: CLARI_AUDIT_TEST_KEY"}
			}
			rep := audit(t, Options{ConfigFile: writeConfig(t, s.URL, repl...)})
			expect(t, rep, CheckAPIKeyRotation, c.want, c.fragment)
		})
	}
	t.Run("key file mtime", func(t *testing.T) {
		cfg := writeConfig(t, s.URL, `rotated_at: "2026-10-01"`, "")
		old := now.AddDate(0, 0, -120)
		if err := os.Chtimes(filepath.Join(filepath.Dir(cfg), "key"), old, old); err != nil {
			t.Fatal(err)
		}
		rep := audit(t, Options{ConfigFile: cfg})
		expect(t, rep, CheckAPIKeyRotation, Fail, "120 days ago, from api_key_file mtime")
		if rep.ExitCode != 1 {
			t.Errorf("exit code %d, want 1 (P1)", rep.ExitCode)
		}
	})
}

func TestExportTypes(t *testing.T) {
	s := startSim(t, clarisim.Scenario{})
	rep := audit(t, Options{ConfigFile: writeConfig(t, s.URL)})
	expect(t, rep, CheckExportTypes, Pass, "forecast, quota and crm_closed")
	rep = audit(t, Options{ConfigFile: writeConfig(t, s.URL, "[forecast, quota, crm_closed]", "[forecast, quota]")})
	expect(t, rep, CheckExportTypes, Warn, "forecast net_arr: crm_closed missing", "type_not_supported")
	rep = audit(t, Options{ConfigFile: writeConfig(t, s.URL, "[forecast, quota, crm_closed]", "[forecast, crm_closed]")})
	expect(t, rep, CheckExportTypes, Fail, "forecast net_arr: quota missing from typesToExport")
}

func TestPeriodCoverage(t *testing.T) {
	s := startSim(t, clarisim.Scenario{})
	rep := audit(t, Options{ConfigFile: writeConfig(t, s.URL, "forecasts:", "fiscal_calendar:\n  start_month: 1\nforecasts:")})
	expect(t, rep, CheckPeriodCoverage, Pass, "2025_Q4 … 2026_Q4")
	// Without fiscal_calendar no label is guessed (January would be).
	rep = audit(t, Options{ConfigFile: writeConfig(t, s.URL)})
	expect(t, rep, CheckPeriodCoverage, Pass, "labels from the calendar learned from Clari")
	rep = audit(t, Options{ConfigFile: writeConfig(t, s.URL, "historical_quarters: 4", "historical_quarters: 2")})
	expect(t, rep, CheckPeriodCoverage, Fail, "forecast net_arr: current + 2 historical quarters")
}

func TestQuotaBudget(t *testing.T) {
	s := startSim(t, clarisim.Scenario{})
	rep := audit(t, Options{ConfigFile: writeConfig(t, s.URL)})
	expect(t, rep, CheckQuotaBudget, Pass, "schedule costs 140 of monthly_budget 200", "org quota 1000 (1000 available)")

	rep = audit(t, Options{ConfigFile: writeConfig(t, s.URL, "monthly_budget: 200", "monthly_budget: 100")})
	expect(t, rep, CheckQuotaBudget, Fail, "schedule costs 140 exports per 30 days, over schedule.monthly_budget 100")
	expect(t, rep, CheckConfigValid, Fail, "monthly_budget")

	small := startSim(t, clarisim.Scenario{MonthlyQuota: 200})
	rep = audit(t, Options{ConfigFile: writeConfig(t, small.URL)})
	expect(t, rep, CheckQuotaBudget, Fail, "140 + quota_reserve 100 = 240", "monthly quota 200")
}

func TestRetryBreaker(t *testing.T) {
	s := startSim(t, clarisim.Scenario{})
	rep := audit(t, Options{ConfigFile: writeConfig(t, s.URL)})
	expect(t, rep, CheckRetryBreaker, Pass, "retry on", "breaker on")
	rep = audit(t, Options{ConfigFile: writeConfig(t, s.URL, "environment: prod", "environment: prod\n  retry:\n    enabled: false")})
	expect(t, rep, CheckRetryBreaker, Fail, "clari.retry.enabled is false")
	rep = audit(t, Options{ConfigFile: writeConfig(t, s.URL, "environment: prod", "environment: prod\n  breaker:\n    enabled: false")})
	expect(t, rep, CheckRetryBreaker, Fail, "clari.breaker.enabled is false")
}

func TestJobTimeoutRequeue(t *testing.T) {
	s := startSim(t, clarisim.Scenario{})
	rep := audit(t, Options{ConfigFile: writeConfig(t, s.URL)})
	expect(t, rep, CheckJobTimeoutRequeue, Pass, "timeout 10m, max_requeues 1")
	rep = audit(t, Options{ConfigFile: writeConfig(t, s.URL, "environment: prod", "environment: prod\n  max_requeues: 0")})
	expect(t, rep, CheckJobTimeoutRequeue, Fail, "max_requeues 0")
	rep = audit(t, Options{ConfigFile: writeConfig(t, s.URL, "environment: prod", "environment: prod\n  poll_timeout: 3h")})
	expect(t, rep, CheckJobTimeoutRequeue, Warn, "holds a concurrency slot")
}

func TestEmptyExportDetection(t *testing.T) {
	s := startSim(t, clarisim.Scenario{})
	rep := audit(t, Options{ConfigFile: writeConfig(t, s.URL)})
	expect(t, rep, CheckEmptyExportDetection, Pass, "empty_export_is_failure on")
	rep = audit(t, Options{ConfigFile: writeConfig(t, s.URL, "expose_forecast_values: false", "expose_forecast_values: false\n  empty_export_is_failure: false")})
	expect(t, rep, CheckEmptyExportDetection, Fail, "passes silently")
	if rep.ExitCode != 1 {
		t.Errorf("exit code %d, want 1 (P1)", rep.ExitCode)
	}
}

func TestMetricsProtected(t *testing.T) {
	s := startSim(t, clarisim.Scenario{})
	on := []string{"expose_forecast_values: false", "expose_forecast_values: true"}
	rep := audit(t, Options{ConfigFile: writeConfig(t, s.URL)})
	expect(t, rep, CheckMetricsProtected, Pass, "expose_forecast_values is off")

	rep = audit(t, Options{ConfigFile: writeConfig(t, s.URL, on...)})
	expect(t, rep, CheckMetricsProtected, Fail, "no --web.config.file")

	dir := t.TempDir()
	// bcrypt of "secret" (cost 4), a valid basic_auth_users entry.
	basic := writeFile(t, dir, "basic.yml", "basic_auth_users:\n  prometheus: $2y$04$4bJ8PYsaUCUqXz6JV3jv6uLQhGbGaGzlNcSjk6fYKVSs1gZMHHiQK\n", 0o600)
	rep = audit(t, Options{ConfigFile: writeConfig(t, s.URL, on...), WebConfigFile: basic})
	expect(t, rep, CheckMetricsProtected, Pass, "basic auth (1 user(s))")

	none := writeFile(t, dir, "none.yml", "http_server_config:\n  http2: true\n", 0o600)
	rep = audit(t, Options{ConfigFile: writeConfig(t, s.URL, on...), WebConfigFile: none})
	expect(t, rep, CheckMetricsProtected, Fail, "neither tls_server_config nor basic_auth_users")

	bad := writeFile(t, dir, "bad.yml", "tls_server_config:\n  cert_file: /nonexistent/tls.crt\n  key_file: /nonexistent/tls.key\n", 0o600)
	rep = audit(t, Options{ConfigFile: writeConfig(t, s.URL, on...), WebConfigFile: bad})
	expect(t, rep, CheckMetricsProtected, Fail, "is invalid")
}
