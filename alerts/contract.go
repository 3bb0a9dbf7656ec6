package alerts

// contract is the metric contract of METRICS.md (the names the exporter
// promises to alerts/, dashboards/ and the readiness audit). The lint
// rejects a rule that reads any other clari_* name, so a typo in a rule
// fails here, even for metrics whose producer has not landed yet.
var contract = map[string]bool{
	// Exporter and API
	"clari_up": true, "clari_api_probe_duration_seconds": true, "clari_api_requests_total": true,
	"clari_api_request_duration_seconds": true, "clari_api_retries_total": true,
	"clari_api_circuit_breaker_state": true, "clari_export_quota_available": true,
	"clari_export_quota_limit": true, "clari_api_key_rotation_timestamp_seconds": true,
	"clari_api_key_rotation_due_timestamp_seconds": true,
	"clari_exporter_build_info":                    true, "clari_exporter_config_last_reload_successful": true,
	"clari_exporter_config_last_reload_success_timestamp_seconds": true, "clari_exporter_leader": true,
	// Export jobs
	"clari_export_runs_total": true, "clari_export_failures_total": true, "clari_export_requeues_total": true,
	"clari_export_skipped_total": true, "clari_export_last_run_timestamp_seconds": true,
	"clari_export_last_success_timestamp_seconds": true, "clari_export_last_run_success": true,
	"clari_export_duration_seconds": true, "clari_export_last_duration_seconds": true,
	"clari_export_rows": true, "clari_export_duplicate_rows": true, "clari_export_period_coverage_missing": true,
	"clari_export_max_age_seconds": true, "clari_export_data_type_rows": true,
	"clari_export_duplicate_jobs_total": true,
	"clari_fiscal_calendar_info":        true, "clari_fiscal_calendar_mismatch": true,
	// Forecast values
	"clari_forecast_value": true, "clari_forecast_swing_ratio": true, "clari_forecast_swing_anomalous": true,
	// Warehouse
	"clari_reconciliation_expected_rows": true, "clari_reconciliation_actual_rows": true,
	"clari_reconciliation_mismatch_ratio": true, "clari_reconciliation_last_run_timestamp_seconds": true,
	"clari_warehouse_duplicate_keys": true, "clari_warehouse_surplus_rows": true,
	"clari_warehouse_periods_beyond_retention": true, "clari_warehouse_last_load_timestamp_seconds": true,
	// Issue 21 (warehouse failures page) adds these to METRICS.md's list.
	"clari_warehouse_check_success": true, "clari_warehouse_max_load_age_seconds": true,
	"clari_warehouse_sink_load_failures_total": true, "clari_warehouse_sink_last_load_success": true,
	"clari_reconciliation_missing_rows": true, "clari_reconciliation_extra_rows": true,
	"clari_warehouse_periods_missing": true,
	// Readiness
	"clari_readiness_check": true,
	// Pipeline watch
	"clari_org_exports_submitted": true, "clari_org_exports_running": true,
	"clari_org_oldest_running_export_age_seconds": true, "clari_org_exports_by_others": true,
	"clari_org_exports_unknown_age": true, "clari_export_quota_exhaustion_projected_timestamp_seconds": true,
	"clari_pipeline_jobs_total": true, "clari_pipeline_job_duration_seconds": true,
	"clari_pipeline_last_success_timestamp_seconds": true, "clari_pipeline_last_job_success": true,
	"clari_pipeline_jobs_running": true, "clari_pipeline_jobs_stuck": true, "clari_pipeline_jobs_undownloaded": true,
	"clari_pipeline_export_rows": true, "clari_pipeline_export_duplicate_rows": true,
	"clari_pipeline_export_check_failures_total": true, "clari_pipeline_forecast_swing_ratio": true,
	"clari_pipeline_forecast_swing_anomalous": true, "clari_pipeline_watch_last_success_timestamp_seconds": true,
	// High availability
	"clari_exporter_leader_transitions_total": true, "clari_exporter_store_last_sync_timestamp_seconds": true,
}

// InContract reports whether name (a metric family) is in the metric
// contract of METRICS.md. An end-to-end test may tolerate a contract metric
// whose producer has not landed yet; a name outside the contract is a typo.
func InContract(name string) bool { return contract[name] }
