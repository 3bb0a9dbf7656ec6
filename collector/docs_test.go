package collector

import (
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/clari-exporter/clari_exporter/runner"
)

// docs/metrics.md must list every metric with its current type, labels and
// HELP text, so the table cannot drift from the code.
func TestDocsListEveryMetric(t *testing.T) {
	doc, err := os.ReadFile("../docs/metrics.md")
	if err != nil {
		t.Fatalf("docs/metrics.md: %v", err)
	}
	reg := prometheus.NewRegistry()
	if err := fullSet().Register(reg); err != nil {
		t.Fatal(err)
	}
	// The HA series every replica has (the shared store's two are described
	// in prose: a single replica, the demo, has neither).
	reg.MustRegister(NewHACollector(HAOptions{
		CreateRefused:        func() map[string]uint64 { return nil },
		CreateRefusedReasons: runner.CreateRefusedReasons,
	}))
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		labels := map[string]bool{}
		for _, m := range mf.Metric {
			for _, l := range m.Label {
				labels[l.GetName()] = true
			}
		}
		var ls []string
		for l := range labels {
			ls = append(ls, "`"+l+"`")
		}
		sort.Strings(ls)
		row := "| `" + mf.GetName() + "` | " + strings.ToLower(mf.GetType().String()) + " | " +
			strings.Join(ls, ", ") + " | " + strings.ReplaceAll(mf.GetHelp(), "|", `\|`) + " |"
		if !strings.Contains(string(doc), row) {
			t.Errorf("docs/metrics.md lacks (or has an outdated) row starting:\n%s", row)
		}
	}
}
