// Package testtier sorts the project's tests into its three tiers
// (DESIGN.md, "Test tiers"), so every package skips the same way and says
// why:
//
//   - short (`go test -short ./...`, the README's command): in-process tests
//     only. Every test that starts a subprocess, needs an outside binary
//     (Prometheus, Alertmanager, promtool, Chromium, git) or a database
//     server (PostgreSQL), or is a soak run, skips with a message.
//   - full (`.ci/run`: no -short, under -race): everything but the soak
//     tier. An outside binary or server that is missing is a skip on a
//     developer's machine and a failure under CI=true, where .ci/run has
//     installed it.
//   - soak (CLARI_SOAK=1): production-timing runs (the failover loop at
//     default lease timings, the 4× memory growth) that report figures.
package testtier

import (
	"os"
	"os/exec"
	"testing"
)

// SoakEnv turns the soak tier on when set to 1.
const SoakEnv = "CLARI_SOAK"

// InCI reports whether the tests run in CI (CI=true), where whatever a
// test needs from outside must be present.
func InCI() bool { return os.Getenv("CI") == "true" }

// Outside skips t under -short: it needs something outside the test
// process (a subprocess, an outside binary, a database server). what says
// what, for the skip message.
func Outside(t testing.TB, what string) {
	t.Helper()
	if testing.Short() {
		t.Skipf("-short: skipped (%s); run without -short, as .ci/run does", what)
	}
}

// Tool returns the path of the outside binary name found on PATH. Under
// -short it skips t; when the binary is missing it skips t, or fails it
// under CI=true. debianPackage names what installs it.
func Tool(t testing.TB, name, debianPackage string) string {
	t.Helper()
	Outside(t, "needs "+name)
	path, err := exec.LookPath(name)
	if err != nil {
		Missing(t, name+" is not on PATH", debianPackage)
	}
	return path
}

// ToolAt is Tool for a binary at a fixed path (a package installs it
// outside PATH).
func ToolAt(t testing.TB, path, debianPackage string) string {
	t.Helper()
	Outside(t, "needs "+path)
	if fi, err := os.Stat(path); err != nil || fi.Mode()&0o111 == 0 {
		Missing(t, path+" is not installed", debianPackage)
	}
	return path
}

// Missing ends t for something outside that is not there: a skip with
// how to install it, or a failure under CI=true (.ci/run installs it).
func Missing(t testing.TB, what, debianPackage string) {
	t.Helper()
	if InCI() {
		t.Fatalf("%s, but CI=true: .ci/run must install it (Debian package %s)", what, debianPackage)
	}
	t.Skipf("%s: skipped; install the Debian package %s to run it", what, debianPackage)
}

// Soak skips t unless CLARI_SOAK=1: a production-timing run that takes
// minutes and reports figures (t.Logf) rather than gating CI.
func Soak(t testing.TB, what string) {
	t.Helper()
	if os.Getenv(SoakEnv) != "1" {
		t.Skipf("soak tier: %s; set %s=1 to run it", what, SoakEnv)
	}
}
