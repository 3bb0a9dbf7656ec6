// Package alerts ships the Prometheus alerting and recording rules for
// clari_exporter (clari.rules.yml) and helpers that let tests inspect them:
// the parsed rules and the metric names their expressions use.
package alerts

import (
	"bytes"
	_ "embed"
	"fmt"
	"sort"

	"gopkg.in/yaml.v3"
)

// RulesFile is the content of clari.rules.yml, the rule file shipped to
// Prometheus (deploy/prometheus.yml loads it from disk).
//
//go:embed clari.rules.yml
var RulesFile []byte

// RuleFile is the subset of the Prometheus rule-file format the project uses.
type RuleFile struct {
	Groups []RuleGroup `yaml:"groups"`
}

// RuleGroup is one rule group.
type RuleGroup struct {
	Name     string `yaml:"name"`
	Interval string `yaml:"interval,omitempty"`
	Rules    []Rule `yaml:"rules"`
}

// Rule is an alerting rule (Alert set) or a recording rule (Record set).
type Rule struct {
	Alert       string            `yaml:"alert,omitempty"`
	Record      string            `yaml:"record,omitempty"`
	Expr        string            `yaml:"expr"`
	For         string            `yaml:"for,omitempty"`
	Labels      map[string]string `yaml:"labels,omitempty"`
	Annotations map[string]string `yaml:"annotations,omitempty"`
}

// Load parses the embedded rule file strictly (unknown keys are an error, so
// a typo such as `annotation:` cannot silently drop a field).
func Load() (*RuleFile, error) {
	return Parse(RulesFile)
}

// Parse parses a rule file strictly.
func Parse(data []byte) (*RuleFile, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var rf RuleFile
	if err := dec.Decode(&rf); err != nil {
		return nil, fmt.Errorf("parse rule file: %w", err)
	}
	return &rf, nil
}

// AlertingRules returns every alerting rule in file order. An alert name may
// appear more than once (one rule per severity or condition).
func (rf *RuleFile) AlertingRules() []Rule {
	return rf.rules(func(r Rule) bool { return r.Alert != "" })
}

// RecordingRules returns every recording rule in file order.
func (rf *RuleFile) RecordingRules() []Rule {
	return rf.rules(func(r Rule) bool { return r.Record != "" })
}

// rules returns the rules of every group that keep accepts, in file order.
func (rf *RuleFile) rules(keep func(Rule) bool) []Rule {
	var out []Rule
	for _, g := range rf.Groups {
		for _, r := range g.Rules {
			if keep(r) {
				out = append(out, r)
			}
		}
	}
	return out
}

// AlertNames returns the distinct alert names, sorted.
func (rf *RuleFile) AlertNames() []string {
	seen := map[string]bool{}
	var out []string
	for _, r := range rf.AlertingRules() {
		if !seen[r.Alert] {
			seen[r.Alert] = true
			out = append(out, r.Alert)
		}
	}
	sort.Strings(out)
	return out
}
