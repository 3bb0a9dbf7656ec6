package collector

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// sendConst sends a const metric, or an invalid metric carrying the error
// when a label value is not valid UTF-8: the scrape then reports that one
// metric as an error (and serves the rest) instead of the exporter
// panicking on odd data from Clari.
func sendConst(ch chan<- prometheus.Metric, desc *prometheus.Desc, typ prometheus.ValueType, v float64, labelValues ...string) {
	m, err := prometheus.NewConstMetric(desc, typ, v, labelValues...)
	if err != nil {
		m = prometheus.NewInvalidMetric(desc, err)
	}
	ch <- m
}

// boolFloat is 1 for true, 0 for false.
func boolFloat(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// unixSeconds converts t to fractional unix seconds, the unit of every
// *_timestamp_seconds metric.
func unixSeconds(t time.Time) float64 {
	return float64(t.Unix()) + float64(t.Nanosecond())/1e9
}
