package dashboards

// pipelineWatchRows shows the production pipeline's own export jobs as the
// exporter's watch mode reads them from Clari's job records (zero quota),
// and where the org's rolling export quota is heading. The pipeline's
// forecasts need not be the exporter's, so these panels do not filter on
// $forecast.
func pipelineWatchRows(b *board) {
	b.row("Pipeline watch")
	b.add(6, 4, statPanel(panelSpec{
		title:       "Pipeline completion (time range)",
		description: "Share of the pipeline's jobs that reached a terminal status in the selected time range and ended DONE.",
		unit:        "percentunit",
		thresholds:  steps("red", 0.9, "orange", 0.99, "green"),
	}, rangeQuery(`sum(increase(clari_pipeline_jobs_total{`+target+`,status="done"}[$__range])) / sum(increase(clari_pipeline_jobs_total{`+target+`}[$__range]))`, "completion")))
	b.add(6, 4, statPanel(panelSpec{
		title:       "Stuck pipeline jobs",
		description: "Non-terminal pipeline jobs older than watch.stuck_after.",
		thresholds:  steps("green", 1.0, "red"),
	}, rangeQuery(`sum(clari_pipeline_jobs_stuck{`+target+`})`, "stuck")))
	b.add(6, 4, statPanel(panelSpec{
		title:       "Undownloaded pipeline jobs",
		description: "DONE pipeline jobs older than watch.download_grace that nobody downloaded: quota spent for nothing.",
		thresholds:  steps("green", 1.0, "orange"),
	}, rangeQuery(`sum(clari_pipeline_jobs_undownloaded{`+target+`})`, "undownloaded")))
	b.add(6, 4, statPanel(panelSpec{
		title:       "Quota exhausted in",
		description: "Time until the available export quota reaches schedule.quota_reserve at the last 7 days' rate (roll-off of old ids included). No data: not within 30 days.",
		unit:        "s",
		thresholds:  steps("red", 259200.0, "orange", 604800.0, "green"),
	}, rangeQuery(`min(clari_export_quota_exhaustion_projected_timestamp_seconds{`+target+`}) - time()`, "exhausted in")))

	b.add(12, 8, timeseriesPanel(panelSpec{
		title:       "Pipeline completion rate per forecast (1h)",
		description: "DONE / terminal pipeline jobs over the last hour, per forecast.",
		unit:        "percentunit", min: floatPtr(0),
		thresholds: steps("red", 0.99, "green"),
	}, rangeQuery(`sum by (forecast) (increase(clari_pipeline_jobs_total{`+target+`,status="done"}[1h])) / sum by (forecast) (increase(clari_pipeline_jobs_total{`+target+`}[1h]))`, "{{forecast}}")))
	b.add(12, 8, timeseriesPanel(panelSpec{
		title:       "Pipeline job duration (p50, p95)",
		description: "startTime → endTime of finished pipeline jobs, from the clari_pipeline_job_duration_seconds histogram.",
		unit:        "s",
	},
		rangeQuery(`histogram_quantile(0.5, sum by (forecast, le) (rate(clari_pipeline_job_duration_seconds_bucket{`+target+`}[$__rate_interval])))`, "p50 {{forecast}}"),
		rangeQuery(`histogram_quantile(0.95, sum by (forecast, le) (rate(clari_pipeline_job_duration_seconds_bucket{`+target+`}[$__rate_interval])))`, "p95 {{forecast}}"),
	))
	b.add(12, 8, timeseriesPanel(panelSpec{
		title:       "Running, stuck and undownloaded pipeline jobs",
		description: "Non-terminal jobs, those older than watch.stuck_after, and DONE jobs nobody downloaded within watch.download_grace.",
	},
		rangeQuery(`sum by (forecast) (clari_pipeline_jobs_running{`+target+`})`, "running {{forecast}}"),
		rangeQuery(`sum by (forecast) (clari_pipeline_jobs_stuck{`+target+`}) > 0`, "stuck {{forecast}}"),
		rangeQuery(`sum by (forecast) (clari_pipeline_jobs_undownloaded{`+target+`}) > 0`, "undownloaded {{forecast}}"),
	))
	b.add(12, 8, timeseriesPanel(panelSpec{
		title:       "Quota burn",
		description: "Exports counted against the org's rolling 30-day quota, those created by others than this exporter, and the monthly limit.",
		min:         floatPtr(0),
	},
		rangeQuery(`max(clari_org_exports_submitted{`+target+`})`, "submitted (30d)"),
		rangeQuery(`max(clari_org_exports_by_others{`+target+`})`, "by others (30d)"),
		rangeQuery(`max(clari_export_quota_limit{`+target+`,kind="monthly"})`, "monthly limit"),
	))
}

// highAvailabilityRows shows the leader election: which replica leads,
// how often leadership moved, and how fresh each follower's shared state is.
func highAvailabilityRows(b *board) {
	b.row("High availability")
	b.add(8, 8, stateTimelinePanel(panelSpec{
		title:       "Leader per replica",
		description: "clari_exporter_leader per instance: exactly one replica leads (ClariExporterNoLeader, ClariExporterSplitBrain).",
		mappings:    mapping([3]string{"0", "follower", "blue"}, [3]string{"1", "leader", "green"}),
	}, rangeQuery(`max by (instance) (clari_exporter_leader{`+target+`})`, "{{instance}}")))
	b.add(8, 8, timeseriesPanel(panelSpec{
		title:       "Leader transitions",
		description: "Times each replica became leader; frequent moves point at lease renewals failing.",
		stacked:     true, bars: true,
	}, rangeQuery(`sum by (instance) (increase(clari_exporter_leader_transitions_total{`+target+`}[$__rate_interval])) > 0`, "{{instance}}")))
	b.add(8, 8, timeseriesPanel(panelSpec{
		title:       "Since last store sync",
		description: "Time since each follower last read the shared state from the store (followers poll every second).",
		unit:        "s",
		thresholds:  steps("transparent", 10.0, "red"),
	}, rangeQuery(`time() - max by (instance) (clari_exporter_store_last_sync_timestamp_seconds{`+target+`})`, "{{instance}}")))
}
