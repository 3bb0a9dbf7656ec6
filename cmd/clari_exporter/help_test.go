package main

import (
	"bytes"
	"regexp"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/prometheus/common/version"

	clari_exporter "github.com/clari-exporter/clari_exporter"
)

// exited is the panic helpOutput's exit raises: kingpin calls exit after
// printing help, and run must not go on to serve.
type exited int

// helpOutput runs the command line in-process and returns what it printed
// and the exit code kingpin asked for (-1: it did not exit).
func helpOutput(t *testing.T, args ...string) (string, int) {
	t.Helper()
	var out bytes.Buffer
	code := -1
	func() {
		defer func() {
			if r := recover(); r != nil {
				e, ok := r.(exited)
				if !ok {
					panic(r)
				}
				code = int(e)
			}
		}()
		runApp(args, &out, func(c int) { panic(exited(c)) })
	}()
	return out.String(), code
}

// TestTopLevelHelpListsServeFlags: `clari_exporter --help` lists the serve
// flags (serve is the default command) and names the check command, as
// every other exporter's --help lists its flags; check's help stays its own.
func TestTopLevelHelpListsServeFlags(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"-h"}, {"--config.file=x.yml", "--help"}} {
		out, code := helpOutput(t, args...)
		if code != 0 {
			t.Errorf("%v: exit %d, want 0", args, code)
		}
		for _, want := range []string{"--config.file", "--web.listen-address", "--web.config.file", "-]config.check", "-]demo", "clari_exporter check"} {
			if !strings.Contains(out, want) {
				t.Errorf("%v: help lacks %q:\n%s", args, want, out)
			}
		}
	}
	out, code := helpOutput(t, "check", "--help")
	if code != 0 || !strings.Contains(out, "--prometheus.url") || strings.Contains(out, "--web.listen-address") {
		t.Errorf("check --help (exit %d) is not check's own help:\n%s", code, out)
	}
}

// TestUnstampedBuildNamesItsRelease: a build Go stamps with no version
// ("(devel)", as `go run` and this test binary are) reports the release
// in VERSION with -devel, not "(devel)".
func TestUnstampedBuildNamesItsRelease(t *testing.T) {
	info, ok := debug.ReadBuildInfo()
	if !ok || info.Main.Version != "(devel)" {
		t.Skipf("this test binary is stamped %q; the fallback is for (devel) builds", info.Main.Version)
	}
	saved := version.Version
	t.Cleanup(func() { version.Version = saved })
	version.Version = ""
	useBuildInfo()
	want := clari_exporter.Version() + "-devel"
	if version.Version != want || !regexp.MustCompile(`^\d+\.\d+\.\d+-devel$`).MatchString(version.Version) {
		t.Errorf("version %q, want %q (VERSION with -devel)", version.Version, want)
	}
}
