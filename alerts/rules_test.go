package alerts

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

const runbookBase = "https://github.com/clari-exporter/clari_exporter/blob/main/docs/runbooks.md#"

// requireBinary returns the path of an outside tool. It skips the test when
// the tool is missing, except in CI (CI=true), where a missing tool fails.
func requireBinary(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s not found in PATH; CI must install it (package prometheus)", name)
		}
		t.Skipf("%s not found in PATH; install Prometheus (Debian package prometheus) to run this test", name)
	}
	return p
}

func TestPromtoolCheckRules(t *testing.T) {
	promtool := requireBinary(t, "promtool")
	out, err := exec.Command(promtool, "check", "rules", "clari.rules.yml").CombinedOutput()
	if err != nil {
		t.Fatalf("promtool check rules clari.rules.yml: %v\n%s", err, out)
	}
}

func TestPromtoolTestRules(t *testing.T) {
	promtool := requireBinary(t, "promtool")
	files := testFiles(t)
	out, err := exec.Command(promtool, append([]string{"test", "rules"}, files...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("promtool test rules %s: %v\n%s", strings.Join(files, " "), err, out)
	}
}

func testFiles(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("tests", "*.yml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no promtool test files in alerts/tests (err %v)", err)
	}
	return files
}

func loadRules(t *testing.T) *RuleFile {
	t.Helper()
	rf, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	if len(rf.AlertingRules()) == 0 {
		t.Fatal("clari.rules.yml has no alerting rules")
	}
	return rf
}

// promtoolTests is the part of the promtool unit-test format read here.
type promtoolTests struct {
	RuleFiles []string `yaml:"rule_files"`
	Tests     []struct {
		AlertRuleTest []struct {
			EvalTime  string `yaml:"eval_time"`
			AlertName string `yaml:"alertname"`
			ExpAlerts []struct {
				ExpLabels      map[string]string `yaml:"exp_labels"`
				ExpAnnotations map[string]string `yaml:"exp_annotations"`
			} `yaml:"exp_alerts"`
		} `yaml:"alert_rule_test"`
	} `yaml:"tests"`
}

// TestEveryAlertIsTested checks that every alert has a promtool case where
// it fires (asserting its severity and full annotations, runbook_url
// included) and, except the always-firing watchdog, a case where it does not.
func TestEveryAlertIsTested(t *testing.T) {
	rf := loadRules(t)
	severities := map[string]map[string]bool{}
	runbooks := map[string]string{}
	for _, r := range rf.AlertingRules() {
		if severities[r.Alert] == nil {
			severities[r.Alert] = map[string]bool{}
		}
		severities[r.Alert][r.Labels["severity"]] = true
		runbooks[r.Alert] = r.Annotations["runbook_url"]
	}

	fires := map[string]bool{}
	silent := map[string]bool{}
	for _, f := range testFiles(t) {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var pt promtoolTests
		if err := yaml.Unmarshal(data, &pt); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if !reflect.DeepEqual(pt.RuleFiles, []string{"../clari.rules.yml"}) {
			t.Errorf("%s: rule_files = %v, want [../clari.rules.yml]", f, pt.RuleFiles)
		}
		for _, tc := range pt.Tests {
			for _, art := range tc.AlertRuleTest {
				if _, ok := severities[art.AlertName]; !ok {
					t.Errorf("%s: test for unknown alert %q", f, art.AlertName)
					continue
				}
				if len(art.ExpAlerts) == 0 {
					silent[art.AlertName] = true
					continue
				}
				for _, ea := range art.ExpAlerts {
					if !severities[art.AlertName][ea.ExpLabels["severity"]] {
						t.Errorf("%s: %s at %s expects severity %q, not one the rule sets", f, art.AlertName, art.EvalTime, ea.ExpLabels["severity"])
					}
					for _, k := range []string{"summary", "description", "runbook_url"} {
						if ea.ExpAnnotations[k] == "" {
							t.Errorf("%s: %s at %s does not assert annotation %s", f, art.AlertName, art.EvalTime, k)
						}
					}
					if got := ea.ExpAnnotations["runbook_url"]; got != runbooks[art.AlertName] {
						t.Errorf("%s: %s asserts runbook_url %q, rule has %q", f, art.AlertName, got, runbooks[art.AlertName])
					}
				}
				fires[art.AlertName] = true
			}
		}
	}
	for _, name := range rf.AlertNames() {
		if !fires[name] {
			t.Errorf("alert %s has no promtool test case in which it fires", name)
		}
		if !silent[name] && name != "ClariWatchdog" {
			t.Errorf("alert %s has no promtool test case in which it does not fire", name)
		}
	}
}

