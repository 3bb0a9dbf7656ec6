package alerts

import (
	"bytes"
	"fmt"
	"maps"
	"strings"

	"gopkg.in/yaml.v3"
)

//go:generate go run ./gen -root ..

// Generate expands every enabled rule group with cfg and adds each alert's
// runbook_url: the rule file Prometheus loads. With DefaultConfig it equals
// the committed clari.rules.yml (Load), which a test checks.
func Generate(cfg Config) (*RuleFile, error) {
	return generate(cfg, func(g groupSpec) bool { return g.enabledBy == "" || enabled(cfg, g.enabledBy) })
}

// GenerateWatchdog is the rule file of the optional groups alone
// (ClariWatchdog), for a stack that wants the watchdog beside the default
// rules, as the demo stack does with clari-watchdog.rules.yml.
func GenerateWatchdog(cfg Config) (*RuleFile, error) {
	return generate(cfg, func(g groupSpec) bool { return g.enabledBy != "" })
}

func enabled(cfg Config, key string) bool {
	on, _ := cfg.values()[key].(bool)
	return on
}

func generate(cfg Config, keep func(groupSpec) bool) (*RuleFile, error) {
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("alerts config: %w", err)
	}
	values := cfg.values()
	rf := &RuleFile{}
	for _, g := range specs() {
		if !keep(g) {
			continue
		}
		out := RuleGroup{Name: g.name}
		for _, r := range g.rules {
			e, err := expandRule(r, values)
			if err != nil {
				return nil, fmt.Errorf("group %s, rule %s%s: %w", g.name, r.Alert, r.Record, err)
			}
			if e.Alert != "" {
				url, err := runbookURL(cfg.RunbookURLPattern, strings.ToLower(e.Alert))
				if err != nil {
					return nil, err
				}
				e.Annotations["runbook_url"] = url
			}
			out.Rules = append(out.Rules, e)
		}
		rf.Groups = append(rf.Groups, out)
	}
	return rf, nil
}

// expandRule expands every text field of a rule spec.
func expandRule(r Rule, values map[string]any) (Rule, error) {
	var err error
	field := func(s string) string {
		if err != nil {
			return ""
		}
		var out string
		out, err = expand(s, values)
		return out
	}
	e := Rule{Alert: r.Alert, Record: r.Record, Expr: field(r.Expr), For: field(r.For)}
	if r.Labels != nil {
		e.Labels = map[string]string{}
		for k, v := range r.Labels {
			e.Labels[k] = field(v)
		}
	}
	if r.Annotations != nil {
		e.Annotations = maps.Clone(r.Annotations)
		for k, v := range r.Annotations {
			e.Annotations[k] = field(v)
		}
	}
	return e, err
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
