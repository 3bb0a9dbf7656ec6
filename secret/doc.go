// Package secret is the one home of secret handling: typed values that
// print as Redacted, and the one Scrubber that removes secret strings from
// text a driver or a server produced. No other package spells the
// redaction or replaces secrets itself (internal/archtest enforces it), so
// a new secret, or a new escaped form of one, is hidden everywhere at once.
package secret

// Redacted is what a secret looks like wherever it would have been shown:
// logs, errors, config dumps, the audit report, request dumps.
const Redacted = "<secret>"
