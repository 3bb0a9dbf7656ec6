package dashboards

// warehouse shows the reconciliation of Clari exports against the warehouse
// and the warehouse checks (duplicates, retention, freshness).
func warehouse() (Dashboard, error) {
	vars := append(jobVariables(),
		labelVariable("forecast", "Forecast", `clari_reconciliation_expected_rows{job=~"$job",instance=~"$instance"}`),
		labelVariable("table", "Table", `clari_warehouse_last_load_timestamp_seconds{job=~"$job",instance=~"$instance"}`),
	)
	const tbl = target + `,table=~"$table"`
	b := newBoard("clari-warehouse", "Clari / Reconciliation and warehouse",
		"Daily reconciliation of exported row counts against the warehouse, and the warehouse checks: duplicate keys, retention and freshness.",
		vars...)

	b.row("Checks")
	b.add(6, 4, statPanel(panelSpec{
		title:       "Targets mismatching",
		description: "Forecast/period pairs whose warehouse row count differs from the export by more than 1%.",
		thresholds:  steps("green", 1.0, "orange"),
	}, rangeQuery(`count(clari_reconciliation_mismatch_ratio{`+byForecast+`} > 0.01) or vector(0)`, "mismatching")))
	b.add(6, 4, statPanel(panelSpec{
		title:       "Since last reconciliation",
		description: "Time since the reconciliation last ran (daily).",
		unit:        "s",
		thresholds:  steps("green", 93600.0, "orange"),
	}, rangeQuery(`time() - max(clari_reconciliation_last_run_timestamp_seconds{`+target+`})`, "age")))
	b.add(6, 4, statPanel(panelSpec{
		title:       "Duplicate keys",
		description: "Natural keys held by more than one row (MERGE/UPSERT missing).",
		thresholds:  steps("green", 1.0, "orange"),
	}, rangeQuery(`sum(clari_warehouse_duplicate_keys{`+tbl+`})`, "duplicates")))
	b.add(6, 4, statPanel(panelSpec{
		title:       "Periods beyond retention",
		description: "Periods older than the retention window still present.",
		thresholds:  steps("green", 1.0, "orange"),
	}, rangeQuery(`sum(clari_warehouse_periods_beyond_retention{`+tbl+`})`, "periods")))

	b.row("Reconciliation")
	b.add(12, 8, timeseriesPanel(panelSpec{
		title:       "Expected vs actual rows",
		description: "Rows the last Clari export says the warehouse should hold, and rows it holds.",
	},
		rangeQuery(`clari_reconciliation_expected_rows{`+byForecast+`}`, "expected {{forecast}} {{period}}"),
		rangeQuery(`clari_reconciliation_actual_rows{`+byForecast+`}`, "actual {{forecast}} {{period}}"),
	))
	b.add(12, 8, timeseriesPanel(panelSpec{
		title:       "Mismatch ratio",
		description: "|actual − expected| / max(expected, 1); ClariReconciliationMismatch fires above 1%.",
		unit:        "percentunit",
		thresholds:  steps("transparent", 0.01, "red"),
	}, rangeQuery(`clari_reconciliation_mismatch_ratio{`+byForecast+`}`, "{{forecast}} {{period}}")))
	b.add(24, 8, tablePanel(panelSpec{
		title:       "Reconciliation per target",
		description: "Current mismatch ratio per forecast and period, worst first.",
		unit:        "percentunit",
		thresholds:  steps("green", 0.01, "red"),
	}, "Value", instantQuery(`clari_reconciliation_mismatch_ratio{`+byForecast+`}`, "")))

	b.row("Warehouse")
	b.add(12, 8, timeseriesPanel(panelSpec{
		title:       "Duplicate keys and surplus rows",
		description: "Keys with more than one row, and the rows beyond one per key.",
	},
		rangeQuery(`clari_warehouse_duplicate_keys{`+tbl+`}`, "duplicate keys {{table}}"),
		rangeQuery(`clari_warehouse_surplus_rows{`+tbl+`}`, "surplus rows {{table}}"),
	))
	b.add(12, 8, timeseriesPanel(panelSpec{
		title:       "Freshness: since last load",
		description: "Time since the newest load into each table.",
		unit:        "s",
	}, rangeQuery(`time() - clari_warehouse_last_load_timestamp_seconds{`+tbl+`}`, "{{table}}")))
	return b.done()
}
