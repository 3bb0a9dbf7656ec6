package clari

// The label-value sets this package produces, each defined once here. The
// collector pre-creates a child for every value at start-up (so rates and
// alerts see 0 before the first event), and its HELP strings, docs/metrics.md
// and the demo take the values from these lists; a test fails when they
// drift apart.

// Endpoints lists every `endpoint` label value of the clari_api_* metrics.
var Endpoints = []string{
	EndpointCreateExport,
	EndpointGetJob,
	EndpointListJobs,
	EndpointCancelJob,
	EndpointResults,
	EndpointLimits,
	EndpointAuditEvents,
}

// Retry reasons: the `reason` label of clari_api_retries_total.
const (
	RetryTooManyRequests = "429"
	RetryServerError     = "5xx"
	RetryNetwork         = "network"
	RetryTimeout         = "timeout"
)

// RetryReasons lists every retry reason.
var RetryReasons = []string{RetryTooManyRequests, RetryServerError, RetryNetwork, RetryTimeout}

// BreakerStates lists every `state` label value of
// clari_api_circuit_breaker_state.
var BreakerStates = []string{BreakerClosed, BreakerHalfOpen, BreakerOpen}

// FailureOutcomes lists the outcomes of a job that ran and failed: the
// `reason` values of clari_export_failures_total that come from Clari (the
// snapshot guards add theirs).
var FailureOutcomes = []Outcome{OutcomeFailed, OutcomeAborted, OutcomeCancelled, OutcomeTimeout, OutcomeAPIError, OutcomeDecodeError, OutcomeTruncated}
