// Package dashquery lists the PromQL queries of the shipped dashboards, for
// the tests that check them (dashboards' own, and cmd's end-to-end tests
// against a real Prometheus). It lives apart from package dashboards so
// that the shipped binary carries none of it.
package dashquery

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/clari-exporter/clari_exporter/alerts"
	"github.com/clari-exporter/clari_exporter/dashboards"
	"github.com/grafana/grafana-foundation-sdk/go/prometheus"
)

// Query is one PromQL query of a shipped dashboard.
type Query struct {
	Dashboard string // dashboard uid
	Panel     string // panel title, or "variable <name>"
	Expr      string // as written in the dashboard, with Grafana variables
}

// PanelQueries returns every panel query of every dashboard, in order.
func PanelQueries() ([]Query, error) {
	all, err := dashboards.All()
	if err != nil {
		return nil, err
	}
	var out []Query
	for _, f := range all {
		uid := deref(f.Dashboard.Uid)
		for _, p := range f.Dashboard.Panels {
			if p.Panel == nil {
				continue // a row
			}
			for i, t := range p.Panel.Targets {
				q, ok := t.(prometheus.Dataquery)
				if !ok {
					return nil, fmt.Errorf("dashboard %s, panel %q: query %d is a %T, not a Prometheus query", uid, deref(p.Panel.Title), i, t)
				}
				out = append(out, Query{Dashboard: uid, Panel: deref(p.Panel.Title), Expr: q.Expr})
			}
		}
	}
	return out, nil
}

// labelValues matches a Grafana label_values(selector, label) variable query.
var labelValues = regexp.MustCompile(`^label_values\((.+),\s*([a-zA-Z_][a-zA-Z0-9_]*)\)$`)

// VariableQueries returns the series selector of every label_values()
// variable, so it can be checked as PromQL too.
func VariableQueries() ([]Query, error) {
	all, err := dashboards.All()
	if err != nil {
		return nil, err
	}
	var out []Query
	for _, f := range all {
		for _, v := range f.Dashboard.Templating.List {
			if v.Type != "query" || v.Query == nil || v.Query.String == nil {
				continue
			}
			expr := *v.Query.String
			if m := labelValues.FindStringSubmatch(expr); m != nil {
				expr = m[1]
			}
			out = append(out, Query{Dashboard: deref(f.Dashboard.Uid), Panel: "variable " + v.Name, Expr: expr})
		}
	}
	return out, nil
}

// allQueries is every panel and variable query.
func allQueries() ([]Query, error) {
	panels, err := PanelQueries()
	if err != nil {
		return nil, err
	}
	vars, err := VariableQueries()
	if err != nil {
		return nil, err
	}
	return append(panels, vars...), nil
}

// gridVars are Grafana's built-in interval variables with the values used
// to turn a dashboard query into plain PromQL.
var gridVars = map[string]string{
	"__rate_interval": "5m",
	"__interval":      "1m",
	"__range":         "1h",
}

var variableRef = regexp.MustCompile(`\$\{?([a-zA-Z_][a-zA-Z0-9_]*)\}?`)

// Expand replaces Grafana variables with values that make the query plain
// PromQL: interval variables become durations, every dashboard variable
// (always used as =~"$name") becomes .* ("All").
func Expand(expr string) string {
	return variableRef.ReplaceAllStringFunc(expr, func(ref string) string {
		name := variableRef.FindStringSubmatch(ref)[1]
		if v, ok := gridVars[name]; ok {
			return v
		}
		return ".*"
	})
}

// Queries returns every distinct panel and variable query of the shipped
// dashboards as plain PromQL (see Expand), sorted, ready to send to a
// Prometheus /api/v1/query endpoint.
func Queries() ([]string, error) {
	qs, err := allQueries()
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	for _, q := range qs {
		seen[Expand(q.Expr)] = true
	}
	return slices.Sorted(maps.Keys(seen)), nil
}

// MetricNames returns every clari_* metric family the dashboards read,
// sorted (histograms by family name, recording rules excluded; see
// alerts.ExprMetricNames).
func MetricNames() ([]string, error) {
	qs, err := allQueries()
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	for _, q := range qs {
		for _, n := range alerts.ExprMetricNames(q.Expr) {
			seen[n] = true
		}
	}
	return slices.Sorted(maps.Keys(seen)), nil
}

// RecordingRules returns the recording-rule names (level:metric:ops) the
// dashboards read; each must exist in alerts/clari.rules.yml.
func RecordingRules() ([]string, error) {
	qs, err := PanelQueries()
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	re := regexp.MustCompile(`[a-z_]+:[a-z0-9_]+:[a-z0-9_]+`)
	for _, q := range qs {
		for _, n := range re.FindAllString(q.Expr, -1) {
			if !strings.HasPrefix(n, "__") {
				seen[n] = true
			}
		}
	}
	return slices.Sorted(maps.Keys(seen)), nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
