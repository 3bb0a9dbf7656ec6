package collector

import (
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// ExportDurations is clari_export_duration_seconds, the histogram the
// runner observes. It is built before the runner (which feeds it) and
// handed to the export collector (which serves it).
type ExportDurations struct {
	durations    *prometheus.HistogramVec
	durationsReg *prometheus.Registry // gathers durations for the fast path

	mu        sync.Mutex
	forecasts map[string]bool // children of durations, so SetForecasts can drop old ones
}

// NewExportDurations returns the histogram; nil buckets mean
// ExportDurationBuckets.
func NewExportDurations(buckets []float64) *ExportDurations {
	if buckets == nil {
		buckets = ExportDurationBuckets
	}
	d := &ExportDurations{
		forecasts:    map[string]bool{},
		durationsReg: prometheus.NewRegistry(),
		durations: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "clari_export_duration_seconds",
			Help:    "Duration of export jobs from create to decoded results, by forecast.",
			Buckets: buckets,
		}, []string{"forecast"}),
	}
	d.durationsReg.MustRegister(d.durations)
	return d
}

// ObserveDuration records one export job's duration (create → decoded).
func (c *ExportDurations) ObserveDuration(forecast string, d time.Duration) {
	c.mu.Lock()
	// Track it even when not configured (any more), so the next
	// SetForecasts can remove its child.
	c.forecasts[forecast] = true
	c.mu.Unlock()
	c.durations.WithLabelValues(forecast).Observe(d.Seconds())
}

// SetForecasts makes the duration histogram hold exactly these forecasts:
// new ones appear with zero observations, removed ones disappear. Call it at
// start-up and after each config reload.
func (c *ExportDurations) SetForecasts(ids []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	keep := make(map[string]bool, len(ids))
	for _, id := range ids {
		keep[id] = true
		c.durations.WithLabelValues(id)
	}
	for id := range c.forecasts {
		if !keep[id] {
			c.durations.DeleteLabelValues(id)
		}
	}
	c.forecasts = keep
}
