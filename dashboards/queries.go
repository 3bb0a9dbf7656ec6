package dashboards

import (
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/clari-exporter/clari_exporter/alerts"
)

// Query is one PromQL query of a shipped dashboard.
type Query struct {
	Dashboard string // dashboard uid
	Panel     string // panel title, or "variable <name>"
	Expr      string // as written in the dashboard, with Grafana variables
}

// PanelQueries returns every panel query of every dashboard, in order.
func PanelQueries() []Query {
	var out []Query
	for _, f := range All() {
		for _, p := range f.Dashboard.Panels {
			for _, t := range p.Targets {
				out = append(out, Query{Dashboard: f.Dashboard.UID, Panel: p.Title, Expr: t.Expr})
			}
		}
	}
	return out
}

// labelValues matches a Grafana label_values(selector, label) variable query.
var labelValues = regexp.MustCompile(`^label_values\((.+),\s*([a-zA-Z_][a-zA-Z0-9_]*)\)$`)

// VariableQueries returns the series selector of every label_values()
// variable, so it can be checked as PromQL too.
func VariableQueries() []Query {
	var out []Query
	for _, f := range All() {
		for _, v := range f.Dashboard.Templating.List {
			if v.Type != "query" {
				continue
			}
			expr := v.Query
			if m := labelValues.FindStringSubmatch(v.Query); m != nil {
				expr = m[1]
			}
			out = append(out, Query{Dashboard: f.Dashboard.UID, Panel: "variable " + v.Name, Expr: expr})
		}
	}
	return out
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
func Queries() []string {
	seen := map[string]bool{}
	for _, q := range append(PanelQueries(), VariableQueries()...) {
		seen[Expand(q.Expr)] = true
	}
	return slices.Sorted(maps.Keys(seen))
}

// MetricNames returns every clari_* metric family the dashboards read,
// sorted (histograms by family name, recording rules excluded; see
// alerts.ExprMetricNames).
func MetricNames() []string {
	seen := map[string]bool{}
	for _, q := range append(PanelQueries(), VariableQueries()...) {
		for _, n := range alerts.ExprMetricNames(q.Expr) {
			seen[n] = true
		}
	}
	return slices.Sorted(maps.Keys(seen))
}

// RecordingRules returns the recording-rule names (level:metric:ops) the
// dashboards read; each must exist in alerts/clari.rules.yml.
func RecordingRules() []string {
	seen := map[string]bool{}
	re := regexp.MustCompile(`[a-z_]+:[a-z0-9_]+:[a-z0-9_]+`)
	for _, q := range PanelQueries() {
		for _, n := range re.FindAllString(q.Expr, -1) {
			if !strings.HasPrefix(n, "__") {
				seen[n] = true
			}
		}
	}
	return slices.Sorted(maps.Keys(seen))
}