var (
	alertName     = regexp.MustCompile(`^Clari[A-Z][A-Za-z0-9]*$`)
	recordingName = regexp.MustCompile(`^[a-z_]+:clari_[a-z0-9_]+:[a-z0-9_]+$`)
	severities    = map[string]bool{"critical": true, "warning": true, "info": true, "none": true}
)

func TestAlertConventions(t *testing.T) {
	rf := loadRules(t)
	for _, r := range rf.AlertingRules() {
		if !alertName.MatchString(r.Alert) {
			t.Errorf("alert %q: name must be ClariCamelCase", r.Alert)
		}
		if !severities[r.Labels["severity"]] {
			t.Errorf("alert %s: severity %q, want one of critical, warning, info, none", r.Alert, r.Labels["severity"])
		}
		for k, v := range r.Labels {
			if strings.Contains(v, "$value") || strings.Contains(v, "{{") {
				t.Errorf("alert %s: label %s=%q is templated; a changing label makes a new alert each evaluation", r.Alert, k, v)
			}
		}
		summary, desc := r.Annotations["summary"], r.Annotations["description"]
		if summary == "" || strings.Contains(summary, "{{") {
			t.Errorf("alert %s: summary must be set and static, got %q", r.Alert, summary)
		}
		if !strings.Contains(desc, "{{") {
			t.Errorf("alert %s: description must be set and templated, got %q", r.Alert, desc)
		}
		want := runbookBase + strings.ToLower(r.Alert)
		if got := r.Annotations["runbook_url"]; got != want {
			t.Errorf("alert %s: runbook_url %q, want %q", r.Alert, got, want)
		}
		for k := range r.Annotations {
			if k != "summary" && k != "description" && k != "runbook_url" {
				t.Errorf("alert %s: unexpected annotation %q", r.Alert, k)
			}
		}
	}
	for _, r := range rf.RecordingRules() {
		if !recordingName.MatchString(r.Record) {
			t.Errorf("recording rule %q: name must be level:metric:operations", r.Record)
		}
	}
}

// TestPagingAlerts pins which alerts page: the checklist's P1 items and any
// export failure must stay critical.
func TestPagingAlerts(t *testing.T) {
	rf := loadRules(t)
	got := map[string]string{}
	for _, r := range rf.AlertingRules() {
		got[r.Alert] = r.Labels["severity"]
	}
	for _, name := range []string{"ClariExportFailed", "ClariExportEmpty", "ClariAPIUnauthorized", "ClariAPIUnreachable", "ClariExporterDown"} {
		if got[name] != "critical" {
			t.Errorf("%s: severity %q, want critical", name, got[name])
		}
	}
	for _, r := range rf.AlertingRules() {
		if r.Alert == "ClariExportFailed" && r.For != "" {
			t.Errorf("ClariExportFailed has for: %s; an export failure must page at once", r.For)
		}
	}
}

// githubAnchors returns the anchors GitHub generates for the Markdown
// headings of a file: lower case, punctuation dropped, spaces to hyphens,
// -1, -2 … for repeats.
func githubAnchors(t *testing.T, path string) map[string]bool {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	anchors := map[string]bool{}
	count := map[string]int{}
	inFence := false
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "```") {
			inFence = !inFence
			continue
		}
		if inFence || !strings.HasPrefix(line, "#") {
			continue
		}
		text := strings.TrimSpace(strings.TrimLeft(line, "#"))
		var b strings.Builder
		for _, r := range strings.ToLower(text) {
			switch {
			case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '-', r == '_':
				b.WriteRune(r)
			case r == ' ':
				b.WriteRune('-')
			}
		}
		a := b.String()
		if n := count[a]; n > 0 {
			anchors[a+"-"+strconv.Itoa(n)] = true
		} else {
			anchors[a] = true
		}
		count[a]++
	}
	return anchors
}

