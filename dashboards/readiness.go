package dashboards

// readiness shows the automated readiness checklist (clari_readiness_check:
// 1 pass, 0 fail, per check and priority).
func readiness() (Dashboard, error) {
	vars := append(jobVariables(),
		labelVariable("priority", "Priority", `clari_readiness_check{job=~"$job",instance=~"$instance"}`),
	)
	const sel = target + `,priority=~"$priority"`
	b := newBoard("clari-readiness", "Clari / Readiness checklist",
		"The Clari production-readiness checklist as automated checks (the same checks `clari_exporter check` runs). P1 failures block go-live.",
		vars...)

	pass := mapping([3]string{"0", "FAIL", "red"}, [3]string{"1", "PASS", "green"})
	b.add(8, 4, statPanel(panelSpec{
		title:       "Failing checks by priority",
		description: "Checks currently failing, per priority.",
		thresholds:  steps("green", 1.0, "red"),
	}, rangeQuery(`sum by (priority) (clari_readiness_check{`+sel+`} == bool 0)`, "{{priority}}")))
	b.add(8, 4, statPanel(panelSpec{
		title:       "Passing checks",
		description: "Share of checks passing.",
		unit:        "percentunit",
		thresholds:  steps("red", 1.0, "green"),
	}, rangeQuery(`avg(clari_readiness_check{`+sel+`})`, "passing")))
	b.add(8, 4, statPanel(panelSpec{
		title:       "Checks",
		description: "Number of automated checks reported.",
	}, rangeQuery(`count(clari_readiness_check{`+sel+`})`, "checks")))
	b.add(24, 12, tablePanel(panelSpec{
		title:       "Checks",
		description: "Every automated check with its priority and result.",
		mappings:    pass,
		thresholds:  steps("red", 1.0, "green"),
	}, "", instantQuery(`clari_readiness_check{`+sel+`}`, "")))
	b.add(24, 10, stateTimelinePanel(panelSpec{
		title:       "Checks over time",
		description: "When each check passed or failed.",
		mappings:    pass,
		thresholds:  steps("red", 1.0, "green"),
	}, rangeQuery(`clari_readiness_check{`+sel+`}`, "{{priority}} {{check}}")))
	return b.done()
}
