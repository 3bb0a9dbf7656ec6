package alerts

import (
	"fmt"
	"strings"
)

// A rule's text fields are written once, as jsonnet format strings, so the
// same text feeds the YAML (expanded here) and the mixin (expanded by jsonnet
// with `% $._config`). A field is a template only when it names a parameter
// (contains "%("); then %(key)s is a string, %(key)g a number and %% a
// literal percent sign. Any other field is taken literally, so a description
// may use printf's %s without escaping.

// isTemplate reports whether s names a Config parameter.
func isTemplate(s string) bool { return strings.Contains(s, "%(") }

// expand fills the parameters of a template from values (by _config key).
func expand(s string, values map[string]any) (string, error) {
	if !isTemplate(s) {
		return s, nil
	}
	var b strings.Builder
	for {
		i := strings.IndexByte(s, '%')
		if i < 0 {
			b.WriteString(s)
			return b.String(), nil
		}
		b.WriteString(s[:i])
		s = s[i:]
		if strings.HasPrefix(s, "%%") {
			b.WriteByte('%')
			s = s[2:]
			continue
		}
		end := strings.IndexByte(s, ')')
		if !strings.HasPrefix(s, "%(") || end < 0 || end+1 >= len(s) {
			return "", fmt.Errorf("template %q: a %% must start %%(key)s, %%(key)g or %%%%", s)
		}
		key, verb := s[2:end], s[end+1]
		v, ok := values[key]
		if !ok {
			return "", fmt.Errorf("template names unknown parameter %q", key)
		}
		switch x := v.(type) {
		case string:
			if verb != 's' {
				return "", fmt.Errorf("parameter %s is a string: write %%(%s)s", key, key)
			}
			b.WriteString(x)
		case float64:
			if verb != 'g' {
				return "", fmt.Errorf("parameter %s is a number: write %%(%s)g", key, key)
			}
			b.WriteString(formatNumber(x))
		default:
			return "", fmt.Errorf("parameter %s (%T) cannot be used in a template", key, v)
		}
		s = s[end+2:]
	}
}

// values maps the _config keys of c to their values.
func (c Config) values() map[string]any {
	m := map[string]any{}
	for _, p := range c.params() {
		m[p.key] = p.value
	}
	return m
}
