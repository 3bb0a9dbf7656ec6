package collector

import "github.com/prometheus/client_golang/prometheus"

// ReadinessSource gives the readiness collector the latest audit results
// (the checklist's automated items). Called on every scrape: it must visit
// the cached results of the last run, never run the audit.
type ReadinessSource interface {
	// EachReadinessCheck visits every check that produced a result:
	// its id (e.g. "api_key_secret_store"), priority (P1, P2 or P3) and
	// whether it passes.
	EachReadinessCheck(fn func(check, priority string, pass bool))
}

// ReadinessCollector exposes clari_readiness_check.
type ReadinessCollector struct {
	source ReadinessSource
	check  *prometheus.Desc
}

// NewReadinessCollector returns the collector; a nil source exposes nothing.
func NewReadinessCollector(source ReadinessSource) *ReadinessCollector {
	return &ReadinessCollector{
		source: source,
		check: prometheus.NewDesc("clari_readiness_check",
			"1 if the automated production-readiness check passes, 0 if it fails, by check and priority (cached: result of the last audit run).",
			[]string{"check", "priority"}, nil),
	}
}

// Describe implements prometheus.Collector.
func (c *ReadinessCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.check }

// Collect implements prometheus.Collector.
func (c *ReadinessCollector) Collect(ch chan<- prometheus.Metric) {
	if c.source == nil {
		return
	}
	c.source.EachReadinessCheck(func(check, priority string, pass bool) {
		sendConst(ch, c.check, prometheus.GaugeValue, boolFloat(pass), check, priority)
	})
}
