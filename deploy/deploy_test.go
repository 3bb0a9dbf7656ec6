package deploy

import (
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"
	"gopkg.in/yaml.v3"

	"github.com/clari-exporter/clari_exporter/alerts"
	"github.com/clari-exporter/clari_exporter/config"
	"github.com/clari-exporter/clari_exporter/internal/testtier"
)

func readYAML(t *testing.T, path string, v any) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(data, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

func TestAlertmanagerConfigIsValid(t *testing.T) {
	amtool := testtier.Tool(t, "amtool", "prometheus-alertmanager")
	out, err := exec.Command(amtool, "check-config", "alertmanager.yml").CombinedOutput()
	if err != nil {
		t.Fatalf("amtool check-config alertmanager.yml: %v\n%s", err, out)
	}
}

// routeOf asks amtool which receiver an alert with these labels reaches.
func routeOf(t *testing.T, amtool string, labels ...string) string {
	t.Helper()
	args := append([]string{"config", "routes", "test", "--config.file=alertmanager.yml"}, labels...)
	out, err := exec.Command(amtool, args...).Output()
	if err != nil {
		t.Fatalf("amtool %s: %v", strings.Join(args, " "), err)
	}
	return strings.TrimSpace(string(out))
}

// TestRoutingFollowsSeverity checks every shipped alert against the routing
// tree: critical alerts page, others do not, the watchdog goes to the dead
// man's switch.
func TestRoutingFollowsSeverity(t *testing.T) {
	amtool := testtier.Tool(t, "amtool", "prometheus-alertmanager")

	// The exact command the docs give, including its exit status.
	verify := exec.Command(amtool, "config", "routes", "test", "--config.file=alertmanager.yml",
		"--verify.receivers=pager", "severity=critical", "alertname=ClariExportFailed")
	if out, err := verify.CombinedOutput(); err != nil {
		t.Fatalf("critical ClariExportFailed does not reach pager: %v\n%s", err, out)
	}
	verify = exec.Command(amtool, "config", "routes", "test", "--config.file=alertmanager.yml",
		"--verify.receivers=pager", "severity=warning", "alertname=ClariExportStale")
	if out, err := verify.CombinedOutput(); err == nil {
		t.Fatalf("a warning reaches the pager:\n%s", out)
	}

	rf, err := alerts.Load()
	if err != nil {
		t.Fatal(err)
	}
	wd, err := alerts.GenerateWatchdog(alerts.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range append(rf.AlertingRules(), wd.AlertingRules()...) {
		sev := r.Labels["severity"]
		want := "default"
		switch {
		case r.Alert == "ClariWatchdog":
			want = "watchdog"
		case sev == "critical":
			want = "pager"
		}
		got := routeOf(t, amtool, "alertname="+r.Alert, "severity="+sev, "forecast=net_arr", "period=2026_Q4")
		if got != want {
			t.Errorf("%s (severity %s) routes to %q, want %q", r.Alert, sev, got, want)
		}
	}
}

type amConfig struct {
	Receivers []struct {
		Name           string `yaml:"name"`
		WebhookConfigs []struct {
			URL string `yaml:"url"`
		} `yaml:"webhook_configs"`
	} `yaml:"receivers"`
	InhibitRules []struct {
		SourceMatchers []string `yaml:"source_matchers"`
		TargetMatchers []string `yaml:"target_matchers"`
		Equal          []string `yaml:"equal"`
	} `yaml:"inhibit_rules"`
}

var alertnameMatcher = regexp.MustCompile(`^alertname(=~|=|!=)"([^"]*)"$`)

// TestInhibitionsNameShippedAlerts catches inhibition rules that silently
// stop working when an alert is renamed.
func TestInhibitionsNameShippedAlerts(t *testing.T) {
	rf, err := alerts.Load()
	if err != nil {
		t.Fatal(err)
	}
	wd, err := alerts.GenerateWatchdog(alerts.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	known := map[string]bool{}
	for _, r := range append(rf.AlertingRules(), wd.AlertingRules()...) {
		known[r.Alert] = true
	}
	var am amConfig
	readYAML(t, "alertmanager.yml", &am)
	if len(am.InhibitRules) == 0 {
		t.Fatal("alertmanager.yml has no inhibit_rules")
	}
	for i, ir := range am.InhibitRules {
		for _, m := range append(append([]string{}, ir.SourceMatchers...), ir.TargetMatchers...) {
			sm := alertnameMatcher.FindStringSubmatch(m)
			if sm == nil || strings.ContainsAny(sm[2], ".*+?[]()") && !strings.Contains(sm[2], "|") {
				continue // not an alertname matcher, or a wildcard
			}
			for _, name := range strings.Split(sm[2], "|") {
				if !known[name] {
					t.Errorf("inhibit_rules[%d]: %s names %q, which is not a generated alert (alerts/*.rules.yml)", i, m, name)
				}
			}
		}
		if len(ir.Equal) == 0 {
			t.Errorf("inhibit_rules[%d] has no `equal`: it would inhibit across every forecast and instance", i)
		}
	}
	for _, r := range am.Receivers {
		for _, w := range r.WebhookConfigs {
			if !strings.HasPrefix(w.URL, "http://webhook-logger:5001/") {
				t.Errorf("receiver %s posts to %s, not the compose stack's webhook-logger", r.Name, w.URL)
			}
		}
	}
}

func TestPrometheusConfigIsValid(t *testing.T) {
	promtool := testtier.Tool(t, "promtool", "prometheus")
	// promtool resolves rule_files relative to the config file, so this also
	// proves the generated rule files are found and valid.
	out, err := exec.Command(promtool, "check", "config", "prometheus.yml").CombinedOutput()
	if err != nil {
		t.Fatalf("promtool check config prometheus.yml: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "2 rule files found") {
		t.Errorf("promtool found no rule file:\n%s", out)
	}
}

type promConfig struct {
	RuleFiles     []string `yaml:"rule_files"`
	ScrapeConfigs []struct {
		JobName   string `yaml:"job_name"`
		BasicAuth *struct {
			Username     string `yaml:"username"`
			PasswordFile string `yaml:"password_file"`
		} `yaml:"basic_auth"`
		StaticConfigs []struct {
			Targets []string `yaml:"targets"`
		} `yaml:"static_configs"`
	} `yaml:"scrape_configs"`
}

// TestScrapeMatchesExporterAndWebConfig ties prometheus.yml to the exporter:
// the job matches ClariExporterDown's job=~"clari.*", the target uses port
// 9852, and the basic-auth credentials match web-config.yml's bcrypt hash.
func TestScrapeMatchesExporterAndWebConfig(t *testing.T) {
	var pc promConfig
	readYAML(t, "prometheus.yml", &pc)
	if want := []string{"../" + alerts.RulesPath, "../" + alerts.WatchdogRulesPath}; !slices.Equal(pc.RuleFiles, want) {
		t.Errorf("rule_files = %v, want %v (the generated rule files)", pc.RuleFiles, want)
	}
	var web struct {
		BasicAuthUsers map[string]string `yaml:"basic_auth_users"`
	}
	readYAML(t, "web-config.yml", &web)

	found := false
	for _, sc := range pc.ScrapeConfigs {
		if sc.JobName != "clari_exporter" {
			continue
		}
		found = true
		if !regexp.MustCompile(`^clari.*$`).MatchString(sc.JobName) {
			t.Errorf("job %q does not match clari.* (ClariExporterDown)", sc.JobName)
		}
		if len(sc.StaticConfigs) != 1 || len(sc.StaticConfigs[0].Targets) != 1 || sc.StaticConfigs[0].Targets[0] != "clari-exporter:9852" {
			t.Errorf("clari_exporter targets = %+v, want [clari-exporter:9852]", sc.StaticConfigs)
		}
		if sc.BasicAuth == nil {
			t.Fatal("clari_exporter scrape has no basic_auth, but web-config.yml requires it")
		}
		hash, ok := web.BasicAuthUsers[sc.BasicAuth.Username]
		if !ok {
			t.Fatalf("web-config.yml has no user %q", sc.BasicAuth.Username)
		}
		pw, err := os.ReadFile(sc.BasicAuth.PasswordFile)
		if err != nil {
			t.Fatal(err)
		}
		if err := bcrypt.CompareHashAndPassword([]byte(hash), []byte(strings.TrimSpace(string(pw)))); err != nil {
			t.Errorf("password in %s does not match the bcrypt hash of %s in web-config.yml: %v", sc.BasicAuth.PasswordFile, sc.BasicAuth.Username, err)
		}
	}
	if !found {
		t.Fatal("prometheus.yml has no clari_exporter scrape job")
	}
}

// TestExampleExporterConfigLoads runs the exporter's own strict loader over
// the example config (it also resolves the relative api_key_file).
func TestExampleExporterConfigLoads(t *testing.T) {
	cfg, err := config.Load("clari_exporter.yml")
	if err != nil {
		t.Fatalf("deploy/clari_exporter.yml: %v", err)
	}
	if cfg.Clari.APIKeyFile == "" || cfg.Clari.APIKey != "" {
		t.Error("the example must read the key from api_key_file, never inline (checklist item 1)")
	}
	if len(cfg.Forecasts) == 0 {
		t.Error("the example config has no forecasts")
	}
}
