package alerts

import (
	"fmt"
	"regexp"
	"strings"
)

// The lint applies mixtool's rules for alerts and the project's own: what
// a rule must look like for an SRE to route it, read it and act on it.
var (
	lintAlertName     = regexp.MustCompile(`^([A-Z]+[a-z0-9]+)+$`)
	lintRecordingName = regexp.MustCompile(`^[a-z_]+:clari_[a-z0-9_]+:[a-z0-9_]+$`)
	lintSeverities    = map[string]bool{"critical": true, "warning": true, "info": true}
)

const (
	maxAlertNameLen  = 40
	maxRulesPerGroup = 20
)

// Lint checks a generated rule file. selector is the configured selector,
// which every series selector of every expression must carry; anchors are
// the headings of docs/runbooks.md (GitHub anchors), which every alert's
// runbook_url must point at (nil skips that check, for a custom pattern).
func Lint(rf *RuleFile, selector string, anchors map[string]bool) []error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	groups := map[string]bool{}
	alerts := map[string]bool{}
	for _, g := range rf.Groups {
		if groups[g.Name] {
			bad("group %s: defined twice", g.Name)
		}
		groups[g.Name] = true
		if len(g.Rules) > maxRulesPerGroup {
			bad("group %s: %d rules, at most %d per group", g.Name, len(g.Rules), maxRulesPerGroup)
		}
		for _, r := range g.Rules {
			name := r.Alert + r.Record
			for _, e := range lintExpr(r.Expr, selector) {
				bad("%s: %v", name, e)
			}
			if r.Record != "" {
				if !lintRecordingName.MatchString(r.Record) {
					bad("recording rule %s: name must be level:clari_metric:operations", r.Record)
				}
				continue
			}
			if alerts[r.Alert] {
				bad("alert %s: defined twice", r.Alert)
			}
			alerts[r.Alert] = true
			for _, e := range lintAlert(r, anchors) {
				bad("alert %s: %v", r.Alert, e)
			}
		}
	}
	return errs
}

func lintAlert(r Rule, anchors map[string]bool) []error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if !lintAlertName.MatchString(r.Alert) || !strings.HasPrefix(r.Alert, "Clari") {
		bad("name must be CamelCase (%s) and start with Clari", lintAlertName)
	}
	if len(r.Alert) > maxAlertNameLen {
		bad("name has %d characters, at most %d", len(r.Alert), maxAlertNameLen)
	}
	if !lintSeverities[r.Labels["severity"]] {
		bad("severity %q, want critical, warning or info", r.Labels["severity"])
	}
	for k, v := range r.Labels {
		if strings.Contains(v, "{{") || strings.Contains(v, "$value") {
			bad("label %s=%q is templated; a changing label makes a new alert each evaluation", k, v)
		}
	}
	summary, desc := r.Annotations["summary"], r.Annotations["description"]
	if summary == "" || strings.Contains(summary, "{{") || !strings.HasSuffix(summary, ".") {
		bad("summary must be static and end with a period, got %q", summary)
	}
	if !strings.Contains(desc, "{{") {
		bad("description must use templates ({{ $labels.… }}, {{ $value }}), got %q", desc)
	}
	for k := range r.Annotations {
		if k != "summary" && k != "description" && k != "runbook_url" {
			bad("unexpected annotation %q (summary, description and runbook_url only)", k)
		}
	}
	url := r.Annotations["runbook_url"]
	if url == "" {
		bad("no runbook_url")
	} else if anchors != nil {
		_, anchor, ok := strings.Cut(url, "#")
		if !ok || !anchors[anchor] {
			bad("runbook_url %q: docs/runbooks.md has no heading for #%s (add \"## %s\")", url, anchor, r.Alert)
		}
	}
	return errs
}

// lintExpr checks the metrics an expression reads: each is in the metric
// contract, and each series selector carries the configured selector (so an
// overridden selector takes effect everywhere).
func lintExpr(expr, selector string) []error {
	var errs []error
	blank := blankStrings(expr)
	for _, ref := range metricRefs(expr) {
		if n := NormaliseMetricName(ref.name); ref.name != "up" && !contract[n] && !contract[ref.name] {
			errs = append(errs, fmt.Errorf("reads %s, which is not in the metric contract (METRICS.md)", ref.name))
		}
		rest := blank[ref.end:]
		closing := strings.IndexByte(rest, '}')
		if !strings.HasPrefix(rest, "{") || closing < 0 || !strings.Contains(expr[ref.end:ref.end+closing], selector) {
			errs = append(errs, fmt.Errorf("selector of %s lacks %s", ref.name, selector))
		}
	}
	if strings.Contains(expr, "%(") {
		errs = append(errs, fmt.Errorf("unexpanded template in %q", expr))
	}
	return errs
}
