package collector

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Leadership is what the leader elector publishes (leader.State).
type Leadership interface {
	// LeaderTransitions counts the times this replica became leader.
	LeaderTransitions() uint64
}

// StoreSync is what a follower of the shared store publishes
// (leader.FollowState).
type StoreSync interface {
	// LastSyncTime is when the shared state was last read; zero before.
	LastSyncTime() time.Time
}

// HAOptions are the sources of the high-availability metrics; a nil func
// leaves its metric out (a single replica on SQLite has neither).
type HAOptions struct {
	Leadership func() Leadership
	Sync       func() StoreSync
}

// HACollector exposes clari_exporter_leader_transitions_total and
// clari_exporter_store_last_sync_timestamp_seconds. clari_exporter_leader
// itself is the exporter collector's.
type HACollector struct {
	opts              HAOptions
	transitions, sync *prometheus.Desc
}

// NewHACollector returns the collector.
func NewHACollector(opts HAOptions) *HACollector {
	return &HACollector{
		opts: opts,
		transitions: prometheus.NewDesc("clari_exporter_leader_transitions_total",
			"Times this replica became leader (took the lease of the shared store).", nil, nil),
		sync: prometheus.NewDesc("clari_exporter_store_last_sync_timestamp_seconds",
			"When this replica last read the shared store's state, in unix seconds (absent before the first read).", nil, nil),
	}
}

// Describe implements prometheus.Collector.
func (c *HACollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.transitions
	ch <- c.sync
}

// Collect implements prometheus.Collector. The counter is present from the
// start (at 0) wherever there is an elector.
func (c *HACollector) Collect(ch chan<- prometheus.Metric) {
	if c.opts.Leadership != nil {
		sendConst(ch, c.transitions, prometheus.CounterValue, float64(c.opts.Leadership().LeaderTransitions()))
	}
	if c.opts.Sync != nil {
		if t := c.opts.Sync().LastSyncTime(); !t.IsZero() {
			sendConst(ch, c.sync, prometheus.GaugeValue, unixSeconds(t))
		}
	}
}
