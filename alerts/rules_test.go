package alerts

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/clari-exporter/clari_exporter/internal/testtier"
)

// ruleFiles are the generated rule files, relative to this directory.
var ruleFiles = []string{"clari.rules.yml", "clari-watchdog.rules.yml"}

func TestPromtoolCheckRules(t *testing.T) {
	promtool := testtier.Tool(t, "promtool", "prometheus")
	out, err := exec.Command(promtool, append([]string{"check", "rules"}, ruleFiles...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("promtool check rules %v: %v\n%s", ruleFiles, err, out)
	}
}

func TestPromtoolTestRules(t *testing.T) {
	promtool := testtier.Tool(t, "promtool", "prometheus")
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

// TestCommittedFilesAreGenerated: every generated file (rule files, mixin
// jsonnet, PrometheusRule) equals what the generator writes now.
func TestCommittedFilesAreGenerated(t *testing.T) {
	files, err := Artifacts("..")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{RulesPath, WatchdogRulesPath, PrometheusRulePath, ChartRulesPath, mixinConfigPath, mixinAlertsPath, mixinRulesPath, mixinDashboards} {
		if files[p] == nil {
			t.Errorf("the generator does not write %s", p)
		}
	}
	for p, want := range files {
		got, err := os.ReadFile(filepath.Join("..", p))
		if err != nil {
			t.Errorf("%v (run go generate ./alerts)", err)
			continue
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from the generator's output; run go generate ./alerts and commit the result", p)
		}
	}
	// The embedded file Load parses is the generated default.
	if !bytes.Equal(RulesFile, files[RulesPath]) {
		t.Error("the embedded RulesFile is not the generated clari.rules.yml")
	}
}

func generated(t *testing.T, cfg Config) *RuleFile {
	t.Helper()
	rf, err := Generate(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return rf
}

func withWatchdog() Config {
	c := DefaultConfig()
	c.WatchdogEnabled = true
	return c
}

// TestLint: the generated rules pass the lint, with and without the
// watchdog, and every alert's runbook anchor exists in docs/runbooks.md.
func TestLint(t *testing.T) {
	anchors := githubAnchors(t, filepath.Join("..", "docs", "runbooks.md"))
	for _, cfg := range []Config{DefaultConfig(), withWatchdog()} {
		rf := generated(t, cfg)
		for _, err := range Lint(rf, cfg.Selector, anchors) {
			t.Error(err)
		}
	}
	if n := len(generated(t, DefaultConfig()).AlertingRules()); n < 29 {
		t.Errorf("only %d alerts generated", n)
	}
}

// TestLintCatches: each lint rule rejects a rule that breaks it (so a
// passing TestLint means something).
func TestLintCatches(t *testing.T) {
	anchors := map[string]bool{"clarigood": true}
	good := func() Rule {
		return Rule{Alert: "ClariGood", Expr: `clari_up{job="x"} == 0`, Labels: map[string]string{"severity": "warning"},
			Annotations: map[string]string{"summary": "Static.", "description": "On {{ $labels.instance }}.", "runbook_url": "https://x/runbooks.md#clarigood"}}
	}
	cases := []struct {
		want   string
		mutate func(*Rule)
	}{
		{"", func(*Rule) {}},
		{"must be CamelCase", func(r *Rule) { r.Alert = "Clari_Bad" }},
		{"must be CamelCase", func(r *Rule) { r.Alert = "clariBad" }},
		{"at most 40", func(r *Rule) { r.Alert = "Clari" + strings.Repeat("Abcdefgh", 5) }},
		{"severity", func(r *Rule) { r.Labels["severity"] = "none" }},
		{"severity", func(r *Rule) { r.Labels["severity"] = "page" }},
		{"templated", func(r *Rule) { r.Labels["value"] = "{{ $value }}" }},
		{"summary must be static", func(r *Rule) { r.Annotations["summary"] = "On {{ $labels.instance }}." }},
		{"summary must be static and end with a period", func(r *Rule) { r.Annotations["summary"] = "No period" }},
		{"description must use templates", func(r *Rule) { r.Annotations["description"] = "Static." }},
		{"unexpected annotation", func(r *Rule) { r.Annotations["dashboard"] = "x" }},
		{"no runbook_url", func(r *Rule) { delete(r.Annotations, "runbook_url") }},
		{"has no heading", func(r *Rule) { r.Annotations["runbook_url"] = "https://x/runbooks.md#clarimissing" }},
		{"not in the metric contract", func(r *Rule) { r.Expr = `clari_upp{job="x"} == 0` }},
		{"lacks job=\"x\"", func(r *Rule) { r.Expr = `clari_up == 0` }},
		{"lacks job=\"x\"", func(r *Rule) { r.Expr = `clari_up{job="x"} == 0 or up{job="y"} == 0` }},
		{"lacks job=\"x\"", func(r *Rule) { r.Expr = `absent(up)` }},
	}
	for _, c := range cases {
		r := good()
		c.mutate(&r)
		errs := Lint(&RuleFile{Groups: []RuleGroup{{Name: "g", Rules: []Rule{r}}}}, `job="x"`, anchors)
		switch {
		case c.want == "" && len(errs) > 0:
			t.Errorf("good rule: %v", errs)
		case c.want != "" && !slices.ContainsFunc(errs, func(e error) bool { return strings.Contains(e.Error(), c.want) }):
			t.Errorf("rule %+v: errors %v, want one containing %q", r, errs, c.want)
		}
	}
	var many []Rule
	for i := range maxRulesPerGroup + 1 {
		r := good()
		r.Alert = "ClariGood" + strings.Repeat("X", i) + "a"
		many = append(many, r)
	}
	if errs := Lint(&RuleFile{Groups: []RuleGroup{{Name: "g", Rules: many}}}, `job="x"`, nil); !slices.ContainsFunc(errs, func(e error) bool { return strings.Contains(e.Error(), "at most 20 per group") }) {
		t.Errorf("21 rules in a group: %v", errs)
	}
	dup := []Rule{good(), good()}
	if errs := Lint(&RuleFile{Groups: []RuleGroup{{Name: "g", Rules: dup}}}, `job="x"`, anchors); len(errs) != 1 || !strings.Contains(errs[0].Error(), "defined twice") {
		t.Errorf("an alert defined twice: %v", errs)
	}
}

// TestGroupsPerArea: one group per area, recording rules in their own.
func TestGroupsPerArea(t *testing.T) {
	var names []string
	for _, g := range generated(t, withWatchdog()).Groups {
		names = append(names, g.Name)
	}
	want := []string{"clari-export.rules", "clari-api.rules", "clari-export", "clari-pipeline", "clari-api", "clari-warehouse", "clari-exporter", "clari-ha", "clari-watchdog"}
	if !reflect.DeepEqual(names, want) {
		t.Errorf("groups %v, want %v", names, want)
	}
}

// TestThresholdsFromMetrics: staleness and rotation read the exporter's
// metrics, and no expression carries the constants they replaced (2 × the
// default current_interval, the default rotation policy).
func TestThresholdsFromMetrics(t *testing.T) {
	rf := generated(t, withWatchdog())
	for _, r := range rf.AlertingRules() {
		for _, c := range []string{"43200", "7776000"} {
			if strings.Contains(r.Expr, c) {
				t.Errorf("%s: expression contains the copied constant %s:\n%s", r.Alert, c, r.Expr)
			}
		}
	}
	reads := map[string]string{
		"ClariExportStale":           "clari_export_max_age_seconds",
		"ClariPipelineStale":         "clari_export_max_age_seconds",
		"ClariAPIKeyRotationOverdue": "clari_api_key_rotation_due_timestamp_seconds",
		"ClariWarehouseStale":        "clari_warehouse_max_load_age_seconds",
	}
	for _, r := range rf.AlertingRules() {
		if m, ok := reads[r.Alert]; ok {
			if !slices.Contains(ExprMetricNames(r.Expr), m) {
				t.Errorf("%s does not read %s: %s", r.Alert, m, r.Expr)
			}
			delete(reads, r.Alert)
		}
	}
	if len(reads) > 0 {
		t.Errorf("alerts missing: %v", reads)
	}
}

// TestConfigChangesEveryRule: a custom selector reaches every series
// selector, thresholds and the runbook pattern reach their rules, and the
// watchdog is off by default.
func TestConfigChangesEveryRule(t *testing.T) {
	cfg := withWatchdog()
	cfg.Selector = `namespace="billing",job="clari-prod"`
	cfg.RunbookURLPattern = "https://wiki.example.com/clari/%s"
	cfg.QuotaAvailableMin = 0.25
	cfg.ProjectionWithin = 86400
	rf := generated(t, cfg)
	for _, err := range Lint(rf, cfg.Selector, nil) {
		t.Error(err)
	}
	for _, g := range rf.Groups {
		for _, r := range g.Rules {
			if r.Alert != "ClariWatchdog" && !strings.Contains(r.Expr, cfg.Selector) {
				t.Errorf("%s%s: selector missing from %s", r.Alert, r.Record, r.Expr)
			}
			if strings.Contains(r.Expr, `job=~"clari.*"`) {
				t.Errorf("%s%s: default selector left in %s", r.Alert, r.Record, r.Expr)
			}
			if r.Alert != "" && r.Annotations["runbook_url"] != "https://wiki.example.com/clari/"+strings.ToLower(r.Alert) {
				t.Errorf("%s: runbook_url %q", r.Alert, r.Annotations["runbook_url"])
			}
		}
	}
	exprs := map[string]string{}
	for _, r := range rf.AlertingRules() {
		exprs[r.Alert] = r.Expr
	}
	if !strings.HasSuffix(exprs["ClariExportQuotaNearlyExhausted"], "< 0.25") || !strings.HasSuffix(exprs["ClariQuotaExhaustionProjected"], "< 86400") {
		t.Errorf("thresholds not applied:\n%s\n%s", exprs["ClariExportQuotaNearlyExhausted"], exprs["ClariQuotaExhaustionProjected"])
	}
	if slices.Contains(generated(t, DefaultConfig()).AlertNames(), "ClariWatchdog") {
		t.Error("ClariWatchdog is in the default rules; it must be off by default")
	}
	wd, err := GenerateWatchdog(DefaultConfig())
	if err != nil || !reflect.DeepEqual(wd.AlertNames(), []string{"ClariWatchdog"}) {
		t.Errorf("GenerateWatchdog = %v, %v; want ClariWatchdog alone", wd, err)
	}
}

func TestConfigValidation(t *testing.T) {
	cases := []struct {
		mutate func(*Config)
		want   string
	}{
		{func(c *Config) { c.Selector = " " }, "clariExporterSelector: must not be empty"},
		{func(c *Config) { c.Selector = `{job="x"}` }, "without braces"},
		{func(c *Config) { c.RunbookURLPattern = "https://x/" }, "exactly one %s"},
		{func(c *Config) { c.RunbookURLPattern = "https://x/%s/%d" }, "exactly one %s"},
		{func(c *Config) { c.ReconMismatchMax = 0 }, "reconciliationMismatchRatioThreshold: must be > 0"},
		{func(c *Config) { c.PipelineStaleMax = 1234567 }, "more than 6 significant digits"},
	}
	for _, c := range cases {
		cfg := DefaultConfig()
		c.mutate(&cfg)
		if _, err := Generate(cfg); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Generate: err %v, want %q", err, c.want)
		}
	}
}

// TestTemplates: jsonnet's `%` fills a rule's templates from _config the
// way the rule files need (strings, numbers at 6 digits, %% a percent
// sign, a field without a parameter taken literally), and a template that
// jsonnet cannot fill fails the generation.
func TestTemplates(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Selector = `job="x"`
	cfg.QuotaAvailableMin = 0.1
	cfg.ProjectionWithin = 259200
	cases := []struct{ in, want, err string }{
		{`a{%(clariExporterSelector)s} > %(quotaAvailableRatioThreshold)g`, `a{job="x"} > 0.1`, ""},
		{`%(quotaExhaustionProjectedSecondsThreshold)g`, `259200`, ""},
		{`100%% of %(clariExporterSelector)s`, `100% of job="x"`, ""},
		{`printf %s without a parameter`, `printf %s without a parameter`, ""},
		{`%(nope)s`, "", "nope"},
		{`%(clariExporterSelector)s and %d`, "", "evaluating the rules' jsonnet"},
	}
	for _, c := range cases {
		g := groupSpec{name: "g", rules: []Rule{{Alert: "A", Expr: c.in, Labels: labels("warning")}}}
		rf, err := evaluateRules(cfg, []groupSpec{g}, "")
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%q: err %v, want %q", c.in, err, c.err)
			}
			continue
		}
		if err != nil || len(rf.Groups) != 1 || len(rf.Groups[0].Rules) != 1 {
			t.Errorf("%q: %+v, %v", c.in, rf, err)
			continue
		}
		r := rf.Groups[0].Rules[0]
		if r.Expr != c.want || r.Annotations["runbook_url"] != strings.Replace(DefaultRunbookURLPattern, "%s", "a", 1) {
			t.Errorf("%q: expr %q, runbook_url %q; want %q", c.in, r.Expr, r.Annotations["runbook_url"], c.want)
		}
	}
}

