package alerts

// warehouseAlerts are about the user's warehouse: reconciliation against the
// exports, duplicates, retention, and the warehouse itself failing (a sink
// load, a check that cannot run, a table nobody loads any more).
func warehouseAlerts() groupSpec {
	return groupSpec{name: "clari-warehouse", rules: []Rule{
		{
			Alert: "ClariReconciliationMismatch",
			// Only missing rows: a warehouse holding more keys than the
			// newest export (users Clari no longer re-exports) is by design.
			Expr:        `clari_reconciliation_mismatch_ratio{` + sel + `} > %(reconciliationMismatchRatioThreshold)g and clari_reconciliation_missing_rows{` + sel + `} > 0`,
			For:         "30m",
			Labels:      labels("warning"),
			Annotations: annotations("Warehouse row counts differ from the Clari export.", "The warehouse rows of forecast {{ $labels.forecast }} for period {{ $labels.period }} differ from the last Clari export by {{ $value | humanizePercentage }}."),
		},
		{
			Alert:       "ClariWarehousePeriodsMissing",
			Expr:        `clari_warehouse_periods_missing{` + sel + `} > 0`,
			For:         "5m",
			Labels:      labels("warning"),
			Annotations: annotations("The warehouse lost periods inside the retention window.", "Table {{ $labels.table }} holds no rows of {{ $value }} period(s) inside the retention window that Clari exported successfully."),
		},
		{
			Alert:       "ClariWarehouseDuplicates",
			Expr:        `clari_warehouse_duplicate_keys{` + sel + `} > 0`,
			For:         "5m",
			Labels:      labels("warning"),
			Annotations: annotations("The warehouse holds duplicate forecast records.", "Table {{ $labels.table }} holds {{ $value }} natural key(s) with more than one row."),
		},
		{
			Alert:       "ClariWarehouseRetentionExceeded",
			Expr:        `clari_warehouse_periods_beyond_retention{` + sel + `} > 0`,
			For:         "1h",
			Labels:      labels("warning"),
			Annotations: annotations("The warehouse keeps periods beyond the retention window.", "Table {{ $labels.table }} holds {{ $value }} period(s) older than the retention window."),
		},
		{
			// The newest load failed: the export succeeded but its rows did
			// not all reach the warehouse. It pages: the next export loads
			// again, but until then the warehouse is behind Clari.
			Alert:       "ClariWarehouseSinkLoadFailed",
			Expr:        `clari_warehouse_sink_last_load_success{` + sel + `} == 0`,
			Labels:      labels("critical"),
			Annotations: annotations("A warehouse sink load failed.", "The newest load of forecast {{ $labels.forecast }} into table {{ $labels.table }} failed; the rows of that export are not (all) in the warehouse."),
		},
		{
			// The checker retries a failed run after 5m: 30m is several
			// failed runs, not one blip.
			Alert:       "ClariWarehouseCheckFailed",
			Expr:        `clari_warehouse_check_success{` + sel + `} == 0`,
			For:         "30m",
			Labels:      labels("warning"),
			Annotations: annotations("A warehouse check cannot run.", "Warehouse check {{ $labels.check }} has failed for 30 minutes; its metrics are stale or absent."),
		},
		{
			// The bound is the exporter's (warehouse.max_load_age), published
			// as a metric, not a copied constant.
			Alert:       "ClariWarehouseStale",
			Expr:        `time() - clari_warehouse_last_load_timestamp_seconds{` + sel + `} > clari_warehouse_max_load_age_seconds{` + sel + `}`,
			For:         "10m",
			Labels:      labels("warning"),
			Annotations: annotations("Nobody loads the warehouse table any more.", "The newest load of table {{ $labels.table }} is {{ $value | humanizeDuration }} old, more than warehouse.max_load_age."),
		},
	}}
}
