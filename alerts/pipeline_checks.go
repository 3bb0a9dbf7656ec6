package alerts

// pipelineCheck is the alert of one reason of
// clari_pipeline_export_check_failures_total (watch.CheckReasons; a test
// fails when a reason has none). A failed check is an event, so each
// alert holds for its window after the inspection.
type pipelineCheck struct {
	reason, alert, severity string
	// window is the _config key of how long the alert fires.
	window string
	// summary is the static summary; found says what the inspection found
	// and consequence what it means, completing the description.
	summary, found, consequence string
}

var pipelineChecks = []pipelineCheck{
	{reason: "empty", alert: "ClariPipelineExportEmpty", severity: "critical", window: "pipelineEmptyWindow",
		summary: "A Clari export of the production pipeline returned no entries.",
		found:   "had no entries", consequence: "the pipeline loaded nothing for it"},
	{reason: "truncated", alert: "ClariPipelineExportTruncated", severity: "critical", window: "pipelineCheckFailureWindow",
		summary: "Clari truncated an export of the production pipeline.",
		found:   "came back DONE with a truncated document (rowsTruncated or cellsTruncated)", consequence: "the pipeline loaded an incomplete export"},
	{reason: "period_mismatch", alert: "ClariPipelineExportPeriodMismatch", severity: "critical", window: "pipelineCheckFailureWindow",
		summary: "An export of the production pipeline holds another quarter than it asked for.",
		found:   "held entries of another period than the one its file name asked for", consequence: "the pipeline loaded the wrong quarter (Clari falls back to the current quarter silently)"},
	{reason: "decode_error", alert: "ClariPipelineExportUndecodable", severity: "critical", window: "pipelineCheckFailureWindow",
		summary: "An export of the production pipeline is not a readable document.",
		found:   "arrived whole but could not be decoded", consequence: "the pipeline's loader may have failed on it or loaded part of it"},
	{reason: "download_error", alert: "ClariPipelineExportDownloadFailed", severity: "warning", window: "pipelineCheckFailureWindow",
		summary: "An export of the production pipeline could not be downloaded for inspection.",
		found:   "could not be downloaded whole (expired results, an error answer or a cut connection)", consequence: "its figures are unknown"},
	{reason: "calendar_mismatch", alert: "ClariPipelineExportCalendarMismatch", severity: "warning", window: "pipelineCheckFailureWindow",
		summary: "An export of the production pipeline disagrees with the configured fiscal calendar.",
		found:   "has period dates that disagree with the configured fiscal_calendar", consequence: "ClariFiscalCalendarMismatch pages for the calendar itself"},
}

// pipelineCheckAlerts are the alerts of pipelineChecks, in their order.
func pipelineCheckAlerts() []Rule {
	rules := make([]Rule, 0, len(pipelineChecks))
	for _, c := range pipelineChecks {
		rules = append(rules, Rule{
			Alert:  c.alert,
			Expr:   `sum by (job, instance, forecast, period) (increase(clari_pipeline_export_check_failures_total{reason="` + c.reason + `",` + sel + `}[%(` + c.window + `)s])) > 0`,
			Labels: labels(c.severity),
			Annotations: annotations(c.summary, "A DONE pipeline export of forecast {{ $labels.forecast }} for period {{ $labels.period }}, inspected by {{ $labels.instance }}, "+
				c.found+" within the last %("+c.window+")s; "+c.consequence+"."),
		})
	}
	return rules
}
