// Package readiness is the readiness audit's published result as plain
// values: each automated checklist item's latest outcome, as
// clari_readiness_check exposes it. It imports nothing of the project, so
// the metrics side (collector) reads it directly; package checklist, which
// runs the audit (and reaches Clari and the warehouse), publishes it.
package readiness

// Check is one automated checklist item's latest result.
type Check struct {
	ID       string // the item's id, e.g. "api_key_secret_store"
	Priority string // P1, P2 or P3
	Pass     bool
}
