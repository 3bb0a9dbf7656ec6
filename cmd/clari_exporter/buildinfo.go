package main

import (
	"runtime/debug"

	"github.com/prometheus/common/version"
)

// useBuildInfo fills version.Version from the build info the Go toolchain
// embeds when no -ldflags -X set it: the module version (`go install
// ...@vX.Y.Z`, "(devel)" in a checkout). The revision needs nothing here:
// prometheus/common reads vcs.revision itself. So a plain `go build` from a
// git checkout shows its commit in clari_exporter_build_info.
func useBuildInfo() {
	if version.Version != "" {
		return
	}
	if info, ok := debug.ReadBuildInfo(); ok {
		version.Version = info.Main.Version
	}
}
