package collector

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/clari-exporter/clari_exporter/checklist/readiness"
)

// ReadinessCollector exposes clari_readiness_check from the readiness
// audit's latest results.
type ReadinessCollector struct {
	latest func() []readiness.Check
	check  *prometheus.Desc
}

// NewReadinessCollector returns the collector; latest is called on every
// scrape and must return the cached results of the last run, never run the
// audit. A nil latest exposes nothing.
func NewReadinessCollector(latest func() []readiness.Check) *ReadinessCollector {
	return &ReadinessCollector{
		latest: latest,
		check: prometheus.NewDesc("clari_readiness_check",
			"1 if the automated production-readiness check passes, 0 if it fails, by check and priority (cached: result of the last audit run).",
			[]string{"check", "priority"}, nil),
	}
}

// Describe implements prometheus.Collector.
func (c *ReadinessCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.check }

// Collect implements prometheus.Collector.
func (c *ReadinessCollector) Collect(ch chan<- prometheus.Metric) {
	if c.latest == nil {
		return
	}
	for _, r := range c.latest() {
		sendConst(ch, c.check, prometheus.GaugeValue, boolFloat(r.Pass), r.ID, r.Priority)
	}
}