// promtoolTests is the part of the promtool unit-test format read here.
type promtoolTests struct {
	RuleFiles          []string `yaml:"rule_files"`
	EvaluationInterval string   `yaml:"evaluation_interval"`
	Tests              []struct {
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

// TestEveryAlertIsTested checks that every alert has promtool cases where it
// fires (asserting its severity and full annotations, runbook_url included),
// where it does not, and at its boundary: two evaluations one evaluation
// interval apart in one test group, one firing and one not. The always
// firing watchdog needs only the first.
func TestEveryAlertIsTested(t *testing.T) {
	all := map[string]Rule{}
	for _, r := range generated(t, withWatchdog()).AlertingRules() {
		all[r.Alert] = r
	}
	fires, silent, boundary := map[string]bool{}, map[string]bool{}, map[string]bool{}
	for _, f := range testFiles(t) {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var pt promtoolTests
		if err := yaml.Unmarshal(data, &pt); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if len(pt.RuleFiles) != 1 || !slices.Contains([]string{"../" + ruleFiles[0], "../" + ruleFiles[1]}, pt.RuleFiles[0]) {
			t.Errorf("%s: rule_files = %v, want one of the generated files", f, pt.RuleFiles)
		}
		step, err := time.ParseDuration(pt.EvaluationInterval)
		if err != nil {
			t.Fatalf("%s: evaluation_interval %q: %v", f, pt.EvaluationInterval, err)
		}
		for _, tc := range pt.Tests {
			firingAt := map[string]map[time.Duration]bool{}
			for _, art := range tc.AlertRuleTest {
				r, ok := all[art.AlertName]
				if !ok {
					t.Errorf("%s: test for unknown alert %q", f, art.AlertName)
					continue
				}
				at, err := time.ParseDuration(art.EvalTime)
				if err != nil {
					t.Fatalf("%s: eval_time %q: %v", f, art.EvalTime, err)
				}
				if firingAt[art.AlertName] == nil {
					firingAt[art.AlertName] = map[time.Duration]bool{}
				}
				firingAt[art.AlertName][at] = len(art.ExpAlerts) > 0
				if len(art.ExpAlerts) == 0 {
					silent[art.AlertName] = true
					continue
				}
				fires[art.AlertName] = true
				for _, ea := range art.ExpAlerts {
					if ea.ExpLabels["severity"] != r.Labels["severity"] {
						t.Errorf("%s: %s at %s expects severity %q, the rule sets %q", f, art.AlertName, art.EvalTime, ea.ExpLabels["severity"], r.Labels["severity"])
					}
					for _, k := range []string{"summary", "description", "runbook_url"} {
						if ea.ExpAnnotations[k] == "" {
							t.Errorf("%s: %s at %s does not assert annotation %s", f, art.AlertName, art.EvalTime, k)
						}
					}
					if got := ea.ExpAnnotations["runbook_url"]; got != r.Annotations["runbook_url"] {
						t.Errorf("%s: %s asserts runbook_url %q, rule has %q", f, art.AlertName, got, r.Annotations["runbook_url"])
					}
				}
			}
			for name, at := range firingAt {
				for ts, firing := range at {
					if other, ok := at[ts+step]; ok && other != firing {
						boundary[name] = true
					}
				}
			}
		}
	}
	for name := range all {
		if !fires[name] {
			t.Errorf("alert %s has no promtool test case in which it fires", name)
		}
		if name == "ClariWatchdog" {
			continue
		}
		if !silent[name] {
			t.Errorf("alert %s has no promtool test case in which it does not fire", name)
		}
		if !boundary[name] {
			t.Errorf("alert %s has no boundary case (firing and not firing one evaluation apart)", name)
		}
	}
}

// TestPagingAlerts pins which alerts page: the checklist's P1 items, any
// export failure (the exporter's or the pipeline's), quota exhaustion and
// the leader lease must stay critical.
func TestPagingAlerts(t *testing.T) {
	rf := generated(t, DefaultConfig())
	got := map[string]string{}
	for _, r := range rf.AlertingRules() {
		got[r.Alert] = r.Labels["severity"]
	}
	for _, name := range []string{"ClariExportFailed", "ClariExportEmpty", "ClariExportTruncated", "ClariAPIUnauthorized", "ClariAPIUnreachable", "ClariExporterDown",
		"ClariExportQuotaExhausted", "ClariPipelineExportFailed", "ClariPipelineExportEmpty", "ClariPipelineExportTruncated",
		"ClariPipelineExportPeriodMismatch", "ClariPipelineExportUndecodable", "ClariExporterNoLeader", "ClariExporterSplitBrain",
		"ClariWarehouseSinkLoadFailed"} {
		if got[name] != "critical" {
			t.Errorf("%s: severity %q, want critical", name, got[name])
		}
	}
	for _, r := range rf.AlertingRules() {
		if (r.Alert == "ClariExportFailed" || r.Alert == "ClariPipelineExportFailed") && r.For != "" {
			t.Errorf("%s has for: %s; an export failure must page at once", r.Alert, r.For)
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

func TestMetricNames(t *testing.T) {
	names, err := MetricNames()
	if err != nil {
		t.Fatal(err)
	}
	for _, must := range []string{"clari_export_failures_total", "clari_up", "clari_api_request_duration_seconds", "clari_export_max_age_seconds", "clari_pipeline_last_job_success", "clari_exporter_leader"} {
		if !slices.Contains(names, must) {
			t.Errorf("MetricNames() = %v lacks %s", names, must)
		}
	}
	for _, n := range names {
		if !InContract(n) {
			t.Errorf("rules read %s, which is not in the metric contract", n)
		}
	}
	if InContract("clari_export_max_age_second") {
		t.Error("InContract accepts a misspelt name")
	}
}
