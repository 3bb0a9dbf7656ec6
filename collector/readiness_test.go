package collector

import (
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

func readinessChecks() []testReadinessCheck {
	return []testReadinessCheck{
		{Check: "api_key_secret_store", Priority: "P1", Pass: false},
		{Check: "production_base_url", Priority: "P2", Pass: true},
		{Check: "anomaly_detection", Priority: "P3", Pass: true},
	}
}

func TestReadinessCollectorGolden(t *testing.T) {
	c := NewReadinessCollector(testReadiness(readinessChecks))
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
	lintClean(t, NewReadinessCollector(testReadiness(readinessChecks)))
}
