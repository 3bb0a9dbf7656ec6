package dashboards

// forecast shows forecast totals and their swings per field (checklist
// item 21). clari_forecast_value may be disabled (revenue data).
func forecast() (Dashboard, error) {
	vars := append(jobVariables(),
		labelVariable("forecast", "Forecast", `clari_forecast_value{job=~"$job",instance=~"$instance"}`),
		labelVariable("period", "Period", `clari_forecast_value{job=~"$job",instance=~"$instance",forecast=~"$forecast"}`),
		labelVariable("field", "Field", `clari_forecast_value{job=~"$job",instance=~"$instance",forecast=~"$forecast"}`),
	)
	const sel = byForecast + `,period=~"$period",field=~"$field"`
	b := newBoard("clari-forecast", "Clari / Forecast values and swings",
		"Forecast totals of the latest week per field and the swing between consecutive snapshots; anomalous swings trigger a review (ClariForecastSwing).",
		vars...)

	b.row("Anomalies")
	b.add(6, 6, statPanel(panelSpec{
		title:       "Anomalous swings",
		description: "Fields whose swing passed the threshold and the guards (min baseline, min change, min history).",
		thresholds:  steps("green", 1.0, "orange"),
	}, rangeQuery(`count(clari_forecast_swing_anomalous{`+sel+`} == 1) or vector(0)`, "anomalous")))
	b.add(18, 6, tablePanel(panelSpec{
		title:       "Swings to review",
		description: "Current swing ratio of every field flagged anomalous.",
		unit:        "percentunit",
		thresholds:  steps("green", 0.2, "orange"),
	}, "Value", instantQuery(`clari_forecast_swing_ratio{`+sel+`} and on (job, instance, forecast, period, field) (clari_forecast_swing_anomalous{`+sel+`} == 1)`, "")))

	b.row("Values")
	b.add(24, 9, timeseriesPanel(panelSpec{
		title:       "Forecast value per field",
		description: "Total of the latest week in the last snapshot, per forecast, period, field and data type.",
		unit:        "short",
	}, rangeQuery(`clari_forecast_value{`+sel+`}`, "{{forecast}} {{period}} {{field}} {{data_type}}")))
	b.add(24, 9, timeseriesPanel(panelSpec{
		title:       "Swing per field",
		description: "(latest − previous) / |previous| between consecutive snapshots. Lines mark the default ±20% review threshold.",
		unit:        "percentunit",
		thresholds:  steps("transparent", 0.2, "orange"),
	}, rangeQuery(`clari_forecast_swing_ratio{`+sel+`}`, "{{forecast}} {{period}} {{field}}")))
	b.add(24, 6, stateTimelinePanel(panelSpec{
		title:       "Anomalous swings over time",
		description: "1 while a field's swing is anomalous.",
		mappings:    mapping([3]string{"0", "ok", "green"}, [3]string{"1", "review", "orange"}),
	}, rangeQuery(`clari_forecast_swing_anomalous{`+sel+`}`, "{{forecast}} {{period}} {{field}}")))
	return b.done()
}
