package alerts

// warehouseAlerts are about the user's warehouse: reconciliation against the
// exports, duplicates and retention.
func warehouseAlerts() groupSpec {
	return groupSpec{name: "clari-warehouse", rules: []Rule{
		{
			Alert:       "ClariReconciliationMismatch",
			Expr:        `clari_reconciliation_mismatch_ratio{` + sel + `} > %(reconciliationMismatchRatioThreshold)g`,
			For:         "30m",
			Labels:      labels("warning"),
			Annotations: annotations("Warehouse row counts differ from the Clari export.", "The warehouse rows of forecast {{ $labels.forecast }} for period {{ $labels.period }} differ from the last Clari export by {{ $value | humanizePercentage }}."),
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
	}}
}
