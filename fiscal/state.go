package fiscal

import "github.com/clari-exporter/clari_exporter/fiscal/calendar"

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

// State is the calendar in use as plain values (what /metrics, the landing
// page and the readiness audit read). It is defined in the I/O-free
// fiscal/calendar package so collector can read it without importing this
// package, which reaches the store and Clari's types.
type State = calendar.State
