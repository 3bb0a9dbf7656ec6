package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/clari-exporter/clari_exporter/internal/testtier"
)

// The shipped binary, built once by TestMain for every test that runs the
// exporter as a child process (kill -9, HA replicas, peak RSS, version):
// built without -race, as users run it, whatever flags this test binary
// was built with.
var (
	exporterBin      string
	exporterBuildErr error
)

// parallelWaits is how many tests run at once when -parallel is not given:
// the parallel tests here mostly wait (on timers, child processes, polling
// loops), so more than GOMAXPROCS of them fit on two cores.
const parallelWaits = "6"

func TestMain(m *testing.M) {
	flag.Parse()
	explicit := false
	flag.Visit(func(f *flag.Flag) { explicit = explicit || f.Name == "test.parallel" })
	if !explicit {
		_ = flag.Set("test.parallel", parallelWaits)
	}
	var dir string
	if !testing.Short() { // under -short every child-process test skips
		dir, exporterBin, exporterBuildErr = buildExporter()
	}
	code := m.Run()
	if dir != "" {
		os.RemoveAll(dir)
	}
	os.Exit(code)
}

// buildExporter builds this package as a plain `go build` does by default
// on a user's machine, VCS stamping on (this machine's go env sets
// GOFLAGS=-buildvcs=false, which an empty GOFLAGS does not override, so the
// flag is given), into a temporary directory.
func buildExporter() (dir, bin string, err error) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		return "", "", fmt.Errorf("no go command to build the exporter with: %w", err)
	}
	dir, err = os.MkdirTemp("", "clari-exporter-test-bin-")
	if err != nil {
		return "", "", err
	}
	bin = filepath.Join(dir, "clari_exporter")
	cmd := exec.Command(goBin, "build", "-buildvcs=true", "-o", bin, ".")
	if out, err := cmd.CombinedOutput(); err != nil {
		return dir, "", fmt.Errorf("go build: %w\n%s", err, out)
	}
	return dir, bin, nil
}

// exporterBinary is the binary TestMain built. Under -short it skips t;
// when the build failed it fails t (or skips it, outside CI, when there is
// no go command).
func exporterBinary(t testing.TB) string {
	t.Helper()
	testtier.Outside(t, "runs the exporter binary as a child process")
	if exporterBuildErr != nil {
		if errors.Is(exporterBuildErr, exec.ErrNotFound) {
			testtier.Missing(t, exporterBuildErr.Error(), "golang-go")
		}
		t.Fatalf("building the exporter for the child-process tests: %v", exporterBuildErr)
	}
	return exporterBin
}
