// Package snapshot turns one decoded forecast export into a Snapshot: the
// entries are deduplicated by their natural key (latest updatedOn wins), then
// reduced to row counts and per-field totals of the latest week. It also
// guards against empty exports and Clari's silent fallback to the current
// quarter, and compares consecutive snapshots for swings.
//
// The package is pure computation: no I/O, no clocks except where a caller
// does not supply a time, no Prometheus types.
package snapshot
