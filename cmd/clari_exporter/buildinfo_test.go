package main

import (
	"context"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// TestPlainBuildHasRevision: a plain `go build` from a git checkout (VCS
// stamping on, as by default outside this machine's GOFLAGS; no ldflags)
// serves clari_exporter_build_info with the checkout's commit as revision.
func TestPlainBuildHasRevision(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	head, err := exec.Command("git", "rev-parse", "HEAD").Output()
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("git rev-parse HEAD: %v (CI runs in a git checkout)", err)
		}
		t.Skipf("not a git checkout (git rev-parse HEAD: %v)", err)
	}
	top, err := exec.Command("git", "rev-parse", "--show-toplevel").Output()
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(filepath.Join(strings.TrimSpace(string(top)), ".git")); err != nil || !fi.IsDir() {
		// cmd/go looks for a .git directory: a linked worktree (.git is a
		// file) builds without VCS stamps. CI runs in a clone.
		t.Skip("linked git worktree: go build stamps the revision only in a checkout whose .git is a directory (run in a clone, as CI does)")
	}
	bin := filepath.Join(t.TempDir(), "clari_exporter")
	build := exec.Command("go", "build", "-buildvcs=true", "-o", bin, ".")
	build.Env = append(os.Environ(), "GOFLAGS=")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build -buildvcs=true: %v\n%s", err, out)
	}
	addr := freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "--demo", "--web.listen-address="+addr, "--log.level=error")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cancel(); _ = cmd.Wait() }()

	var body []byte
	waitFor(t, 30*time.Second, "the built binary serving /metrics", func() bool {
		resp, err := http.Get("http://" + addr + "/metrics")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		body, _ = io.ReadAll(resp.Body)
		return resp.StatusCode == http.StatusOK
	})
	parser := expfmt.NewTextParser(model.UTF8Validation)
	mfs, err := parser.TextToMetricFamilies(strings.NewReader(string(body)))
	if err != nil {
		t.Fatal(err)
	}
	mf := mfs["clari_exporter_build_info"]
	if mf == nil || len(mf.Metric) != 1 {
		t.Fatalf("no clari_exporter_build_info in /metrics")
	}
	labels := map[string]string{}
	for _, l := range mf.Metric[0].Label {
		labels[l.GetName()] = l.GetValue()
	}
	if want := strings.TrimSpace(string(head)); labels["revision"] != want {
		t.Errorf("build_info revision %q, want the checkout's commit %s", labels["revision"], want)
	}
	if labels["version"] == "" {
		t.Errorf("build_info version is empty: %v", labels)
	}
}
