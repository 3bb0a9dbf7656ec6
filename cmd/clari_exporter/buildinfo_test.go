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

	"github.com/clari-exporter/clari_exporter/internal/testtier"
)

// stampedCheckout returns the commit the test binary's sources are at and
// whether the work tree is modified, for the tests of the revision a plain
// `go build` stamps (TestMain's binary). cmd/go stamps only in a checkout
// whose .git is a directory: in a linked worktree (.git is a file) the
// test skips; CI runs in a clone.
func stampedCheckout(t *testing.T) (head string, dirty bool) {
	t.Helper()
	gitBin := testtier.Tool(t, "git", "git")
	git := func(args ...string) string {
		t.Helper()
		out, err := exec.Command(gitBin, args...).Output()
		if err != nil {
			if testtier.InCI() {
				t.Fatalf("git %s: %v (CI runs in a git checkout)", strings.Join(args, " "), err)
			}
			t.Skipf("not a git checkout (git %s: %v)", strings.Join(args, " "), err)
		}
		return strings.TrimSpace(string(out))
	}
	top := git("rev-parse", "--show-toplevel")
	if fi, err := os.Stat(filepath.Join(top, ".git")); err != nil || !fi.IsDir() {
		t.Skip("linked git worktree: go build stamps the revision only in a checkout whose .git is a directory (run in a clone, as CI does)")
	}
	return git("rev-parse", "HEAD"), git("status", "--porcelain") != ""
}

// TestPlainBuildHasRevision: a plain `go build` from a git checkout (VCS
// stamping on, as by default outside this machine's GOFLAGS; no ldflags)
// serves clari_exporter_build_info with the checkout's commit as revision.
func TestPlainBuildHasRevision(t *testing.T) {
	t.Parallel()
	bin := exporterBinary(t)
	head, _ := stampedCheckout(t)
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
	if labels["revision"] != head {
		t.Errorf("build_info revision %q, want the checkout's commit %s", labels["revision"], head)
	}
	if labels["version"] == "" {
		t.Errorf("build_info version is empty: %v", labels)
	}
}
