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
	b.add(4, 4, statPanel(panelSpec{
		title:       "Targets missing rows",
		description: "Forecast/period pairs whose warehouse lacks more than 1% of the export's rows (ClariReconciliationMismatch). More rows than the export are keys kept by design and do not count.",
		thresholds:  steps("green", 1.0, "orange"),
	}, rangeQuery(`count(clari_reconciliation_mismatch_ratio{`+byForecast+`} > 0.01 and clari_reconciliation_missing_rows{`+byForecast+`} > 0) or vector(0)`, "missing")))
	b.add(4, 4, statPanel(panelSpec{
		title:       "Since last reconciliation",
		description: "Time since the reconciliation last ran (daily).",
		unit:        "s",
		thresholds:  steps("green", 93600.0, "orange"),
	}, rangeQuery(`time() - max(clari_reconciliation_last_run_timestamp_seconds{`+target+`})`, "age")))
	b.add(4, 4, statPanel(panelSpec{
		title:       "Duplicate keys",
		description: "Natural keys held by more than one row (MERGE/UPSERT missing).",
		thresholds:  steps("green", 1.0, "orange"),
	}, rangeQuery(`sum(clari_warehouse_duplicate_keys{`+tbl+`})`, "duplicates")))
	b.add(4, 4, statPanel(panelSpec{
		title:       "Periods beyond retention",
		description: "Periods older than the retention window still present.",
		thresholds:  steps("green", 1.0, "orange"),
	}, rangeQuery(`sum(clari_warehouse_periods_beyond_retention{`+tbl+`})`, "periods")))
	b.add(4, 4, statPanel(panelSpec{
		title:       "Periods missing",
		description: "Periods inside the retention window with a successful export but no rows of a forecast (ClariWarehousePeriodsMissing).",
		thresholds:  steps("green", 1.0, "orange"),
	}, rangeQuery(`sum(clari_warehouse_periods_missing{`+tbl+`})`, "periods")))
	b.add(4, 4, statPanel(panelSpec{
		title:       "Checks failing",
		description: "Warehouse checks that could not run (ClariWarehouseCheckFailed after 30 minutes).",
		thresholds:  steps("green", 1.0, "red"),
	}, rangeQuery(`count(clari_warehouse_check_success{`+target+`} == 0) or vector(0)`, "failing")))

	b.row("Reconciliation")
	b.add(12, 8, timeseriesPanel(panelSpec{
		title:       "Expected vs actual rows",
		description: "Rows the last Clari export says the warehouse should hold, and rows it holds.",
	},
		rangeQuery(`clari_reconciliation_expected_rows{`+byForecast+`}`, "expected {{forecast}} {{period}}"),
		rangeQuery(`clari_reconciliation_actual_rows{`+byForecast+`}`, "actual {{forecast}} {{period}}"),
	))
	b.add(12, 8, timeseriesPanel(panelSpec{
		title:       "Missing vs extra rows",
		description: "Rows of the export the warehouse lacks (alerts), and rows it holds beyond the export: keys Clari no longer re-exports (users who left), kept by design.",
	},
		rangeQuery(`clari_reconciliation_missing_rows{`+byForecast+`}`, "missing {{forecast}} {{period}}"),
		rangeQuery(`clari_reconciliation_extra_rows{`+byForecast+`}`, "extra {{forecast}} {{period}}"),
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
	b.add(12, 8, timeseriesPanel(panelSpec{
		title:       "Sink loads failed and currency conflicts",
		description: "Failed warehouse sink loads per forecast in the last day (ClariWarehouseSinkLoadFailed), and rows not written because their key is stored in another currency.",
	},
		rangeQuery(`increase(clari_warehouse_sink_load_failures_total{`+tbl+`}[1d])`, "failed loads {{forecast}}"),
		rangeQuery(`increase(clari_warehouse_sink_currency_conflicts_total{`+tbl+`}[1d])`, "currency conflicts {{forecast}}"),
	))
	return b.done()
}
