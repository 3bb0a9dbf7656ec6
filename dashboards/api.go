package dashboards

// api shows the Clari API from the exporter's side: request rate, latency,
// 429s, retries and the circuit breaker.
func api() (Dashboard, error) {
	vars := append(jobVariables(),
		labelVariable("endpoint", "Endpoint", `clari_api_requests_total{job=~"$job",instance=~"$instance"}`),
	)
	const sel = target + `,endpoint=~"$endpoint"`
	b := newBoard("clari-api", "Clari / API",
		"Requests from clari_exporter to the Clari Revenue API: rate, latency, rate limiting, retries and the circuit breaker.",
		vars...)

	b.row("Status")
	b.add(6, 4, statPanel(panelSpec{
		title:       "Live probe",
		description: "Result of the last GET /v4/admin/limits probe.",
		mappings:    mapping([3]string{"0", "DOWN", "red"}, [3]string{"1", "UP", "green"}),
		thresholds:  steps("red", 1.0, "green"),
	}, rangeQuery(`min(clari_up{`+target+`})`, "clari_up")))
	b.add(6, 4, statPanel(panelSpec{
		title:       "Probe latency",
		description: "Latency of the last live probe.",
		unit:        "s",
		thresholds:  steps("green", 2.0, "orange", 5.0, "red"),
	}, rangeQuery(`max(clari_api_probe_duration_seconds{`+target+`})`, "probe")))
	b.add(6, 4, statPanel(panelSpec{
		title:       "Error ratio (5m)",
		description: "Share of requests not answered 2xx in the last 5 minutes.",
		unit:        "percentunit",
		thresholds:  steps("green", 0.01, "orange", 0.1, "red"),
	}, rangeQuery(`sum(rate(clari_api_requests_total{`+sel+`,code!~"2.."}[5m])) / sum(rate(clari_api_requests_total{`+sel+`}[5m]))`, "errors")))
	b.add(6, 4, statPanel(panelSpec{
		title:       "API key age",
		description: "Days since the API key was last rotated; the policy is 90 days (ClariAPIKeyRotationOverdue).",
		unit:        "d",
		thresholds:  steps("green", 80.0, "orange", 90.0, "red"),
	}, rangeQuery(`(time() - max(clari_api_key_rotation_timestamp_seconds{`+target+`} != 0)) / 86400`, "age")))

	b.row("Traffic")
	b.add(12, 8, timeseriesPanel(panelSpec{
		title:       "Request rate by endpoint and code",
		description: "Requests per second to Clari (recording rule endpoint_code:clari_api_requests:rate5m).",
		unit:        "reqps",
		stacked:     true,
	}, rangeQuery(`endpoint_code:clari_api_requests:rate5m{endpoint=~"$endpoint"}`, "{{endpoint}} {{code}}")))
	b.add(12, 8, timeseriesPanel(panelSpec{
		title:       "Latency per endpoint (p50, p95)",
		description: "From the clari_api_request_duration_seconds histogram; ClariAPILatencyHigh fires above 5 s (p95).",
		unit:        "s",
		thresholds:  steps("transparent", 5.0, "red"),
	},
		rangeQuery(`histogram_quantile(0.5, sum by (endpoint, le) (rate(clari_api_request_duration_seconds_bucket{`+sel+`}[$__rate_interval])))`, "p50 {{endpoint}}"),
		rangeQuery(`histogram_quantile(0.95, sum by (endpoint, le) (rate(clari_api_request_duration_seconds_bucket{`+sel+`}[$__rate_interval])))`, "p95 {{endpoint}}"),
	))
	b.add(12, 8, timeseriesPanel(panelSpec{
		title:       "Rate limited (HTTP 429)",
		description: "429 answers per second by endpoint; retries honour Retry-After.",
		unit:        "reqps",
	}, rangeQuery(`sum by (endpoint) (rate(clari_api_requests_total{`+sel+`,code="429"}[$__rate_interval]))`, "{{endpoint}}")))
	b.add(12, 8, timeseriesPanel(panelSpec{
		title:       "Retries by reason",
		description: "Retries of idempotent requests (429, 5xx, network, timeout). A create-export POST is never retried blindly.",
		unit:        "reqps",
		stacked:     true,
	}, rangeQuery(`sum by (endpoint, reason) (rate(clari_api_retries_total{`+sel+`}[$__rate_interval]))`, "{{endpoint}} {{reason}}")))

	b.row("Circuit breaker")
	b.add(24, 5, stateTimelinePanel(panelSpec{
		title:       "Circuit breaker state",
		description: "closed, half_open or open; exports are skipped while open.",
		mappings:    mapping([3]string{"0", "closed", "green"}, [3]string{"1", "half_open", "orange"}, [3]string{"2", "open", "red"}),
	}, rangeQuery(`max by (instance) (clari_api_circuit_breaker_state{`+target+`,state="half_open"} + on (job, instance) (2 * clari_api_circuit_breaker_state{`+target+`,state="open"}))`, "{{instance}}")))
	return b.done()
}
