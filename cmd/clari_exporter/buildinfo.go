package main

import (
	"runtime/debug"

	"github.com/prometheus/common/version"

	clari_exporter "github.com/clari-exporter/clari_exporter"
)

// useBuildInfo fills version.Version and version.BuildDate from the build
// info the Go toolchain embeds when no -ldflags -X set them: the module
// version (`go install ...@vX.Y.Z`, a pseudo-version or "(devel)" in a
// checkout) and, with VCS stamping, the commit time. The revision needs
// nothing here: prometheus/common reads vcs.revision itself. So a plain
// `go build` from a git checkout shows its commit in
// clari_exporter_build_info and in --version.
//
// A build Go gives no version ("(devel)": `go run`, which stamps no VCS
// information, or a build outside a checkout) reports the release of its
// source tree with -devel (0.1.0-devel) instead, so the landing page and
// build_info still say which release the code is.
func useBuildInfo() {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return
	}
	if version.Version == "" {
		version.Version = info.Main.Version
		if v := info.Main.Version; v == "" || v == "(devel)" {
			version.Version = clari_exporter.Version() + "-devel"
		}
	}
	for _, s := range info.Settings {
		if s.Key == "vcs.time" && version.BuildDate == "" {
			version.BuildDate = s.Value
		}
	}
}
