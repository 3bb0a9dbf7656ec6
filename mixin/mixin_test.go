package mixin

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-jsonnet"

	"github.com/clari-exporter/clari_exporter/alerts"
)

// evaluated is what the tests read of the mixin.
type evaluated struct {
	Alerts     alerts.RuleFile            `json:"alerts"`
	Rules      alerts.RuleFile            `json:"rules"`
	Dashboards map[string]json.RawMessage `json:"dashboards"`
}

// evaluate evaluates mixin.libsonnet plus an override (a jsonnet object,
// "{}" for none) with go-jsonnet and decodes it strictly.
func evaluate(t *testing.T, override string) *evaluated {
	t.Helper()
	vm := jsonnet.MakeVM()
	vm.Importer(&jsonnet.FileImporter{JPaths: []string{"."}})
	out, err := vm.EvaluateAnonymousSnippet("test.jsonnet", `
local m = (import 'mixin.libsonnet') + `+override+`;
{ alerts: m.prometheusAlerts, rules: m.prometheusRules, dashboards: m.grafanaDashboards }`)
	if err != nil {
		t.Fatalf("evaluating mixin.libsonnet: %v", err)
	}
	dec := json.NewDecoder(strings.NewReader(out))
	dec.DisallowUnknownFields()
	var e evaluated
	if err := dec.Decode(&e); err != nil {
		t.Fatalf("decoding the mixin's output: %v\n%s", err, out)
	}
	return &e
}

// groups are the mixin's recording then alerting groups, the order of the
// generated rule file.
func (e *evaluated) groups() *alerts.RuleFile {
	return &alerts.RuleFile{Groups: append(slices.Clone(e.Rules.Groups), e.Alerts.Groups...)}
}

// TestDefaultMixinEqualsGeneratedRules: with the default _config the
// mixin's rules are the committed clari.rules.yml, and with the watchdog on
// they add exactly clari-watchdog.rules.yml.
func TestDefaultMixinEqualsGeneratedRules(t *testing.T) {
	committed, err := alerts.Load()
	if err != nil {
		t.Fatal(err)
	}
	if got := evaluate(t, "{}").groups(); !reflect.DeepEqual(got, committed) {
		t.Errorf("the mixin's default rules differ from alerts/clari.rules.yml (run go generate ./alerts)\nmixin: %+v\nyaml:  %+v", got, committed)
	}
	data, err := os.ReadFile(filepath.Join("..", alerts.WatchdogRulesPath))
	if err != nil {
		t.Fatal(err)
	}
	wd, err := alerts.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	want := &alerts.RuleFile{Groups: append(slices.Clone(committed.Groups), wd.Groups...)}
	if got := evaluate(t, "{ _config+:: { watchdogEnabled: true } }").groups(); !reflect.DeepEqual(got, want) {
		t.Errorf("with watchdogEnabled the mixin differs from clari.rules.yml + clari-watchdog.rules.yml\nmixin: %+v\nyaml:  %+v", got, want)
	}
}

// TestOverriddenConfig: a jsonnet user's _config reaches every rule as the
// same Config does in Go; the overridden selector is in every expression
// (every series selector, by the lint) and the default one in none.
func TestOverriddenConfig(t *testing.T) {
	const selector = `cluster="eu-1",job="clari-prod"`
	got := evaluate(t, `{ _config+:: {
  clariExporterSelector: 'cluster="eu-1",job="clari-prod"',
  runbookURLPattern: 'https://wiki.example.com/runbooks/%s',
  quotaAvailableRatioThreshold: 0.25,
  apiLatencyP95SecondsThreshold: 12.5,
  pipelineEmptyWindow: '3h',
  quotaExhaustionProjectedSecondsThreshold: 86400,
} }`).groups()
	cfg := alerts.DefaultConfig()
	cfg.Selector = selector
	cfg.RunbookURLPattern = "https://wiki.example.com/runbooks/%s"
	cfg.QuotaAvailableMin = 0.25
	cfg.APILatencyP95Max = 12.5
	cfg.PipelineEmptyFor = "3h"
	cfg.ProjectionWithin = 86400
	want, err := alerts.Generate(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("the overridden mixin differs from alerts.Generate with the same config\nmixin: %+v\ngo:    %+v", got, want)
	}
	n := 0
	for _, g := range got.Groups {
		for _, r := range g.Rules {
			n++
			if !strings.Contains(r.Expr, selector) {
				t.Errorf("%s%s: the overridden selector is not in %s", r.Alert, r.Record, r.Expr)
			}
			if strings.Contains(r.Expr, `job=~"clari.*"`) {
				t.Errorf("%s%s: the default selector is still in %s", r.Alert, r.Record, r.Expr)
			}
		}
	}
	if n < 30 {
		t.Errorf("only %d rules in the mixin", n)
	}
	for _, err := range alerts.Lint(got, selector, nil) {
		t.Error(err)
	}
}

// TestDashboardsAreTheCommittedJSON: grafanaDashboards holds every
// committed dashboard file, unchanged.
func TestDashboardsAreTheCommittedJSON(t *testing.T) {
	files, err := alerts.DashboardFiles("..")
	if err != nil {
		t.Fatal(err)
	}
	got := evaluate(t, "{}").Dashboards
	var keys []string
	for k := range got {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if !slices.Equal(keys, files) {
		t.Fatalf("grafanaDashboards has %v, dashboards/grafana has %v (run go generate ./alerts)", keys, files)
	}
	for _, f := range files {
		data, err := os.ReadFile(filepath.Join("..", "dashboards", "grafana", f))
		if err != nil {
			t.Fatal(err)
		}
		var want, have any
		if err := json.Unmarshal(data, &want); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if err := json.Unmarshal(got[f], &have); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(have, want) {
			t.Errorf("grafanaDashboards[%q] differs from dashboards/grafana/%s", f, f)
		}
		if !bytes.Contains(data, []byte(`"uid"`)) {
			t.Errorf("%s has no uid; is it a dashboard?", f)
		}
	}
}
