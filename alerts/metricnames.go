package alerts

import (
	"regexp"
	"sort"
	"strings"
)

var (
	// stringLiteral matches PromQL string literals, whose content (label
	// values such as job=~"clari.*") must not be read as metric names.
	stringLiteral = regexp.MustCompile("\"(?:[^\"\\\\]|\\\\.)*\"|'(?:[^'\\\\]|\\\\.)*'|`[^`]*`")
	// identifier matches PromQL identifiers; recording-rule names contain
	// colons and are therefore whole tokens, never mistaken for metrics.
	identifier = regexp.MustCompile(`[a-zA-Z_:][a-zA-Z0-9_:]*`)
)

// histogramSuffixes are stripped so a histogram is named by its family
// (clari_api_request_duration_seconds), as in the exposition's # TYPE line.
var histogramSuffixes = []string{"_bucket", "_sum", "_count"}

// metricRef is a metric name read by a PromQL expression, with its position
// (the series selector's matchers, if any, start at end).
type metricRef struct {
	name       string
	start, end int
}

// metricRefs returns the clari_* metrics and `up` that an expression (or a
// Grafana query with $variables) reads, in order of appearance.
// Recording-rule names (level:metric:ops) are not included.
func metricRefs(expr string) []metricRef {
	expr = blankStrings(expr)
	var out []metricRef
	skipUntil := 0
	for _, loc := range identifier.FindAllStringIndex(expr, -1) {
		if loc[0] < skipUntil {
			continue
		}
		tok := expr[loc[0]:loc[1]]
		if groupingKeywords[strings.ToLower(tok)] {
			// by (...), on (...) etc. list label names, not metrics.
			skipUntil = labelListEnd(expr, loc[1])
			continue
		}
		if tok != "up" && (!strings.HasPrefix(tok, "clari_") || strings.Contains(tok, ":")) {
			continue
		}
		if loc[0] > 0 && (expr[loc[0]-1] == '$' || expr[loc[0]-1] == '{') && isVariable(expr, loc[0]) {
			continue
		}
		if loc[0] > 0 && (isIdentByte(expr[loc[0]-1]) || expr[loc[0]-1] == '.') {
			continue // the tail of a longer word, e.g. a $labels.up field
		}
		if isLabelName(expr, loc[1]) {
			continue
		}
		out = append(out, metricRef{name: tok, start: loc[0], end: loc[1]})
	}
	return out
}

// blankStrings replaces the content of PromQL string literals with spaces,
// keeping every position: label values such as job=~"clari.*" must not be
// read as metric names.
func blankStrings(expr string) string {
	return stringLiteral.ReplaceAllStringFunc(expr, func(lit string) string {
		return lit[:1] + strings.Repeat(" ", len(lit)-2) + lit[len(lit)-1:]
	})
}

func isIdentByte(c byte) bool {
	return c == '_' || c == ':' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// ExprMetricNames returns the clari_* metric families a PromQL expression
// (or a Grafana query with $variables) reads, sorted and de-duplicated.
// Histogram series names (_bucket, _sum, _count) are normalised to the
// family name. Recording-rule names (level:metric:ops) are not included.
func ExprMetricNames(expr string) []string {
	seen := map[string]bool{}
	for _, r := range metricRefs(expr) {
		if r.name != "up" {
			seen[NormaliseMetricName(r.name)] = true
		}
	}
	return sortedKeys(seen)
}

// NormaliseMetricName maps a histogram series name to its family name.
func NormaliseMetricName(name string) string {
	for _, s := range histogramSuffixes {
		if strings.HasSuffix(name, s) {
			return strings.TrimSuffix(name, s)
		}
	}
	return name
}

// groupingKeywords are followed by a parenthesised list of label names.
var groupingKeywords = map[string]bool{
	"by": true, "without": true, "on": true, "ignoring": true, "group_left": true, "group_right": true,
}

// labelListEnd returns the index just past the ")" closing the label list
// that starts at or after i, or i when no "(" follows.
func labelListEnd(expr string, i int) int {
	rest := strings.TrimLeft(expr[i:], " \t\n")
	if !strings.HasPrefix(rest, "(") {
		return i
	}
	start := len(expr) - len(rest)
	if end := strings.IndexByte(expr[start:], ')'); end >= 0 {
		return start + end + 1
	}
	return len(expr)
}

// isVariable reports whether the identifier at i is a Grafana variable
// ($name or ${name}).
func isVariable(expr string, i int) bool {
	if expr[i-1] == '$' {
		return true
	}
	return i >= 2 && expr[i-2:i] == "${"
}

// isLabelName reports whether the identifier ending at end is followed by a
// label matcher operator (=, !=, =~, !~), i.e. is a label name.
func isLabelName(expr string, end int) bool {
	rest := strings.TrimLeft(expr[end:], " \t\n")
	for _, op := range []string{"=~", "!~", "!=", "="} {
		if strings.HasPrefix(rest, op) && !strings.HasPrefix(rest, "==") {
			return true
		}
	}
	return false
}

// MetricNames returns every clari_* metric family the shipped rules read,
// sorted. An end-to-end test can check that each appears in a real scrape
// (histograms are named by family: look for "# TYPE <name> histogram" or
// <name>_bucket). `up` and non-clari names are not included.
func MetricNames() ([]string, error) {
	rf, err := Load()
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	for _, g := range rf.Groups {
		for _, r := range g.Rules {
			for _, n := range ExprMetricNames(r.Expr) {
				seen[n] = true
			}
		}
	}
	return sortedKeys(seen), nil
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
