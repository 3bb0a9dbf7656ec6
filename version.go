// Package clari_exporter is the module's root. It holds one thing: the
// release this source tree is (the VERSION file, which the release build
// also reads), for the builds Go stamps with no version of their own.
package clari_exporter

import (
	_ "embed"
	"strings"
)

//go:embed VERSION
var versionFile string

// Version is the release in VERSION, e.g. "0.1.0".
func Version() string { return strings.TrimSpace(versionFile) }