func TestRunbookAnchorsExist(t *testing.T) {
	rf := loadRules(t)
	anchors := githubAnchors(t, filepath.Join("..", "docs", "runbooks.md"))
	for _, r := range rf.AlertingRules() {
		url := r.Annotations["runbook_url"]
		anchor, ok := strings.CutPrefix(url, runbookBase)
		if !ok {
			t.Errorf("alert %s: runbook_url %q does not point into docs/runbooks.md", r.Alert, url)
			continue
		}
		if !anchors[anchor] {
			t.Errorf("alert %s: docs/runbooks.md has no heading with anchor #%s (add \"## %s\")", r.Alert, anchor, r.Alert)
		}
	}
}

func TestExprMetricNames(t *testing.T) {
	cases := []struct {
		expr string
		want []string
	}{
		{`increase(clari_export_failures_total{reason="empty"}[5m]) > 0`, []string{"clari_export_failures_total"}},
		{`histogram_quantile(0.95, sum by (le) (rate(clari_api_request_duration_seconds_bucket[5m])))`, []string{"clari_api_request_duration_seconds"}},
		{`up{job=~"clari_exporter.*"} == 0`, nil},
		{`forecast:clari_export_runs:increase1h`, nil},
		{`clari_up{instance=~"$instance"} + on(clari_label) group_left clari_exporter_build_info{clari_x="clari_y"}`, []string{"clari_exporter_build_info", "clari_up"}},
		{`clari_forecast_value{forecast=~"${forecast}"} / clari_export_rows`, []string{"clari_export_rows", "clari_forecast_value"}},
	}
	for _, c := range cases {
		got := ExprMetricNames(c.expr)
		if len(got) == 0 && len(c.want) == 0 {
			continue
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("ExprMetricNames(%q) = %v, want %v", c.expr, got, c.want)
		}
	}
}

// contract is the metric contract of /work/shared/METRICS.md (plus the
// reload timestamp); every name a rule reads must be in it.
var contract = map[string]bool{
	"clari_up": true, "clari_api_probe_duration_seconds": true, "clari_api_requests_total": true,
	"clari_api_request_duration_seconds": true, "clari_api_retries_total": true,
	"clari_api_circuit_breaker_state": true, "clari_export_quota_available": true,
	"clari_export_quota_limit": true, "clari_api_key_rotation_timestamp_seconds": true,
	"clari_exporter_build_info": true, "clari_exporter_config_last_reload_successful": true,
	"clari_exporter_config_last_reload_success_timestamp_seconds": true, "clari_exporter_leader": true,
	"clari_export_runs_total": true, "clari_export_failures_total": true, "clari_export_requeues_total": true,
	"clari_export_skipped_total": true, "clari_export_last_run_timestamp_seconds": true,
	"clari_export_last_success_timestamp_seconds": true, "clari_export_last_run_success": true,
	"clari_export_duration_seconds": true, "clari_export_last_duration_seconds": true,
	"clari_export_rows": true, "clari_export_duplicate_rows": true, "clari_export_period_coverage_missing": true,
	"clari_forecast_value": true, "clari_forecast_swing_ratio": true, "clari_forecast_swing_anomalous": true,
	"clari_reconciliation_expected_rows": true, "clari_reconciliation_actual_rows": true,
	"clari_reconciliation_mismatch_ratio": true, "clari_reconciliation_last_run_timestamp_seconds": true,
	"clari_warehouse_duplicate_keys": true, "clari_warehouse_surplus_rows": true,
	"clari_warehouse_periods_beyond_retention": true, "clari_warehouse_last_load_timestamp_seconds": true,
	"clari_readiness_check": true,
}

func TestMetricNamesAreInContract(t *testing.T) {
	names, err := MetricNames()
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range names {
		if !contract[n] {
			t.Errorf("rules read %s, which is not in the metric contract (METRICS.md)", n)
		}
	}
	for _, must := range []string{"clari_export_failures_total", "clari_up", "clari_api_request_duration_seconds"} {
		found := false
		for _, n := range names {
			found = found || n == must
		}
		if !found {
			t.Errorf("MetricNames() = %v lacks %s", names, must)
		}
	}
}
