package collector

import (
	"strings"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/clari-exporter/clari_exporter/leader/leadership"
)

// HAOptions are the sources of the high-availability metrics; a nil func
// leaves its metric out (a single replica on SQLite has neither Leadership
// nor Sync).
type HAOptions struct {
	// Leadership is the elector's published state; Sync the follower's.
	Leadership func() leadership.State
	Sync       func() leadership.Sync
	// CreateRefused counts this replica's creates refused before the POST,
	// by reason (runner.Runner.CreateRefused); every reason of
	// CreateRefusedReasons (the producer's list) is served, from 0.
	CreateRefused        func() map[string]uint64
	CreateRefusedReasons []string
}

// HACollector exposes clari_exporter_leader_transitions_total,
// clari_exporter_store_last_sync_timestamp_seconds and
// clari_export_create_refused_total. clari_exporter_leader itself is the
// exporter collector's.
type HACollector struct {
	opts                       HAOptions
	transitions, sync, refused *prometheus.Desc
}

// NewHACollector returns the collector.
func NewHACollector(opts HAOptions) *HACollector {
	return &HACollector{
		opts: opts,
		transitions: prometheus.NewDesc("clari_exporter_leader_transitions_total",
			"Times this replica became leader (took the lease of the shared store).", nil, nil),
		sync: prometheus.NewDesc("clari_exporter_store_last_sync_timestamp_seconds",
			"When this replica last read the shared store's state, in unix seconds (absent before the first read).", nil, nil),
		refused: prometheus.NewDesc("clari_export_create_refused_total",
			"Creates this replica refused to send although the schedule wanted them, by reason ("+strings.Join(opts.CreateRefusedReasons, ", ")+
				"): it no longer led the term of its intent, or another process (a second leader) holds or exported the slot. Nothing was spent.",
			[]string{"reason"}, nil),
	}
}

// Describe implements prometheus.Collector.
func (c *HACollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.transitions
	ch <- c.sync
	ch <- c.refused
}

// Collect implements prometheus.Collector. The counter is present from the
// start (at 0) wherever there is an elector.
func (c *HACollector) Collect(ch chan<- prometheus.Metric) {
	if c.opts.Leadership != nil {
		sendConst(ch, c.transitions, prometheus.CounterValue, float64(c.opts.Leadership().Transitions))
	}
	if c.opts.Sync != nil {
		if t := c.opts.Sync().LastSync; !t.IsZero() {
			sendConst(ch, c.sync, prometheus.GaugeValue, unixSeconds(t))
		}
	}
	if c.opts.CreateRefused != nil {
		n := c.opts.CreateRefused()
		for _, reason := range c.opts.CreateRefusedReasons {
			sendConst(ch, c.refused, prometheus.CounterValue, float64(n[reason]), reason)
		}
	}
}
