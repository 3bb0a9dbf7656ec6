package alerts

import (
	"slices"
	"strings"
	"testing"

	"github.com/clari-exporter/clari_exporter/runner"
	"github.com/clari-exporter/clari_exporter/watch"
)

// TestEveryCheckFailureReasonAlerts: every reason of
// clari_pipeline_export_check_failures_total, taken from its one
// definition (watch.CheckReasons), is selected by an alert of the
// generated rules; so is truncated of clari_export_failures_total, which
// replaces the generic ClariExportFailed page like empty does.
func TestEveryCheckFailureReasonAlerts(t *testing.T) {
	rules := generated(t, DefaultConfig()).AlertingRules()
	alertOf := func(metric, reason string) string {
		for _, r := range rules {
			if strings.Contains(r.Expr, metric+`{reason="`+reason+`",`) {
				return r.Alert
			}
		}
		return ""
	}
	seen := map[string]string{}
	for _, reason := range watch.CheckReasons {
		name := alertOf("clari_pipeline_export_check_failures_total", reason)
		if name == "" {
			t.Errorf("check-failure reason %q of clari_pipeline_export_check_failures_total has no alert", reason)
			continue
		}
		if other, dup := seen[name]; dup {
			t.Errorf("%s covers both %q and %q: each reason needs its own alert and runbook", name, other, reason)
		}
		seen[name] = reason
	}
	for _, reason := range []string{"empty", "truncated"} {
		if !slices.Contains(runner.FailureReasons, reason) {
			t.Errorf("runner.FailureReasons lacks %q", reason)
		}
		if alertOf("clari_export_failures_total", reason) == "" {
			t.Errorf("export failure reason %q has no alert of its own", reason)
		}
	}
}
