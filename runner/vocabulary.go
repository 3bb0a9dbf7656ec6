package runner

import (
	"github.com/clari-exporter/clari_exporter/clari"
	"github.com/clari-exporter/clari_exporter/fiscal"
	"github.com/clari-exporter/clari_exporter/snapshot"
)

// The label-value sets of the export metrics, defined once here (the
// producer); the collector pre-creates a child for each value, and HELP
// strings, docs/metrics.md and the demo take them from these lists.

// SkipReasons lists every `reason` of clari_export_skipped_total.
var SkipReasons = []string{SkipQuotaReserve, SkipQuotaExhausted, SkipConcurrency, SkipCircuitOpen, SkipCalendarMismatch}

// CreateRefusedReasons lists every `reason` of
// clari_export_create_refused_total: why a create was not sent although
// the schedule wanted it (intent.go).
var CreateRefusedReasons = []string{RefusedNotLeader, RefusedIntentExists, RefusedSlotTaken}

// FailureReasons lists every `reason` of clari_export_failures_total: how a
// Clari job failed (clari.FailureOutcomes) and the snapshot's data-quality
// guards.
var FailureReasons = []string{
	string(clari.OutcomeFailed), string(clari.OutcomeAborted), string(clari.OutcomeCancelled),
	string(clari.OutcomeTimeout), snapshot.ReasonEmpty, snapshot.ReasonPeriodMismatch,
	string(clari.OutcomeAPIError), string(clari.OutcomeDecodeError), string(clari.OutcomeTruncated),
	fiscal.ReasonMismatch,
}
