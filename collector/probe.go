package collector

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/clari-exporter/clari_exporter/health/probe"
)

// ProbeCollector exposes clari_up, the probe's latency and timestamp and
// the export quota from the Clari health monitor's latest GET /admin/limits
// reading. The monitor refreshes it in the background every
// clari.probe_interval: a scrape only reads the published value and never
// waits for Clari.
type ProbeCollector struct {
	latest func() probe.Reading

	up, duration, timestamp, quotaAvailable, quotaLimit *prometheus.Desc
}

// NewProbeCollector reads the reading latest returns (called on every
// scrape: it must return the published value). A nil latest exposes
// clari_up 0.
func NewProbeCollector(latest func() probe.Reading) *ProbeCollector {
	const cached = " (cached: refreshed in the background every clari.probe_interval, never on a scrape)."
	return &ProbeCollector{
		latest: latest,
		up: prometheus.NewDesc("clari_up",
			"1 if the last live probe of the Clari API (GET /admin/limits) succeeded, 0 if it failed, timed out or has not run yet"+cached,
			nil, nil),
		duration: prometheus.NewDesc("clari_api_probe_duration_seconds",
			"Latency of the last live probe of the Clari API"+cached,
			nil, nil),
		timestamp: prometheus.NewDesc("clari_exporter_probe_last_timestamp_seconds",
			"When the last live probe of the Clari API finished, in unix seconds; shows how old the cached probe values are.",
			nil, nil),
		quotaAvailable: prometheus.NewDesc("clari_export_quota_available",
			"Exports Clari still allows, by kind (monthly: rolling 30-day quota, concurrent: running jobs), from /admin/limits; absent when the last probe failed"+cached,
			[]string{"kind"}, nil),
		quotaLimit: prometheus.NewDesc("clari_export_quota_limit",
			"Clari's export limits, by kind (monthly, concurrent), from /admin/limits; absent when the last probe failed"+cached,
			[]string{"kind"}, nil),
	}
}

// Describe implements prometheus.Collector.
func (p *ProbeCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- p.up
	ch <- p.duration
	ch <- p.timestamp
	ch <- p.quotaAvailable
	ch <- p.quotaLimit
}

// Collect implements prometheus.Collector. It only reads the latest result.
func (p *ProbeCollector) Collect(ch chan<- prometheus.Metric) {
	var r probe.Reading // no source: the zero reading, clari_up 0
	if p.latest != nil {
		r = p.latest()
	}
	sendConst(ch, p.up, prometheus.GaugeValue, boolFloat(r.OK))
	if !r.Done {
		return
	}
	sendConst(ch, p.duration, prometheus.GaugeValue, r.Took.Seconds())
	sendConst(ch, p.timestamp, prometheus.GaugeValue, unixSeconds(r.Ended))
	if !r.OK {
		return
	}
	q := r.Quota
	sendConst(ch, p.quotaAvailable, prometheus.GaugeValue, float64(q.MonthlyAvailable), "monthly")
	sendConst(ch, p.quotaAvailable, prometheus.GaugeValue, float64(q.ConcurrentAvailable), "concurrent")
	sendConst(ch, p.quotaLimit, prometheus.GaugeValue, float64(q.MonthlyLimit), "monthly")
	sendConst(ch, p.quotaLimit, prometheus.GaugeValue, float64(q.ConcurrentLimit), "concurrent")
}
