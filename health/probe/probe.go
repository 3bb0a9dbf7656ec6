// Package probe is the Clari health monitor's published state: the latest
// GET /admin/limits reading as a plain value. It does no I/O and imports
// nothing of the project, so the metrics side (collector) reads it directly
// instead of declaring an interface that mirrors the monitor.
package probe

import "time"

// Reading is one finished GET /admin/limits as the metrics side sees it. The
// zero Reading is "no reading yet".
type Reading struct {
	// Done is false until the first reading finished.
	Done bool
	// OK is true when the reading finished and Clari answered.
	OK bool
	// Ended is when the reading finished; Took how long it took.
	Ended time.Time
	Took  time.Duration
	// Quota is Clari's export limits from a successful reading (zero when
	// the reading failed).
	Quota Quota
}

// Quota is Clari's export limits: the rolling 30-day (monthly) quota and the
// concurrent-jobs limit, each with what is still available.
type Quota struct {
	MonthlyAvailable, MonthlyLimit       int
	ConcurrentAvailable, ConcurrentLimit int
}
