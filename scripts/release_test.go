// Package scripts holds the release build (release.sh, what `make release`
// runs) and its test, in a package of its own so its two builds of the
// exporter have their own go test timeout.
package scripts

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/clari-exporter/clari_exporter/internal/testtier"
)

// TestReleaseBuild runs the release command (scripts/release.sh, what
// `make release` runs) for this machine's platform and one other, and
// checks what a user downloads: a tarball per platform holding the binary,
// LICENSE, NOTICE, CHANGELOG.md, README.md and examples/clari.yml; a
// sha256sums.txt that matches the tarballs; the native binary's --version
// stamped with the version, revision, branch and build date given to the
// build; the cross-built one carrying the same stamps for its platform.
func TestReleaseBuild(t *testing.T) {
	t.Parallel()
	testtier.Outside(t, "cross-builds release binaries with scripts/release.sh")
	bash := testtier.Tool(t, "bash", "bash")
	testtier.Tool(t, "tar", "tar")
	testtier.Tool(t, "sha256sum", "coreutils")
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	native := runtime.GOOS + "/" + runtime.GOARCH
	cross := "linux/arm64"
	if native == cross {
		cross = "linux/amd64"
	}
	const (
		version  = "9.8.7-rc.1"
		revision = "0123456789abcdef0123456789abcdef01234567"
		branch   = "release-test"
		date     = "20261208-04:05:06"
	)
	dist := t.TempDir()
	cmd := exec.Command(bash, "scripts/release.sh")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "PLATFORMS="+native+" "+cross, "VERSION="+version, "REVISION="+revision,
		"BRANCH="+branch, "BUILD_DATE="+date, "DIST="+dist)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("scripts/release.sh: %v\n%s", err, out)
	}

	sums, err := os.ReadFile(filepath.Join(dist, "sha256sums.txt"))
	if err != nil {
		t.Fatal(err)
	}
	bins := map[string]string{}
	for _, platform := range []string{native, cross} {
		name := "clari_exporter-" + version + "." + strings.Replace(platform, "/", "-", 1)
		archive := filepath.Join(dist, name+".tar.gz")
		data, err := os.ReadFile(archive)
		if err != nil {
			t.Fatalf("no tarball for %s: %v", platform, err)
		}
		sum := sha256.Sum256(data)
		if want := hex.EncodeToString(sum[:]) + "  " + name + ".tar.gz"; !strings.Contains(string(sums), want+"\n") {
			t.Errorf("sha256sums.txt lacks %q:\n%s", want, sums)
		}
		dir := t.TempDir()
		files := untar(t, archive, dir)
		for _, f := range []string{"clari_exporter", "LICENSE", "NOTICE", "CHANGELOG.md", "README.md", "examples/clari.yml"} {
			if !files[name+"/"+f] {
				t.Errorf("%s lacks %s/%s (has %v)", archive, name, f, files)
			}
		}
		bins[platform] = filepath.Join(dir, name, "clari_exporter")
	}

	out, err := exec.Command(bins[native], "--version").CombinedOutput()
	if err != nil {
		t.Fatalf("--version: %v\n%s", err, out)
	}
	for _, want := range []string{
		"clari_exporter, version " + version + " (branch: " + branch + ", revision: " + revision + ")",
		"build date:       " + date,
		"platform:         " + native,
	} {
		if !strings.Contains(string(out), want) {
			t.Errorf("the release binary's --version lacks %q:\n%s", want, out)
		}
	}

	// The cross-built binary cannot run here. Its build info names its
	// platform, and the stamps are in its data (-trimpath keeps -ldflags
	// out of the build info, not the -X strings out of the binary).
	info, err := exec.Command("go", "version", "-m", bins[cross]).CombinedOutput()
	if err != nil {
		t.Fatalf("go version -m: %v\n%s", err, info)
	}
	goos, goarch, _ := strings.Cut(cross, "/")
	for _, want := range []string{"GOOS=" + goos, "GOARCH=" + goarch, "CGO_ENABLED=0"} {
		if !strings.Contains(string(info), want) {
			t.Errorf("the %s binary's build info lacks %q:\n%s", cross, want, info)
		}
	}
	data, err := os.ReadFile(bins[cross])
	if err != nil {
		t.Fatal(err)
	}
	for _, stamp := range []string{version, revision, branch, date} {
		if !bytes.Contains(data, []byte(stamp)) {
			t.Errorf("the %s binary does not carry the stamp %q", cross, stamp)
		}
	}
}

// untar extracts a .tar.gz into dir and returns the regular files' paths.
func untar(t *testing.T, archive, dir string) map[string]bool {
	t.Helper()
	f, err := os.Open(archive)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(gz)
	files := map[string]bool{}
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return files
		}
		if err != nil {
			t.Fatalf("%s: %v", archive, err)
		}
		if h.Typeflag != tar.TypeReg {
			continue
		}
		p := filepath.Join(dir, filepath.FromSlash(h.Name))
		if !strings.HasPrefix(p, dir+string(filepath.Separator)) {
			t.Fatalf("%s: entry %q escapes the archive's directory", archive, h.Name)
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		out, err := os.OpenFile(p, os.O_CREATE|os.O_WRONLY, os.FileMode(h.Mode)&0o755)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.Copy(out, tr); err != nil {
			t.Fatal(err)
		}
		out.Close()
		files[h.Name] = true
	}
}
