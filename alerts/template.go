package alerts

import "strings"

// A rule's text fields are written once, as jsonnet format strings: the
// mixin applies them to $._config with `%`, and the rule files are that
// mixin evaluated (generate.go). A field is a template only when it names a
// parameter (contains "%("); then %(key)s is a string, %(key)g a number and
// %% a literal percent sign. Any other field is taken literally, so a
// description may use printf's %s without escaping.

// isTemplate reports whether s names a Config parameter.
func isTemplate(s string) bool { return strings.Contains(s, "%(") }
