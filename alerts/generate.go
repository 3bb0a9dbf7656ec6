package alerts

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/google/go-jsonnet"
	"gopkg.in/yaml.v3"
)

//go:generate go run ./gen -root ..

// The rules are rendered once, as the mixin's jsonnet (jsonnet.go); the
// YAML Prometheus loads is that jsonnet evaluated by go-jsonnet, so the rule
// files and the mixin cannot disagree and jsonnet's own `%` fills the
// templates.

// Generate evaluates the mixin's rules with cfg as the _config: every
// enabled rule group with each alert's runbook_url, the rule file
// Prometheus loads. With DefaultConfig it equals the committed
// clari.rules.yml (Load), which a test checks.
func Generate(cfg Config) (*RuleFile, error) {
	return evaluateRules(cfg, specs(), "")
}

// GenerateWatchdog is the rule file of the optional groups alone
// (ClariWatchdog), for a stack that wants the watchdog beside the default
// rules, as the demo stack does with clari-watchdog.rules.yml.
func GenerateWatchdog(cfg Config) (*RuleFile, error) {
	var optional []groupSpec
	enable := map[string]bool{}
	for _, g := range specs() {
		if g.enabledBy != "" {
			optional = append(optional, g)
			enable[g.enabledBy] = true
		}
	}
	override, err := json.Marshal(enable)
	if err != nil {
		return nil, err
	}
	return evaluateRules(cfg, optional, string(override))
}

// splitGroups separates the recording groups (the mixin's prometheusRules)
// from the alert groups (prometheusAlerts); the rule files list the
// recording groups first, so they must come first in specs too.
func splitGroups(groups []groupSpec) (recording, alerting []groupSpec, err error) {
	for _, g := range groups {
		if !isRecordingGroup(g) {
			alerting = append(alerting, g)
			continue
		}
		if len(alerting) > 0 {
			return nil, nil, fmt.Errorf("group %s: recording groups must come before alert groups (the mixin lists prometheusRules first)", g.name)
		}
		recording = append(recording, g)
	}
	return recording, alerting, nil
}

// evaluateRules renders groups as the mixin does and evaluates them with
// cfg as the default _config plus override (a JSON object of _config keys,
// "" for none).
func evaluateRules(cfg Config, groups []groupSpec, override string) (*RuleFile, error) {
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("alerts config: %w", err)
	}
	recording, alerting, err := splitGroups(groups)
	if err != nil {
		return nil, err
	}
	if override == "" {
		override = "{}"
	}
	files := map[string]jsonnet.Contents{"config.libsonnet": jsonnet.MakeContents(string(jsonnetConfig(cfg)))}
	snippet := "local m = (import 'config.libsonnet') + { _config+:: " + override + " }"
	for _, part := range []struct {
		file, field string
		groups      []groupSpec
	}{{"rules.libsonnet", "prometheusRules", recording}, {"alerts.libsonnet", "prometheusAlerts", alerting}} {
		if len(part.groups) > 0 { // an empty group list is no jsonnet
			files[part.file] = jsonnet.MakeContents(string(jsonnetGroups(part.field, part.groups)))
			snippet += " + (import '" + part.file + "')"
		}
	}
	snippet += `;
local groups(field) = if std.objectHasAll(m, field) then m[field].groups else [];
{ groups: groups('prometheusRules') + groups('prometheusAlerts') }`
	vm := jsonnet.MakeVM()
	vm.Importer(&jsonnet.MemoryImporter{Data: files})
	out, err := vm.EvaluateAnonymousSnippet("rules.jsonnet", snippet)
	if err != nil {
		return nil, fmt.Errorf("evaluating the rules' jsonnet (a template in alerts/*.go names an unknown _config key or the wrong verb?): %w", err)
	}
	dec := json.NewDecoder(strings.NewReader(out))
	dec.DisallowUnknownFields()
	var rf RuleFile
	if err := dec.Decode(&rf); err != nil {
		return nil, fmt.Errorf("decoding the evaluated rules: %w", err)
	}
	return &rf, nil
}

// Marshal renders the rule file as YAML after a comment header (each line
// of header is prefixed with "# ").
func (rf *RuleFile) Marshal(header string) ([]byte, error) {
	var b bytes.Buffer
	for _, l := range strings.Split(strings.TrimRight(header, "\n"), "\n") {
		b.WriteString(strings.TrimRight("# "+l, " ") + "\n")
	}
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(rf); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
