// Package archtest holds tests of the project's structure.
package archtest

import (
	"os/exec"
	"slices"
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

// statePackages are the producers' published state: plain values in
// I/O-free packages that import nothing else of the project. collector
// reads these values directly (as client_golang's DBStats collector reads a
// sql.DBStats) instead of declaring interfaces that mirror a producer.
var statePackages = []string{"health/probe", "warehouse/checkstate", "fiscal/calendar", "leader/leadership", "checklist/readiness"}

// ioPackages call Clari or a database; collector must never depend on them.
var ioPackages = []string{"clari", "store", "warehouse"}

// producers publish state that collector reads; none may depend on
// collector.
var producers = []string{"runner", "watch", "health", "health/probe", "warehouse", "warehouse/checkstate", "checklist", "checklist/readiness", "store", "snapshot", "clari", "config", "fiscal", "fiscal/calendar", "leader", "leader/leadership"}

// collectorDepProblems names what is wrong with collector's project
// dependencies: anything but collector itself and the state packages, and
// above all an I/O package.
func collectorDepProblems(deps map[string]bool) []string {
	var problems []string
	for dep := range deps {
		switch {
		case dep == "collector" || slices.Contains(statePackages, dep):
		case slices.Contains(ioPackages, dep):
			problems = append(problems, "collector depends on "+dep+", which does I/O: read the producer's published state package instead")
		default:
			problems = append(problems, "collector depends on "+dep+": it may import only the producers' state packages "+strings.Join(statePackages, ", "))
		}
	}
	slices.Sort(problems)
	return problems
}

// TestDataFlowsOneWay: producers publish their state as plain values and
// collector reads those values, so collector depends on the state packages
// only (never on anything that calls Clari or a database), the state
// packages depend on nothing of the project, and no producer depends on
// collector.
func TestDataFlowsOneWay(t *testing.T) {
	for _, p := range collectorDepProblems(deps(t, "collector")) {
		t.Error(p)
	}
	for _, pkg := range statePackages {
		for dep := range deps(t, pkg) {
			if dep != pkg {
				t.Errorf("state package %s depends on %s: published state is plain values with no I/O", pkg, dep)
			}
		}
	}
	for _, producer := range producers {
		if deps(t, producer)["collector"] {
			t.Errorf("%s depends on collector: producers publish their own state, collector reads it", producer)
		}
	}
}

// TestDataFlowsOneWayCatchesABrokenRule: the rule above flags collector
// importing an I/O package or a producer, and passes the state packages.
func TestDataFlowsOneWayCatchesABrokenRule(t *testing.T) {
	if p := collectorDepProblems(map[string]bool{"collector": true, "health/probe": true}); len(p) != 0 {
		t.Errorf("collector reading only state packages flagged: %q", p)
	}
	for _, bad := range []string{"clari", "store", "warehouse", "runner", "health"} {
		p := collectorDepProblems(map[string]bool{"collector": true, "health/probe": true, bad: true})
		if len(p) != 1 || !strings.Contains(p[0], "depends on "+bad) {
			t.Errorf("collector depending on %s: problems %q, want one naming it", bad, p)
		}
	}
}
