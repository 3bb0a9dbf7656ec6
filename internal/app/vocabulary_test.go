package app

import (
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/clari-exporter/clari_exporter/clari"
	"github.com/clari-exporter/clari_exporter/runner"
)

// TestVocabulariesMatchProducers: every label-value list is defined once by
// its producer. /metrics pre-creates a child for each value (and no other),
// and docs/metrics.md names each value in the metric's row, so a new value
// in a producer's list that is not served at 0 or not documented fails here.
func TestVocabulariesMatchProducers(t *testing.T) {
	dir := t.TempDir()
	a, err := New(Options{ConfigFile: testConfig(t, dir, "http://127.0.0.1:1/v4", "1h", "fiscal_calendar:\n  start_month: 1\n")})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	rec := httptest.NewRecorder()
	a.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	parser := expfmt.NewTextParser(model.UTF8Validation)
	mfs, err := parser.TextToMetricFamilies(rec.Body)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := os.ReadFile("../../docs/metrics.md")
	if err != nil {
		t.Fatal(err)
	}
	docRow := func(name string) string {
		for _, line := range strings.Split(string(doc), "\n") {
			if strings.HasPrefix(line, "| `"+name+"` |") {
				return line
			}
		}
		return ""
	}
	for _, v := range []struct {
		metric, label string
		values        []string
	}{
		{"clari_export_failures_total", "reason", runner.FailureReasons},
		{"clari_export_skipped_total", "reason", runner.SkipReasons},
		{"clari_export_create_refused_total", "reason", runner.CreateRefusedReasons},
		{"clari_api_retries_total", "reason", clari.RetryReasons},
		{"clari_api_retries_total", "endpoint", clari.Endpoints},
		{"clari_api_requests_total", "endpoint", clari.Endpoints},
		{"clari_api_circuit_breaker_state", "state", clari.BreakerStates},
	} {
		mf := mfs[v.metric]
		if mf == nil {
			t.Errorf("%s not served", v.metric)
			continue
		}
		var served []string
		for _, m := range mf.Metric {
			for _, l := range m.Label {
				if l.GetName() == v.label && !slices.Contains(served, l.GetValue()) {
					served = append(served, l.GetValue())
				}
			}
		}
		want := slices.Clone(v.values)
		slices.Sort(want)
		slices.Sort(served)
		if !slices.Equal(served, want) {
			t.Errorf("%s{%s}: served %v at start-up, the producer's list is %v", v.metric, v.label, served, want)
		}
		row := docRow(v.metric)
		if v.label == "endpoint" { // one list for every clari_api_* metric
			row = string(doc)
		}
		for _, val := range v.values {
			if !strings.Contains(row, "`"+val+"`") && (v.label == "endpoint" || !strings.Contains(row, val)) {
				t.Errorf("docs/metrics.md: the row of %s does not name %s %q", v.metric, v.label, val)
			}
		}
		if v.label == "reason" || v.label == "state" {
			for _, val := range v.values {
				if !strings.Contains(mf.GetHelp(), val) {
					t.Errorf("%s HELP does not name %q: %s", v.metric, val, mf.GetHelp())
				}
			}
		}
	}
	// The snapshot guards' reasons and Clari's failure outcomes are all
	// failure reasons.
	for _, o := range clari.FailureOutcomes {
		if !slices.Contains(runner.FailureReasons, string(o)) {
			t.Errorf("clari outcome %q is missing from runner.FailureReasons", o)
		}
	}
}
