// Package checkstate is the warehouse side's published state: the outcome
// of the latest scheduled warehouse checks, the retention counts and the
// sink's loads, as plain values. It does no I/O and imports nothing of the
// project, so the metrics side (collector) and the landing page read it
// directly instead of through interfaces that mirror the warehouse.
package checkstate

import "time"

// State is one published reading of the warehouse side. A published State
// is never changed: a new reading is a new value.
type State struct {
	// Table is the configured table, known before any check ran.
	Table string
	// MaxLoadAge is warehouse.max_load_age (0: no bound configured).
	MaxLoadAge time.Duration
	// SinkLoads are the sink's loads since start-up, one per forecast, in
	// forecast order; they do not wait for a check.
	SinkLoads []SinkLoad

	// RanAt is when the checks last ran; zero if never (then nothing below
	// is meaningful).
	RanAt time.Time
	// Checks are every check in run order with whether it last produced a
	// value, so a check that could not run shows instead of stale numbers.
	Checks []Check
	// Reconciliations compare the last Clari export with the table, per
	// (forecast, period).
	Reconciliations []Reconciliation
	// Measured is false when the connect check failed: the table's numbers
	// below were not measured (left out rather than shown as zeros).
	Measured bool
	// DuplicateKeys are natural keys held by more than one row;
	// SurplusRows the rows beyond one per key.
	DuplicateKeys, SurplusRows int
	// PeriodsBeyondRetention are fiscal periods older than the retention
	// window still present; RetentionRowsBeyond the rows in them (what
	// enforcement deletes, or would in a dry run); RetentionRowsDeleted the
	// rows enforcement deleted since start-up.
	PeriodsBeyondRetention                    int
	RetentionRowsBeyond, RetentionRowsDeleted int64
	// LastLoad is the table's newest load time; zero when unknown or the
	// table is empty.
	LastLoad time.Time
	// Reconciled is true when the reconciliation check produced a value;
	// only then is MissingPeriods known.
	Reconciled bool
	// MissingPeriods counts periods inside the retention window with a
	// successful export but no rows of a forecast in the table.
	MissingPeriods int
}

// Reconciliation is one (forecast, period) compared between the last Clari
// export and the warehouse.
type Reconciliation struct {
	Forecast      string
	Period        string
	Expected      int
	Actual        int     // rows in the table for (forecast, period)
	MismatchRatio float64 // abs(Actual − Expected) / max(Expected, 1)
}

// Check is one warehouse check and whether it last ran successfully.
type Check struct {
	Name    string
	Success bool
}

// SinkLoad is the sink's loads of one forecast since start-up.
type SinkLoad struct {
	Forecast string
	// Failures are loads that failed (staging or a batch's merge).
	Failures uint64
	// LastSucceeded: the newest load that ended was kept whole.
	LastSucceeded bool
	// CurrencyConflicts are rows not written because the table holds
	// their key in another currency.
	CurrencyConflicts uint64
}
