package testtier

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// outcome records how a helper ended a test: skipped, failed, or neither.
type outcome struct {
	testing.TB
	skipped, failed string
}

func (o *outcome) Helper() {}
func (o *outcome) Skipf(format string, args ...any) {
	o.skipped = fmt.Sprintf(format, args...)
	panic(o)
}
func (o *outcome) Fatalf(format string, args ...any) {
	o.failed = fmt.Sprintf(format, args...)
	panic(o)
}

// run calls fn with a recording TB; a skip or failure ends fn as it would
// end a test.
func run(t *testing.T, fn func(tb testing.TB)) *outcome {
	o := &outcome{TB: t}
	func() {
		defer func() {
			if r := recover(); r != nil && r != o {
				panic(r)
			}
		}()
		fn(o)
	}()
	return o
}

func TestToolSkipsOrFailsWhenMissing(t *testing.T) {
	const missing = "clari-no-such-tool-on-path"
	t.Setenv("CI", "")
	o := run(t, func(tb testing.TB) { Tool(tb, missing, "some-package") })
	if o.skipped == "" || o.failed != "" {
		t.Fatalf("missing tool outside CI: skipped %q, failed %q; want a skip", o.skipped, o.failed)
	}
	if testing.Short() {
		if !strings.Contains(o.skipped, "-short") {
			t.Errorf("under -short the skip says %q, not that -short skipped it", o.skipped)
		}
		return
	}
	if !strings.Contains(o.skipped, "some-package") {
		t.Errorf("the skip %q does not name the package to install", o.skipped)
	}
	t.Setenv("CI", "true")
	o = run(t, func(tb testing.TB) { Tool(tb, missing, "some-package") })
	if o.failed == "" || !strings.Contains(o.failed, "some-package") {
		t.Errorf("missing tool under CI=true: failed %q (skipped %q); want a failure naming the package", o.failed, o.skipped)
	}
}

func TestToolFindsAnInstalledBinary(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "clari-test-tool")
	if err := os.WriteFile(bin, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir)
	var got, gotAt string
	o := run(t, func(tb testing.TB) { got = Tool(tb, "clari-test-tool", "pkg"); gotAt = ToolAt(tb, bin, "pkg") })
	if testing.Short() {
		if o.skipped == "" {
			t.Fatal("Tool did not skip under -short")
		}
		return
	}
	if o.skipped != "" || o.failed != "" || got != bin || gotAt != bin {
		t.Fatalf("Tool = %q, ToolAt = %q (skipped %q, failed %q), want %s", got, gotAt, o.skipped, o.failed, bin)
	}
	// Not executable: ToolAt treats it as missing.
	if err := os.Chmod(bin, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("CI", "")
	if o := run(t, func(tb testing.TB) { ToolAt(tb, bin, "pkg") }); o.skipped == "" {
		t.Errorf("ToolAt of a file that is not executable did not skip")
	}
}

func TestSoakRunsOnlyWhenAskedFor(t *testing.T) {
	t.Setenv(SoakEnv, "")
	if o := run(t, func(tb testing.TB) { Soak(tb, "a long run") }); !strings.Contains(o.skipped, SoakEnv+"=1") {
		t.Errorf("soak test without %s: skipped %q, want a skip saying how to run it", SoakEnv, o.skipped)
	}
	t.Setenv(SoakEnv, "1")
	if o := run(t, func(tb testing.TB) { Soak(tb, "a long run") }); o.skipped != "" || o.failed != "" {
		t.Errorf("soak test with %s=1: skipped %q, failed %q; want it to run", SoakEnv, o.skipped, o.failed)
	}
}
