package alerts

// apiRecordingRules feed the API dashboard.
func apiRecordingRules() groupSpec {
	return groupSpec{name: "clari-api.rules", rules: []Rule{
		{Record: "endpoint_code:clari_api_requests:rate5m",
			Expr: `sum by (endpoint, code) (rate(clari_api_requests_total{` + sel + `}[5m]))`},
		{Record: "endpoint:clari_api_request_duration_seconds:p95_rate5m",
			Expr: `histogram_quantile(0.95, sum by (endpoint, le) (rate(clari_api_request_duration_seconds_bucket{` + sel + `}[5m])))`},
	}}
}

// apiAlerts are about the Clari API as the exporter sees it, and its key.
func apiAlerts() groupSpec {
	return groupSpec{name: "clari-api", rules: []Rule{
		{
			Alert:       "ClariAPIUnreachable",
			Expr:        `clari_up{` + sel + `} == 0`,
			For:         "5m",
			Labels:      labels("critical"),
			Annotations: annotations("The Clari API probe fails.", "The live probe of the Clari API from {{ $labels.instance }} has failed for 5 minutes; no export can run."),
		},
		{
			// An expired or revoked key halts every export: page at once.
			// Series of status codes appear when first seen, already at 1,
			// which increase() cannot see; the second branch catches such a
			// new series (absent 5m ago while the target was scraped, so a
			// Prometheus restart does not re-page old 401s).
			Alert: "ClariAPIUnauthorized",
			Expr: `increase(clari_api_requests_total{code=~"401|403",` + sel + `}[5m]) > 0
or
(
    clari_api_requests_total{code=~"401|403",` + sel + `} > 0
  unless
    clari_api_requests_total{code=~"401|403",` + sel + `} offset 5m
)
and on (job, instance) (up{` + sel + `} offset 5m == 1)
`,
			Labels:      labels("critical"),
			Annotations: annotations("The Clari API rejects the API key.", "Requests to {{ $labels.endpoint }} from {{ $labels.instance }} were answered with HTTP {{ $labels.code }} in the last 5 minutes; the API key is invalid, expired or lacks permission."),
		},
		{
			Alert:       "ClariAPIRateLimited",
			Expr:        `sum by (job, instance, endpoint) (increase(clari_api_requests_total{code="429",` + sel + `}[10m])) > 0`,
			For:         "15m",
			Labels:      labels("warning"),
			Annotations: annotations("The Clari API keeps rate-limiting the exporter.", "Requests to {{ $labels.endpoint }} from {{ $labels.instance }} have been answered with HTTP 429 for 15 minutes."),
		},
		{
			// max_over_time: the breaker alternates open/half_open while
			// Clari is down; that must not reset `for`.
			Alert:       "ClariCircuitBreakerOpen",
			Expr:        `max_over_time(clari_api_circuit_breaker_state{state="open",` + sel + `}[5m]) == 1`,
			For:         "5m",
			Labels:      labels("warning"),
			Annotations: annotations("The circuit breaker around the Clari API is open.", "The circuit breaker on {{ $labels.instance }} has been open for more than 5 minutes; exports are skipped while it is open."),
		},
		{
			Alert:       "ClariAPILatencyHigh",
			Expr:        `histogram_quantile(0.95, sum by (job, instance, endpoint, le) (rate(clari_api_request_duration_seconds_bucket{` + sel + `}[5m]))) > %(apiLatencyP95SecondsThreshold)g`,
			For:         "15m",
			Labels:      labels("warning"),
			Annotations: annotations("Clari API requests are slow.", "The 95th percentile latency of {{ $labels.endpoint }} requests from {{ $labels.instance }} is {{ $value | humanizeDuration }}."),
		},
		{
			// The exporter publishes when rotation is due (rotation time +
			// clari.rotation_policy), so the policy is not copied here. An
			// unknown rotation time (no series, or 0) never fires.
			Alert: "ClariAPIKeyRotationOverdue",
			Expr: `time() - clari_api_key_rotation_due_timestamp_seconds{` + sel + `} > 0
and on (job, instance)
clari_api_key_rotation_timestamp_seconds{` + sel + `} != 0
`,
			For:         "1h",
			Labels:      labels("warning"),
			Annotations: annotations("The Clari API key is older than the rotation policy.", "The Clari API key used by {{ $labels.instance }} was due for rotation {{ $value | humanizeDuration }} ago (clari.rotation_policy)."),
		},
	}}
}
