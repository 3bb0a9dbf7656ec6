package fiscal

// Where the calendar in use comes from: the `source` label of
// clari_fiscal_calendar_info, defined once here.
const (
	SourceConfig  = "config"  // the fiscal_calendar section
	SourceClari   = "clari"   // learned from a Clari document's period dates
	SourceUnknown = "unknown" // neither yet: only the learning export runs
)

// ReasonMismatch is the `reason` of a failed or skipped export, and of a
// pipeline check failure, whose document contradicted the configured
// calendar (clari_export_failures_total, clari_export_skipped_total,
// clari_pipeline_export_check_failures_total).
const ReasonMismatch = "calendar_mismatch"

// Sources lists every `source` value.
var Sources = []string{SourceConfig, SourceClari, SourceUnknown}

// State is the calendar in use as plain values: what /metrics, the landing
// page and the readiness audit read.
type State struct {
	Source string // one of Sources
	// StartMonth and YearLabel are the calendar in use; 0 and "" when
	// Source is SourceUnknown.
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

// FiscalCalendar is the state as the collector reads it
// (collector.CalendarState).
func (s State) FiscalCalendar() (source string, startMonth int, yearLabel string, mismatch bool) {
	return s.Source, s.StartMonth, s.YearLabel, s.Mismatch
}
