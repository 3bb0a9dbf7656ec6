package main

import (
	"runtime/debug"

	"github.com/prometheus/common/version"
)

// versionString is what --version prints: version, revision, Go version and
// platform. The release build sets version.Version and version.Revision
// with -ldflags -X (Dockerfile); any other build fills the gaps from the
// build info the Go toolchain embeds: the module version (`go install
// ...@vX.Y.Z`, "(devel)" in a checkout) and, with -buildvcs, the commit
// time (prometheus/common reads the commit itself from vcs.revision). The
// globals are restored: clari_exporter_build_info and the User-Agent keep
// what the build set.
func versionString() string {
	v, date := version.Version, version.BuildDate
	defer func() { version.Version, version.BuildDate = v, date }()
	if info, ok := debug.ReadBuildInfo(); ok {
		if version.Version == "" {
			version.Version = info.Main.Version
		}
		for _, s := range info.Settings {
			if s.Key == "vcs.time" && version.BuildDate == "" {
				version.BuildDate = s.Value
			}
		}
	}
	return version.Print("clari_exporter")
}
