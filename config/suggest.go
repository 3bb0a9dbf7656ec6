package config

import (
	"fmt"
	"reflect"
	"regexp"
	"sort"
	"strings"
)

// unknownKeyError names the key's YAML path, the closest key the section
// does take ("did you mean") and the keys it takes, so a typo is fixed from
// the message alone. yaml.v3's own message names a Go type
// ("field foo not found in type config.Forecast") that users cannot map
// back to their file.
func unknownKeyError(line int, path, key string, fields map[string]reflect.StructField) *FieldError {
	names := make([]string, 0, len(fields))
	for n := range fields {
		names = append(names, n)
	}
	sort.Strings(names)
	msg := "unknown key"
	if near := nearest(key, names); near != "" {
		msg += fmt.Sprintf("; did you mean %s?", near)
	}
	section := path[:len(path)-len(key)]
	section = strings.TrimSuffix(section, ".")
	if section == "" {
		msg += fmt.Sprintf(" (top-level keys: %s)", strings.Join(names, ", "))
	} else {
		msg += fmt.Sprintf(" (%s takes: %s)", section, strings.Join(names, ", "))
	}
	return &FieldError{Line: line, Path: path, Msg: msg}
}

// nearest returns the candidate within a typo's reach of key: an edit
// distance of at most a third of the key's length (at least 1, so
// "histrical_quarters" and "api_key_fiel" find theirs, "foo" finds none),
// or a candidate differing only in case, '-' for '_' or a plural 's'.
func nearest(key string, candidates []string) string {
	norm := func(s string) string {
		return strings.TrimSuffix(strings.ReplaceAll(strings.ToLower(s), "-", "_"), "s")
	}
	best, bestDist := "", len(key)/3
	if bestDist < 1 {
		bestDist = 1
	}
	bestDist++ // strictly below the reach
	for _, c := range candidates {
		if norm(c) == norm(key) {
			return c
		}
		if d := editDistance(key, c); d < bestDist {
			best, bestDist = c, d
		}
	}
	return best
}

// editDistance is the optimal string alignment distance: insertions,
// deletions, substitutions and transpositions of neighbours each cost 1.
func editDistance(a, b string) int {
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}

// yamlTypeMismatch is yaml.v3's message for a value of the wrong type.
var yamlTypeMismatch = regexp.MustCompile("^cannot unmarshal !!(\\w+)(?: `(.*)`)? into (.+)$")

// typeMessage rewrites yaml.v3's type error in the file's terms ("must be a
// whole number, got \"four\""); other messages are returned unchanged.
func typeMessage(msg string) string {
	m := yamlTypeMismatch.FindStringSubmatch(msg)
	if m == nil {
		return msg
	}
	got := fmt.Sprintf("%q", m[2])
	switch m[1] {
	case "map":
		got = "a mapping (key: value lines)"
	case "seq":
		got = "a list"
	}
	return fmt.Sprintf("must be %s, got %s", goTypeWords(m[3]), got)
}

// goTypeWords says what a Go type yaml.v3 names accepts, in YAML words.
func goTypeWords(t string) string {
	switch {
	case strings.HasPrefix(t, "[]"):
		return "a list like [a, b]"
	case strings.HasPrefix(t, "int"), strings.HasPrefix(t, "uint"):
		return "a whole number"
	case strings.HasPrefix(t, "float"):
		return "a number"
	case t == "bool":
		return "true or false"
	case t == "string", t == "config.Secret":
		return "a string"
	case strings.HasPrefix(t, "config."), strings.HasPrefix(t, "map["):
		return "a section of key: value lines"
	}
	return "a " + t
}

// tabLine returns the 1-based number of the first line of data indented
// with a tab, or 0. YAML forbids tabs in indentation and yaml.v3 reports
// one as "found character that cannot start any token", which names
// neither the tab nor the fix.
func tabLine(data []byte) int {
	for i, line := range strings.Split(string(data), "\n") {
		indent := line[:len(line)-len(strings.TrimLeft(line, " \t"))]
		if strings.Contains(indent, "\t") && strings.TrimSpace(line) != "" {
			return i + 1
		}
	}
	return 0
}
