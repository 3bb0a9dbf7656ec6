package main

import (
	"os/exec"
	"regexp"
	"runtime"
	"strings"
	"testing"
)

// TestVersionPrintsRevisionAndGoVersion: the binary a plain `go build`
// makes (TestMain's, VCS stamping on) prints with --version the version, the commit it was built
// from, whether the tree was modified, and the Go version and platform.
func TestVersionPrintsRevisionAndGoVersion(t *testing.T) {
	t.Parallel()
	bin := exporterBinary(t)
	head, dirty := stampedCheckout(t)
	out, err := exec.Command(bin, "--version").CombinedOutput()
	if err != nil {
		t.Fatalf("clari_exporter --version: %v\n%s", err, out)
	}
	text := string(out)
	t.Logf("--version:\n%s", text)

	m := regexp.MustCompile(`(?m)^clari_exporter, version (\S+) \(branch: [^,]*, revision: ([0-9a-f]{40})(-modified)?\)$`).FindStringSubmatch(text)
	if m == nil {
		t.Fatalf("--version does not start with the version and a full revision:\n%s", text)
	}
	if m[1] == "" {
		t.Error("--version prints no version")
	}
	if m[2] != head {
		t.Errorf("--version says revision %s, the checkout is at %s", m[2], head)
	}
	if (m[3] != "") != dirty {
		t.Errorf("--version says modified=%v, git status says %v", m[3] != "", dirty)
	}
	// The toolchain that built it: the go command TestMain ran, which
	// built this test binary too.
	if want := runtime.Version(); !regexp.MustCompile(`(?m)^\s*go version:\s+` + regexp.QuoteMeta(want) + `$`).MatchString(text) {
		t.Errorf("--version does not name the Go version %s:\n%s", want, text)
	}
	if !strings.Contains(text, runtime.GOOS+"/"+runtime.GOARCH) {
		t.Errorf("--version does not name the platform %s/%s", runtime.GOOS, runtime.GOARCH)
	}
}
