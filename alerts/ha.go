package alerts

// haAlerts are about the leader lease of replicas sharing one store: exactly
// one replica of a job must hold it (clari_exporter_leader).
func haAlerts() groupSpec {
	return groupSpec{name: "clari-ha", rules: []Rule{
		{
			// No replica runs exports: nothing is exported, nothing spends
			// quota. (With every replica down ClariExporterDown fires instead.)
			Alert:       "ClariExporterNoLeader",
			Expr:        `sum by (job) (clari_exporter_leader{` + sel + `}) == 0`,
			For:         "1m",
			Labels:      labels("critical"),
			Annotations: annotations("No clari_exporter replica holds the leader lease.", "No replica of job {{ $labels.job }} has run exports for a minute; a failover should take at most the lease duration plus the renew interval."),
		},
		{
			// Two leaders may both create exports (the intents' uniqueness is
			// the last guard). `for: 1m` outlasts the scrape skew of a
			// failover, where the old leader's last sample is still 1.
			Alert:       "ClariExporterSplitBrain",
			Expr:        `sum by (job) (clari_exporter_leader{` + sel + `}) > 1`,
			For:         "1m",
			Labels:      labels("critical"),
			Annotations: annotations("More than one clari_exporter replica holds the leader lease.", "{{ $value }} replicas of job {{ $labels.job }} report themselves leader; each may create exports and spend quota."),
		},
	}}
}
