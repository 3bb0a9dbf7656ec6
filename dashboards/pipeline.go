package dashboards

import (
	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
)

// Selectors shared by the dashboards; every variable is used with =~ so
// "All" (.*) and multi-value selections work.
const (
	target     = `job=~"$job",instance=~"$instance"`
	byForecast = target + `,forecast=~"$forecast"`
)

func jobVariables() []cog.Builder[dashboard.VariableModel] {
	return []cog.Builder[dashboard.VariableModel]{
		labelVariable("job", "Job", `clari_exporter_build_info`),
		labelVariable("instance", "Instance", `clari_exporter_build_info{job=~"$job"}`),
	}
}

// pipeline is the pipeline-health dashboard (checklist item 22): job
// completion rate, failures by reason, export latency per job, re-queues,
// skips, quota and the age of the last success per target.
func pipeline() (Dashboard, error) {
	vars := append(jobVariables(), labelVariable("forecast", "Forecast", `clari_export_runs_total{job=~"$job",instance=~"$instance"}`))
	b := newBoard("clari-pipeline", "Clari / Export pipeline",
		"Health of the Clari forecast export jobs run by clari_exporter: completion, failures, latency, re-queues, skips, quota and freshness.",
		vars...)

	b.row("Overview")
	b.add(4, 4, statPanel(panelSpec{
		title:       "Completion rate (time range)",
		description: "Share of export runs in the selected time range that did not fail.",
		unit:        "percentunit", min: floatPtr(0),
		thresholds: steps("red", 0.9, "orange", 0.99, "green"),
	}, rangeQuery(`1 - (sum(increase(clari_export_failures_total{`+byForecast+`}[$__range])) / sum(increase(clari_export_runs_total{`+byForecast+`}[$__range])))`, "completion")))
	b.add(4, 4, statPanel(panelSpec{
		title:       "Failures (time range)",
		description: "Failed export runs in the selected time range; any failure pages (ClariExportFailed).",
		thresholds:  steps("green", 1.0, "red"),
	}, rangeQuery(`sum(increase(clari_export_failures_total{`+byForecast+`}[$__range]))`, "failures")))
	b.add(4, 4, statPanel(panelSpec{
		title:       "Periods missing coverage",
		description: "Required periods (current + historical) without a successful export within their max age.",
		thresholds:  steps("green", 1.0, "orange"),
	}, rangeQuery(`sum(clari_export_period_coverage_missing{`+byForecast+`})`, "missing")))
	b.add(4, 4, statPanel(panelSpec{
		title:       "Monthly quota left",
		description: "Rolling 30-day export quota still available for the org (shared with the production pipeline).",
		unit:        "percentunit", min: floatPtr(0),
		thresholds: steps("red", 0.1, "orange", 0.25, "green"),
	}, rangeQuery(`min(clari_export_quota_available{`+target+`,kind="monthly"} / clari_export_quota_limit{`+target+`,kind="monthly"})`, "monthly")))
	b.add(4, 4, statPanel(panelSpec{
		title:       "Clari API",
		description: "Result of the last live probe (GET /v4/admin/limits).",
		mappings:    mapping([3]string{"0", "DOWN", "red"}, [3]string{"1", "UP", "green"}),
		thresholds:  steps("red", 1.0, "green"),
	}, rangeQuery(`min(clari_up{`+target+`})`, "clari_up")))
	b.add(4, 4, statPanel(panelSpec{
		title:       "Leader replicas",
		description: "Replicas running exports (clari_exporter_leader); exactly one is healthy.",
		thresholds:  steps("red", 1.0, "green", 2.0, "red"),
	}, rangeQuery(`sum(clari_exporter_leader{`+target+`})`, "leaders")))

	b.row("Job completion")
	b.add(12, 8, timeseriesPanel(panelSpec{
		title:       "Completion rate per forecast (1h)",
		description: "1 − failures/runs over the last hour (recording rule forecast:clari_export_completion:ratio_rate1h).",
		unit:        "percentunit", min: floatPtr(0),
		thresholds: steps("red", 0.99, "green"),
	}, rangeQuery(`forecast:clari_export_completion:ratio_rate1h{forecast=~"$forecast"}`, "{{forecast}}")))
	b.add(12, 8, timeseriesPanel(panelSpec{
		title:       "Failures by reason (1h)",
		description: "Failed export runs in the last hour by forecast and reason (recording rule forecast_reason:clari_export_failures:increase1h).",
		stacked:     true, bars: true,
	}, rangeQuery(`forecast_reason:clari_export_failures:increase1h{forecast=~"$forecast"} > 0`, "{{forecast}} {{reason}}")))
	b.add(12, 8, timeseriesPanel(panelSpec{
		title:       "Export runs (1h)",
		description: "Export runs finished in the last hour, any outcome (recording rule forecast:clari_export_runs:increase1h).",
		stacked:     true,
	}, rangeQuery(`forecast:clari_export_runs:increase1h{forecast=~"$forecast"}`, "{{forecast}}")))
	b.add(12, 8, timeseriesPanel(panelSpec{
		title:       "Re-queues and skips",
		description: "Jobs re-queued after the polling timeout, and exports skipped (quota reserve, concurrency, open circuit).",
		stacked:     true, bars: true,
	},
		rangeQuery(`sum by (forecast) (increase(clari_export_requeues_total{`+byForecast+`}[$__rate_interval])) > 0`, "requeue {{forecast}}"),
		rangeQuery(`sum by (forecast, reason) (increase(clari_export_skipped_total{`+byForecast+`}[$__rate_interval])) > 0`, "skip {{forecast}} {{reason}}"),
	))

	b.row("Latency")
	b.add(12, 8, timeseriesPanel(panelSpec{
		title:       "Export latency per forecast (p50, p95)",
		description: "Create → results decoded, from the clari_export_duration_seconds histogram.",
		unit:        "s",
	},
		rangeQuery(`histogram_quantile(0.5, sum by (forecast, le) (rate(clari_export_duration_seconds_bucket{`+byForecast+`}[$__rate_interval])))`, "p50 {{forecast}}"),
		rangeQuery(`histogram_quantile(0.95, sum by (forecast, le) (rate(clari_export_duration_seconds_bucket{`+byForecast+`}[$__rate_interval])))`, "p95 {{forecast}}"),
	))
	b.add(12, 8, timeseriesPanel(panelSpec{
		title:       "Latency of the last job per forecast and period",
		description: "clari_export_last_duration_seconds: latency of the latest export job of each target.",
		unit:        "s",
	}, rangeQuery(`clari_export_last_duration_seconds{`+byForecast+`}`, "{{forecast}} {{period}}")))

	b.row("Targets")
	b.add(12, 9, tablePanel(panelSpec{
		title:       "Age of the last success per target",
		description: "Time since the last successful export of each forecast and period. 0 timestamps (never succeeded) show as very large.",
		unit:        "s",
		thresholds:  steps("green", 43200.0, "orange", 1209600.0, "red"),
	}, "Value", instantQuery(`time() - clari_export_last_success_timestamp_seconds{`+byForecast+`}`, "")))
	b.add(12, 9, tablePanel(panelSpec{
		title:       "Last run per target",
		description: "Outcome of the last run of each forecast and period (clari_export_last_run_success).",
		mappings:    mapping([3]string{"0", "FAILED", "red"}, [3]string{"1", "OK", "green"}),
		thresholds:  steps("red", 1.0, "green"),
	}, "", instantQuery(`clari_export_last_run_success{`+byForecast+`}`, "")))
	b.add(12, 8, timeseriesPanel(panelSpec{
		title:       "Rows per export",
		description: "Distinct entries in the last successful export (clari_export_rows) and entries dropped as duplicates.",
	},
		rangeQuery(`clari_export_rows{`+byForecast+`}`, "rows {{forecast}} {{period}}"),
		rangeQuery(`clari_export_duplicate_rows{`+byForecast+`} > 0`, "duplicates {{forecast}} {{period}}"),
	))
	b.add(12, 8, timeseriesPanel(panelSpec{
		title:       "Export quota",
		description: "Available vs limit from /admin/limits, monthly (rolling 30 days) and concurrent.",
		min:         floatPtr(0),
	},
		rangeQuery(`clari_export_quota_available{`+target+`}`, "available {{kind}}"),
		rangeQuery(`clari_export_quota_limit{`+target+`}`, "limit {{kind}}"),
	))

	b.row("Exporter")
	b.add(6, 4, statPanel(panelSpec{
		title:       "Scrape",
		description: "Prometheus' up for the exporter targets.",
		mappings:    mapping([3]string{"0", "DOWN", "red"}, [3]string{"1", "UP", "green"}),
		thresholds:  steps("red", 1.0, "green"),
	}, rangeQuery(`min(up{`+target+`})`, "up")))
	b.add(6, 4, statPanel(panelSpec{
		title:       "Config reload",
		description: "Whether the last configuration reload succeeded.",
		mappings:    mapping([3]string{"0", "FAILED", "red"}, [3]string{"1", "OK", "green"}),
		thresholds:  steps("red", 1.0, "green"),
	}, rangeQuery(`min(clari_exporter_config_last_reload_successful{`+target+`})`, "reload")))
	b.add(6, 4, statPanel(panelSpec{
		title:       "Since last good reload",
		description: "Time since the configuration was last loaded successfully.",
		unit:        "s",
	}, rangeQuery(`time() - max(clari_exporter_config_last_reload_success_timestamp_seconds{`+target+`})`, "age")))
	b.add(6, 4, tablePanel(panelSpec{
		title:       "Build",
		description: "clari_exporter version per instance.",
	}, "", instantQuery(`clari_exporter_build_info{`+target+`}`, "")))
	pipelineWatchRows(b)
	highAvailabilityRows(b)
	return b.done()
}
