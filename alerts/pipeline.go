package alerts

// pipelineAlerts are about the production pipeline the exporter watches
// (watch mode: Clari's job records and /admin/limits, no quota spent).
func pipelineAlerts() groupSpec {
	return groupSpec{name: "clari-pipeline", rules: append(pipelineCheckAlerts(), []Rule{
		{
			// Like ClariExportFailed: fires while the newest terminal job of
			// the target is not DONE and resolves with the next DONE one.
			Alert:       "ClariPipelineExportFailed",
			Expr:        `clari_pipeline_last_job_success{` + sel + `} == 0`,
			Labels:      labels("critical"),
			Annotations: annotations("A Clari export of the production pipeline failed.", "The newest pipeline export job of forecast {{ $labels.forecast }} for period {{ $labels.period }} seen by {{ $labels.instance }} ended FAILED, ABORTED or CANCELLED; it resolves when the next pipeline job of this target is DONE."),
		},
		{
			Alert:       "ClariPipelineJobStuck",
			Expr:        `clari_pipeline_jobs_stuck{` + sel + `} > 0`,
			Labels:      labels("warning"),
			Annotations: annotations("A Clari export job of the production pipeline is stuck.", "{{ $value }} pipeline export job(s) of forecast {{ $labels.forecast }} seen by {{ $labels.instance }} have not finished within watch.stuck_after."),
		},
		{
			// Per forecast: the newest DONE job of any period counts (the
			// pipeline moves on to the next quarter). The max age is the
			// exporter's smallest one for the forecast when it exports the
			// forecast itself, else the configured threshold.
			Alert: "ClariPipelineStale",
			Expr: `(
  time() - max by (job, instance, forecast) (clari_pipeline_last_success_timestamp_seconds{` + sel + `})
  > on (job, instance, forecast)
  min by (job, instance, forecast) (clari_export_max_age_seconds{` + sel + `})
)
or
(
  time() - max by (job, instance, forecast) (clari_pipeline_last_success_timestamp_seconds{` + sel + `})
  unless on (job, instance, forecast)
  clari_export_max_age_seconds{` + sel + `}
) > %(pipelineStaleSecondsThreshold)g
`,
			For:         "15m",
			Labels:      labels("warning"),
			Annotations: annotations("The production pipeline has not exported a watched forecast within its max age.", "The newest DONE pipeline export of forecast {{ $labels.forecast }} seen by {{ $labels.instance }} finished {{ $value | humanizeDuration }} ago, longer than its max age."),
		},
		{
			Alert:       "ClariPipelineExportUndownloaded",
			Expr:        `clari_pipeline_jobs_undownloaded{` + sel + `} > 0`,
			Labels:      labels("warning"),
			Annotations: annotations("A DONE export of the production pipeline was never downloaded.", "{{ $value }} DONE pipeline export job(s) of forecast {{ $labels.forecast }} seen by {{ $labels.instance }} were not downloaded within watch.download_grace; their quota was spent for nothing."),
		},
		{
			// The projection is absent when not within 30 days.
			Alert:       "ClariQuotaExhaustionProjected",
			Expr:        `clari_export_quota_exhaustion_projected_timestamp_seconds{` + sel + `} - time() < %(quotaExhaustionProjectedSecondsThreshold)g`,
			For:         "30m",
			Labels:      labels("warning"),
			Annotations: annotations("The Clari export quota is projected to reach the reserve soon.", "At the last 7 days' rate the org's export quota reaches the reserve in {{ $value | humanizeDuration }} (projected by {{ $labels.instance }})."),
		},
		{
			Alert:       "ClariPipelineForecastSwing",
			Expr:        `clari_pipeline_forecast_swing_anomalous{` + sel + `} == 1`,
			Labels:      labels("info"),
			Annotations: annotations("A forecast value of the production pipeline swung past the review threshold.", "Field {{ $labels.field }} of forecast {{ $labels.forecast }} for period {{ $labels.period }} changed by more than the swing threshold between the last two pipeline exports seen by {{ $labels.instance }}; review it."),
		},
	}...)}
}
