package collector

import (
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/clari-exporter/clari_exporter/checklist/readiness"
)

// readinessChecks are the readiness audit's published results.
func readinessChecks() []readiness.Check {
	return []readiness.Check{
		{ID: "api_key_secret_store", Priority: "P1", Pass: false},
		{ID: "production_base_url", Priority: "P2", Pass: true},
		{ID: "anomaly_detection", Priority: "P3", Pass: true},
	}
}

func TestReadinessCollectorGolden(t *testing.T) {
	c := NewReadinessCollector(readinessChecks)
	want := `
# HELP clari_readiness_check 1 if the automated production-readiness check passes, 0 if it fails, by check and priority (cached: result of the last audit run).
# TYPE clari_readiness_check gauge
clari_readiness_check{check="anomaly_detection",priority="P3"} 1
clari_readiness_check{check="api_key_secret_store",priority="P1"} 0
clari_readiness_check{check="production_base_url",priority="P2"} 1
`
	if err := testutil.CollectAndCompare(c, strings.NewReader(want)); err != nil {
		t.Error(err)
	}
	if n := testutil.CollectAndCount(NewReadinessCollector(nil)); n != 0 {
		t.Errorf("nil source: %d series, want 0", n)
	}
}

func TestReadinessCollectorLint(t *testing.T) {
	lintClean(t, NewReadinessCollector(readinessChecks))
}
