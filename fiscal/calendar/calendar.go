// Package calendar is the fiscal calendar in use as a plain published
// value. It does no I/O and imports nothing of the project, so the metrics
// side (collector) reads it directly; package fiscal, which learns the
// calendar from Clari and keeps it in the store, publishes it.
package calendar

// State is the calendar in use as plain values: what /metrics, the landing
// page and the readiness audit read.
type State struct {
	Source string // one of fiscal.Sources
	// StartMonth and YearLabel are the calendar in use; 0 and "" when
	// Source is fiscal.SourceUnknown.
	StartMonth int
	YearLabel  string
	// Verified: the configured calendar agrees with the newest period a
	// Clari document stated (always true of a learned one).
	Verified bool
	// Mismatch: a Clari document contradicts the configured calendar;
	// exports are held. Problem says what disagrees and Fix what to set.
	Mismatch bool
	Problem  string
	Fix      string
}
