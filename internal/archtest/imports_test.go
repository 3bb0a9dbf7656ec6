// Package archtest holds tests of the project's structure.
package archtest

import (
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/clari-exporter/clari_exporter/"

// deps lists the project packages pkg depends on (transitively, without
// tests), from `go list -deps`.
func deps(t *testing.T, pkg string) map[string]bool {
	t.Helper()
	out, err := exec.Command("go", "list", "-deps", module+pkg).Output()
	if err != nil {
		t.Fatalf("go list -deps %s: %v", pkg, err)
	}
	got := map[string]bool{}
	for _, p := range strings.Fields(string(out)) {
		if rest, ok := strings.CutPrefix(p, module); ok {
			got[rest] = true
		}
	}
	return got
}

// TestDataFlowsOneWay: producers publish their state and collector reads
// it through interfaces it declares, so collector depends on no producer
// (and on nothing that calls Clari), and no producer depends on collector.
func TestDataFlowsOneWay(t *testing.T) {
	for dep := range deps(t, "collector") {
		if dep != "collector" {
			t.Errorf("collector depends on %s: it must read producers' state through its own interfaces (DESIGN.md, data flow)", dep)
		}
	}
	for _, producer := range []string{"runner", "health", "warehouse", "checklist", "store", "snapshot", "clari", "config"} {
		if deps(t, producer)["collector"] {
			t.Errorf("%s depends on collector: producers publish their own state, collector reads it", producer)
		}
	}
}
