package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
)

// TestVersionPrintsRevisionAndGoVersion builds the real binary with
// -buildvcs=true (this machine's GOFLAGS say -buildvcs=false) and checks
// that --version names the version, the commit it was built from and the
// Go version. The Go toolchain stamps the commit only in a checkout whose
// .git is a directory; a git worktree (.git is a file) is cloned first.
func TestVersionPrintsRevisionAndGoVersion(t *testing.T) {
	gitBin := requireTool(t, "git", "git")
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	src := root
	if fi, err := os.Stat(filepath.Join(root, ".git")); err != nil || !fi.IsDir() {
		src = filepath.Join(t.TempDir(), "clone")
		if out, err := exec.Command(gitBin, "clone", "-q", "--no-hardlinks", root, src).CombinedOutput(); err != nil {
			t.Fatalf("git clone %s: %v\n%s", root, err, out)
		}
	}
	git := func(args ...string) string {
		t.Helper()
		cmd := exec.Command(gitBin, args...)
		cmd.Dir = src
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("git %s: %v", strings.Join(args, " "), err)
		}
		return strings.TrimSpace(string(out))
	}
	head := git("rev-parse", "HEAD")
	dirty := git("status", "--porcelain") != ""

	bin := filepath.Join(t.TempDir(), "clari_exporter")
	build := exec.Command("go", "build", "-buildvcs=true", "-o", bin, "./cmd/clari_exporter")
	build.Dir = src
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build -buildvcs=true: %v\n%s", err, out)
	}
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
	// The toolchain that built it: the same go command as this test's.
	goVersion, err := exec.Command("go", "env", "GOVERSION").Output()
	if err != nil {
		t.Fatal(err)
	}
	if want := strings.TrimSpace(string(goVersion)); !regexp.MustCompile(`(?m)^\s*go version:\s+` + regexp.QuoteMeta(want) + `$`).MatchString(text) {
		t.Errorf("--version does not name the Go version %s:\n%s", want, text)
	}
	if !strings.Contains(text, runtime.GOOS+"/"+runtime.GOARCH) {
		t.Errorf("--version does not name the platform %s/%s", runtime.GOOS, runtime.GOARCH)
	}
}
