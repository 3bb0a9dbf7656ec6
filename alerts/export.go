package alerts

// exportRecordingRules feed the export panels of the dashboards.
func exportRecordingRules() groupSpec {
	return groupSpec{name: "clari-export.rules", rules: []Rule{
		{Record: "forecast_reason:clari_export_failures:increase1h",
			Expr: `sum by (forecast, reason) (increase(clari_export_failures_total{` + sel + `}[1h]))`},
		{Record: "forecast:clari_export_runs:increase1h",
			Expr: `sum by (forecast) (increase(clari_export_runs_total{` + sel + `}[1h]))`},
		{Record: "forecast:clari_export_completion:ratio_rate1h",
			Expr: `1 - (
  sum by (forecast) (rate(clari_export_failures_total{` + sel + `}[1h]))
/
  sum by (forecast) (rate(clari_export_runs_total{` + sel + `}[1h]))
)
`},
	}}
}

// exportAlerts are about the exporter's own export jobs and what they return.
func exportAlerts() groupSpec {
	return groupSpec{name: "clari-export", rules: []Rule{
		{
			// Fires while the latest run of a (forecast, period) target failed
			// and resolves with its next successful run: a persistent failure
			// keeps paging, a recovered one clears at once. No `for`: a failed
			// export pages at the next evaluation. The failure reasons of the
			// last hour are queried into the description; `reason` is not a
			// label, so one target is one alert whatever its reason.
			Alert:       "ClariExportFailed",
			Expr:        `clari_export_last_run_success{` + sel + `} == 0`,
			Labels:      labels("critical"),
			Annotations: annotations("A Clari forecast export failed.", "The last export of forecast {{ $labels.forecast }} for period {{ $labels.period }} on {{ $labels.instance }} failed{{ with printf `increase(clari_export_failures_total{job=\"%s\",instance=\"%s\",forecast=\"%s\",period=\"%s\"}[1h]) > 0` $labels.job $labels.instance $labels.forecast $labels.period | query }} (reason in the last hour:{{ range sortByLabel \"reason\" . }} {{ .Labels.reason }}{{ end }}){{ end }}; it resolves when the next run of this target succeeds."),
		},
		{
			// The latest run failed and an export of the target came back
			// empty within the window (longer than the schedule interval, so a
			// target that keeps coming back empty keeps this alert, not the
			// generic one). Alertmanager inhibits ClariExportFailed for the
			// same target while this fires.
			Alert:       "ClariExportEmpty",
			Expr:        lastRunFailedWith("empty", "exportEmptyWindow"),
			Labels:      labels("critical"),
			Annotations: annotations("A Clari forecast export returned no entries.", "The last export of forecast {{ $labels.forecast }} for period {{ $labels.period }} on {{ $labels.instance }} returned no entries; nothing was loaded for it. It resolves when the next run of this target succeeds."),
		},
		{
			// Like ClariExportEmpty: Clari's job record said the DONE job's
			// document is incomplete (rowsTruncated/cellsTruncated); nothing
			// of it was used. Alertmanager inhibits ClariExportFailed for the
			// same target while this fires.
			Alert:       "ClariExportTruncated",
			Expr:        lastRunFailedWith("truncated", "exportTruncatedWindow"),
			Labels:      labels("critical"),
			Annotations: annotations("Clari truncated a forecast export.", "The last export of forecast {{ $labels.forecast }} for period {{ $labels.period }} on {{ $labels.instance }} came back DONE with a truncated document (rowsTruncated or cellsTruncated); it was not used, the previous good export stays. It resolves when the next run of this target succeeds."),
		},
		{
			// A Clari document's period dates contradict fiscal_calendar:
			// every export is held until the configuration is fixed (one
			// export was spent finding out, or none when the pipeline's
			// document showed it). No `for`: nothing exports meanwhile.
			Alert:       "ClariFiscalCalendarMismatch",
			Expr:        `clari_fiscal_calendar_mismatch{` + sel + `} == 1`,
			Labels:      labels("critical"),
			Annotations: annotations("The configured fiscal calendar contradicts Clari.", "Clari's period dates contradict fiscal_calendar on {{ $labels.instance }}: every export is held (skipped, reason calendar_mismatch) until the configuration agrees with Clari. The exporter's log line and `clari_exporter check` name the setting to use (e.g. fiscal_calendar.start_month: 2); remove the section to use the calendar learned from Clari."),
		},
		{
			// Each target's max age comes from the exporter (2 x its interval
			// unless configured), so no schedule constant is copied here.
			Alert: "ClariExportStale",
			Expr: `time() - clari_export_last_success_timestamp_seconds{` + sel + `}
> on (job, instance, forecast, period)
clari_export_max_age_seconds{` + sel + `}
`,
			For:         "15m",
			Labels:      labels("warning"),
			Annotations: annotations("A Clari export target has not succeeded within its max age.", "Forecast {{ $labels.forecast }} for period {{ $labels.period }} on {{ $labels.instance }} last exported successfully {{ $value | humanizeDuration }} ago, longer than its max age (clari_export_max_age_seconds)."),
		},
		{
			Alert: "ClariExportTimeouts",
			Expr: `sum by (job, instance, forecast, period) (increase(clari_export_requeues_total{` + sel + `}[1h])) > 0
or
sum by (job, instance, forecast, period) (increase(clari_export_failures_total{reason="timeout",` + sel + `}[1h])) > 0
`,
			Labels:      labels("warning"),
			Annotations: annotations("Clari export jobs time out while polling.", "Export jobs of forecast {{ $labels.forecast }} for period {{ $labels.period }} on {{ $labels.instance }} hit the polling timeout in the last hour and were re-queued or failed."),
		},
		{
			Alert:       "ClariExportQuotaNearlyExhausted",
			Expr:        `clari_export_quota_available{kind="monthly",` + sel + `} / clari_export_quota_limit{kind="monthly",` + sel + `} < %(quotaAvailableRatioThreshold)g`,
			For:         "15m",
			Labels:      labels("warning"),
			Annotations: annotations("Little of the Clari monthly export quota is left.", "Only {{ $value | humanizePercentage }} of the rolling 30-day export quota is left (reported by {{ $labels.instance }}); exports will be skipped once the reserve is reached."),
		},
		{
			// Clari refused a create with 400 export_monthly_quota_reached:
			// the org's quota is spent, the production pipeline is blocked as
			// well. It stays firing for the window unless the live probe
			// shows quota available again.
			Alert: "ClariExportQuotaExhausted",
			Expr: `sum by (job, instance) (increase(clari_export_skipped_total{reason="quota_exhausted",` + sel + `}[%(quotaExhaustedWindow)s])) > 0
unless on (job, instance)
clari_export_quota_available{kind="monthly",` + sel + `} > 0
`,
			Labels:      labels("critical"),
			Annotations: annotations("Clari refuses exports: the monthly export quota is exhausted.", "Clari refused export creates of {{ $labels.instance }} with export_monthly_quota_reached; the org's rolling 30-day quota is spent and the production pipeline cannot export either."),
		},
		{
			Alert:       "ClariPeriodCoverageMissing",
			Expr:        `clari_export_period_coverage_missing{` + sel + `} > 0`,
			For:         "30m",
			Labels:      labels("warning"),
			Annotations: annotations("Required fiscal periods have no recent successful export.", "Forecast {{ $labels.forecast }} on {{ $labels.instance }} has {{ $value }} required period(s) (current + historical) without a successful export within their max age."),
		},
		{
			// The gauge comes from the last successful export, so the alert
			// lasts until an export delivers the type again.
			Alert:       "ClariExportDataTypeMissing",
			Expr:        `clari_export_data_type_rows{` + sel + `} == 0`,
			Labels:      labels("warning"),
			Annotations: annotations("A requested Clari data type delivered no rows.", "The last successful export of forecast {{ $labels.forecast }} for period {{ $labels.period }} on {{ $labels.instance }} has no rows of the requested data type {{ $labels.data_type }}."),
		},
		{
			Alert:       "ClariForecastSwing",
			Expr:        `clari_forecast_swing_anomalous{` + sel + `} == 1`,
			Labels:      labels("info"),
			Annotations: annotations("A forecast value swung past the review threshold.", "Field {{ $labels.field }} of forecast {{ $labels.forecast }} for period {{ $labels.period }} changed by more than the swing threshold between the last two snapshots; review it."),
		},
	}}
}

// lastRunFailedWith selects the targets whose last run failed and that
// failed with reason within the window named by the _config key window: a
// failure reason that pages on its own instead of ClariExportFailed.
func lastRunFailedWith(reason, window string) string {
	return `clari_export_last_run_success{` + sel + `} == 0
and on (job, instance, forecast, period)
increase(clari_export_failures_total{reason="` + reason + `",` + sel + `}[%(` + window + `)s]) > 0
`
}
