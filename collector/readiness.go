package collector

import "github.com/prometheus/client_golang/prometheus"

// ReadinessSource gives the readiness collector the latest audit results
// (the checklist's automated items). Called on every scrape: return cached
// results, never run the audit here.
type ReadinessSource interface {
	ReadinessChecks() []ReadinessCheck
}

// ReadinessSourceFunc adapts a func to ReadinessSource.
type ReadinessSourceFunc func() []ReadinessCheck

// ReadinessChecks implements ReadinessSource.
func (f ReadinessSourceFunc) ReadinessChecks() []ReadinessCheck { return f() }

// ReadinessCheck is one automated checklist item's latest result.
type ReadinessCheck struct {
	Check    string // the item's id, e.g. "api_key_secret_store"
	Priority string // P1, P2 or P3
	Pass     bool
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
	for _, r := range c.source.ReadinessChecks() {
		sendConst(ch, c.check, prometheus.GaugeValue, boolFloat(r.Pass), r.Check, r.Priority)
	}
}
