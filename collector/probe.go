package collector

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// ProbeState is what the probe collector reads of the Clari health
// monitor's latest GET /admin/limits reading (health.Reading). The reading
// is refreshed in the background every clari.probe_interval: a scrape only
// reads it and never waits for Clari.
type ProbeState interface {
	// ProbeResult: done is false until the first reading finished; ok
	// whether it succeeded; when it ended and how long it took.
	ProbeResult() (done, ok bool, ended time.Time, took time.Duration)
	// Quota is Clari's export limits from a successful reading.
	Quota() (monthlyAvailable, monthlyLimit, concurrentAvailable, concurrentLimit int)
}

// ProbeCollector exposes clari_up, the probe's latency and timestamp and
// the export quota from the latest reading.
type ProbeCollector struct {
	latest func() ProbeState

	up, duration, timestamp, quotaAvailable, quotaLimit *prometheus.Desc
}

// NewProbeCollector reads the reading latest returns (called on every
// scrape: it must return the published value). A nil latest exposes
// clari_up 0.
func NewProbeCollector(latest func() ProbeState) *ProbeCollector {
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
	var st ProbeState
	if p.latest != nil {
		st = p.latest()
	}
	if st == nil {
		sendConst(ch, p.up, prometheus.GaugeValue, 0)
		return
	}
	done, ok, ended, took := st.ProbeResult()
	sendConst(ch, p.up, prometheus.GaugeValue, boolFloat(ok))
	if !done {
		return
	}
	sendConst(ch, p.duration, prometheus.GaugeValue, took.Seconds())
	sendConst(ch, p.timestamp, prometheus.GaugeValue, unixSeconds(ended))
	if !ok {
		return
	}
	monthlyAvail, monthlyLimit, concAvail, concLimit := st.Quota()
	sendConst(ch, p.quotaAvailable, prometheus.GaugeValue, float64(monthlyAvail), "monthly")
	sendConst(ch, p.quotaAvailable, prometheus.GaugeValue, float64(concAvail), "concurrent")
	sendConst(ch, p.quotaLimit, prometheus.GaugeValue, float64(monthlyLimit), "monthly")
	sendConst(ch, p.quotaLimit, prometheus.GaugeValue, float64(concLimit), "concurrent")
}
