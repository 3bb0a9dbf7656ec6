package collector

import (
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/clari-exporter/clari_exporter/clari"
)

// A fresh APIMetrics must already show every bounded child at 0 (and the
// breaker closed), so alerts on increase() see the first event.
func TestAPIMetricsInitialChildren(t *testing.T) {
	compareGolden(t, NewAPIMetrics(testVocabulary), "api_initial")
}

func TestAPIMetricsCountsRequestsRetriesAndBreaker(t *testing.T) {
	m := NewAPIMetrics(testVocabulary)
	var inst clari.Instrumentation = m
	inst.Request(clari.EndpointLimits, "200", 30*time.Millisecond)
	inst.Request(clari.EndpointLimits, "200", 70*time.Millisecond)
	inst.Request(clari.EndpointCreateExport, "error", 2*time.Second)
	inst.Retry(clari.EndpointGetJob, "5xx")
	inst.Retry(clari.EndpointGetJob, "5xx")
	inst.BreakerState("open")
	inst.BreakerState("sideways") // unknown: ignored, "open" stays the one at 1

	want := `
# HELP clari_api_circuit_breaker_state Circuit breaker around the Clari API: 1 for the current state (closed, half_open, open), 0 for the others.
# TYPE clari_api_circuit_breaker_state gauge
clari_api_circuit_breaker_state{state="closed"} 0
clari_api_circuit_breaker_state{state="half_open"} 0
clari_api_circuit_breaker_state{state="open"} 1
`
	if err := testutil.CollectAndCompare(m, strings.NewReader(want), "clari_api_circuit_breaker_state"); err != nil {
		t.Error(err)
	}
	if got := testutil.ToFloat64(m.requests.WithLabelValues(clari.EndpointLimits, "200")); got != 2 {
		t.Errorf("requests{limits,200} = %v, want 2", got)
	}
	if got := testutil.ToFloat64(m.requests.WithLabelValues(clari.EndpointCreateExport, "error")); got != 1 {
		t.Errorf("requests{create_export,error} = %v, want 1", got)
	}
	if got := testutil.ToFloat64(m.retries.WithLabelValues(clari.EndpointGetJob, "5xx")); got != 2 {
		t.Errorf("retries{get_job,5xx} = %v, want 2", got)
	}
	if got := testutil.ToFloat64(m.retries.WithLabelValues(clari.EndpointGetJob, "429")); got != 0 {
		t.Errorf("retries{get_job,429} = %v, want 0", got)
	}

	want = `
# HELP clari_api_request_duration_seconds Latency of HTTP requests to the Clari API, per attempt, by endpoint.
# TYPE clari_api_request_duration_seconds histogram
clari_api_request_duration_seconds_bucket{endpoint="limits",le="0.01"} 0
clari_api_request_duration_seconds_bucket{endpoint="limits",le="0.025"} 0
clari_api_request_duration_seconds_bucket{endpoint="limits",le="0.05"} 1
clari_api_request_duration_seconds_bucket{endpoint="limits",le="0.1"} 2
clari_api_request_duration_seconds_bucket{endpoint="limits",le="0.25"} 2
clari_api_request_duration_seconds_bucket{endpoint="limits",le="0.5"} 2
clari_api_request_duration_seconds_bucket{endpoint="limits",le="1"} 2
clari_api_request_duration_seconds_bucket{endpoint="limits",le="2.5"} 2
clari_api_request_duration_seconds_bucket{endpoint="limits",le="5"} 2
clari_api_request_duration_seconds_bucket{endpoint="limits",le="10"} 2
clari_api_request_duration_seconds_bucket{endpoint="limits",le="20"} 2
clari_api_request_duration_seconds_bucket{endpoint="limits",le="30"} 2
clari_api_request_duration_seconds_bucket{endpoint="limits",le="60"} 2
clari_api_request_duration_seconds_bucket{endpoint="limits",le="+Inf"} 2
clari_api_request_duration_seconds_sum{endpoint="limits"} 0.1
clari_api_request_duration_seconds_count{endpoint="limits"} 2
`
	if err := testutil.CollectAndCompare(onlyEndpoint(m, clari.EndpointLimits), strings.NewReader(want)); err != nil {
		t.Error(err)
	}
}

func TestAPIMetricsLint(t *testing.T) {
	m := NewAPIMetrics(testVocabulary)
	m.Request(clari.EndpointResults, "200", time.Second)
	m.Retry(clari.EndpointResults, "429")
	lintClean(t, m)
}
