// Package rogue is a second scrubber, the kind TestOneRedactionSpelling
// must catch: it spells the redaction itself instead of using package
// secret.
package rogue

import "strings"

func hide(s, key string) string { return strings.ReplaceAll(s, key, "<REDACTED>") }

func mask(s string) string { return strings.Repeat("*", 4) + s[len(s)-4:] + "xxxxx" }
