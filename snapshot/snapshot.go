package snapshot

import (
	"slices"
	"time"
)

// Failure reasons returned by Snapshot.Check. They are values of the
// `reason` label of clari_export_failures_total.
const (
	ReasonEmpty          = "empty"
	ReasonPeriodMismatch = "period_mismatch"
)

// Total is the sum of one field and data type over all users for the latest
// week of the requested period. Only entries that carry a value count.
type Total struct {
	Field    string
	DataType string
	Value    float64
}

// Snapshot is what is kept of one export: counts and totals, never the raw
// entries (they can be large and they are revenue data).
type Snapshot struct {
	Forecast string // forecast tab id, e.g. net_arr
	Period   string // the requested period, e.g. 2026_Q4 ("" = Clari's default, the current quarter)
	JobID    string // Clari export job id
	// CreatedAt is when the snapshot was built (Builder.Finish).
	CreatedAt time.Time

	// Rows is the number of distinct entries (natural keys) after dedup.
	Rows int
	// DuplicateRows is the number of entries dropped because a later or
	// newer entry had the same natural key.
	DuplicateRows int
	// Periods are the distinct TimePeriodIDs of the entries, sorted.
	Periods []string
	// RowsByPeriod counts distinct entries per TimePeriodID.
	RowsByPeriod map[string]int
	// RowsByDataType counts distinct entries per data type, entries whose
	// value is null included, so the types sum to Rows; every requested
	// type is present (0 when the export delivered none of it).
	RowsByDataType map[string]int
	// LatestWeek is the greatest TimeFrameID ("TF:yyyy-mm-dd", which sorts
	// by date) among entries of the requested period; "" when there are none.
	LatestWeek string
	// Totals are per field and data type over LatestWeek, sorted by field,
	// then data type.
	Totals []Total
}

// Empty reports whether the export had no entries at all.
func (s Snapshot) Empty() bool { return s.Rows == 0 }

// PeriodMismatch reports whether the entries are not exactly the requested
// period: either it is missing or another period is present. This is how
// Clari's silent fallback to the current quarter (for an unrecognised period
// or parameter) shows. With no requested period (Clari's default) or no
// entries, there is nothing to compare and the result is false.
func (s Snapshot) PeriodMismatch() bool {
	if s.Period == "" || len(s.Periods) == 0 {
		return false
	}
	return len(s.Periods) != 1 || s.Periods[0] != s.Period
}

// Check applies the guards in order of severity and returns the failure
// reason (ReasonEmpty or ReasonPeriodMismatch) and false when one fails, or
// ("", true). Whether an empty export is a failure is the caller's policy
// (config metrics.empty_export_is_failure); Check always reports it.
func (s Snapshot) Check() (reason string, ok bool) {
	switch {
	case s.Empty():
		return ReasonEmpty, false
	case s.PeriodMismatch():
		return ReasonPeriodMismatch, false
	}
	return "", true
}

// MissingDataTypes returns the requested data types (present in
// RowsByDataType) that delivered no row, sorted.
func (s Snapshot) MissingDataTypes() []string {
	var out []string
	for dt, n := range s.RowsByDataType {
		if n == 0 {
			out = append(out, dt)
		}
	}
	slices.Sort(out)
	return out
}

// Total returns the total of field and data type, and whether it exists.
func (s Snapshot) Total(field, dataType string) (float64, bool) {
	for _, t := range s.Totals {
		if t.Field == field && t.DataType == dataType {
			return t.Value, true
		}
	}
	return 0, false
}

// SortTotals orders totals by field, then data type (the order Finish and
// the store produce).
func SortTotals(ts []Total) {
	slices.SortFunc(ts, func(a, b Total) int {
		if a.Field != b.Field {
			if a.Field < b.Field {
				return -1
			}
			return 1
		}
		if a.DataType < b.DataType {
			return -1
		}
		if a.DataType > b.DataType {
			return 1
		}
		return 0
	})
}
