// Package leadership is the HA replica's published state as plain values:
// the elector's (State) and the follower's (Sync). It imports nothing of the
// project, so the metrics side (collector) reads these values directly;
// package leader, which holds the lease, publishes them.
package leadership

import "time"

// State is the elector's published, immutable state.
type State struct {
	Holder string
	Leader bool
	// Term is the term being led, or the last one led; 0 before the first.
	Term int64
	// Transitions counts the times this replica became leader
	// (clari_exporter_leader_transitions_total).
	Transitions uint64
	// Since is when Leader last changed.
	Since time.Time
}

// Sync is the follower's published state.
type Sync struct {
	// Synced is false until the first successful Refresh: a follower is
	// ready once it serves the shared state.
	Synced bool
	// LastSync is when the shared state was last read successfully
	// (clari_exporter_store_last_sync_timestamp_seconds); zero before.
	LastSync time.Time
	// Generation is the store generation LastSync read.
	Generation uint64
}
