package collector

import (
	"strings"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// APIVocabulary is the Clari client's lists of label values (clari.Endpoints,
// clari.RetryReasons, clari.BreakerStates): the API metrics pre-create a
// child for each value so rates and alerts see a 0 before the first request.
type APIVocabulary struct {
	Endpoints, RetryReasons, BreakerStates []string
}

// APIRequestBuckets spans Clari request latencies from 10 ms (a cached
// /admin/limits) to 60 s (a large export result download).
var APIRequestBuckets = []float64{0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60}

// APIMetrics counts what the Clari client does. It has the methods of
// clari.Instrumentation (hand it to the client) and is a
// prometheus.Collector (register it once). All methods are safe for concurrent use.
type APIMetrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	retries  *prometheus.CounterVec
	// breaker is the index in BreakerStates of the current state. The three
	// children are built from it in Collect, so a scrape never sees two
	// states at 1 in the middle of a transition.
	breaker     atomic.Int32
	breakerDesc *prometheus.Desc
	vocab       APIVocabulary
}

// NewAPIMetrics creates the API metrics with every bounded child present:
// retries for each endpoint × reason at 0, requests with code "error" at 0
// for each endpoint (the code worth alerting on; status codes appear as they
// are seen), a latency histogram per endpoint, and the breaker in the first
// of vocab.BreakerStates ("closed").
func NewAPIMetrics(vocab APIVocabulary) *APIMetrics {
	m := &APIMetrics{
		vocab: vocab,
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "clari_api_requests_total",
			Help: "HTTP requests made to the Clari API, by endpoint and status code (code=\"error\" when no response arrived).",
		}, []string{"endpoint", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "clari_api_request_duration_seconds",
			Help:    "Latency of HTTP requests to the Clari API, per attempt, by endpoint.",
			Buckets: APIRequestBuckets,
		}, []string{"endpoint"}),
		retries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "clari_api_retries_total",
			Help: "Retries of Clari API requests, by endpoint and reason (" + strings.Join(vocab.RetryReasons, ", ") + ").",
		}, []string{"endpoint", "reason"}),
		breakerDesc: prometheus.NewDesc("clari_api_circuit_breaker_state",
			"Circuit breaker around the Clari API: 1 for the current state ("+strings.Join(vocab.BreakerStates, ", ")+"), 0 for the others.",
			[]string{"state"}, nil),
	}
	for _, e := range vocab.Endpoints {
		m.requests.WithLabelValues(e, "error")
		m.duration.WithLabelValues(e)
		for _, r := range vocab.RetryReasons {
			m.retries.WithLabelValues(e, r)
		}
	}
	return m
}

// Request counts one HTTP attempt (clari.Instrumentation).
func (m *APIMetrics) Request(endpoint, code string, d time.Duration) {
	m.requests.WithLabelValues(endpoint, code).Inc()
	m.duration.WithLabelValues(endpoint).Observe(d.Seconds())
}

// Retry counts one retry (clari.Instrumentation).
func (m *APIMetrics) Retry(endpoint, reason string) {
	m.retries.WithLabelValues(endpoint, reason).Inc()
}

// BreakerState records the breaker's state (clari.Instrumentation). An unknown state is ignored
// so the label stays bounded and the gauge keeps exactly one child at 1.
func (m *APIMetrics) BreakerState(state string) {
	for i, s := range m.vocab.BreakerStates {
		if s == state {
			m.breaker.Store(int32(i))
			return
		}
	}
}

// Describe implements prometheus.Collector.
func (m *APIMetrics) Describe(ch chan<- *prometheus.Desc) {
	m.requests.Describe(ch)
	m.duration.Describe(ch)
	m.retries.Describe(ch)
	ch <- m.breakerDesc
}

// Collect implements prometheus.Collector.
func (m *APIMetrics) Collect(ch chan<- prometheus.Metric) {
	m.requests.Collect(ch)
	m.duration.Collect(ch)
	m.retries.Collect(ch)
	current := int(m.breaker.Load())
	for i, s := range m.vocab.BreakerStates {
		v := 0.0
		if i == current {
			v = 1
		}
		sendConst(ch, m.breakerDesc, prometheus.GaugeValue, v, s)
	}
}
