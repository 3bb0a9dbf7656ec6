package alerts

// exporterAlerts are about clari_exporter itself.
func exporterAlerts() groupSpec {
	return groupSpec{name: "clari-exporter", rules: []Rule{
		{
			// absent(): no target of the exporter at all (e.g. lost in a
			// relabelling change). `for` outlasts a Prometheus start-up, where
			// there is no `up` series until the first scrape.
			Alert:       "ClariExporterDown",
			Expr:        `up{` + sel + `} == 0 or absent(up{` + sel + `})`,
			For:         "5m",
			Labels:      labels("critical"),
			Annotations: annotations("Prometheus cannot scrape clari_exporter.", "{{ with $labels.instance }}The clari_exporter target {{ . }} of job {{ $labels.job }} has been down for 5 minutes.{{ else }}No scrape target matching %(clariExporterSelector)s has existed for 5 minutes.{{ end }}"),
		},
		{
			Alert:       "ClariExporterConfigReloadFailed",
			Expr:        `clari_exporter_config_last_reload_successful{` + sel + `} == 0`,
			For:         "5m",
			Labels:      labels("warning"),
			Annotations: annotations("clari_exporter failed to reload its configuration.", "The last configuration reload of {{ $labels.instance }} failed; it keeps running with the previous configuration."),
		},
	}}
}

// watchdogAlerts holds ClariWatchdog, off unless watchdogEnabled: it always
// fires, to prove the alerting pipeline end to end. Route it to a dead man's
// switch, never to a pager (deploy/alertmanager.yml routes it by name).
func watchdogAlerts() groupSpec {
	return groupSpec{name: "clari-watchdog", enabledBy: "watchdogEnabled", rules: []Rule{
		{
			Alert:       "ClariWatchdog",
			Expr:        `vector(1)`,
			Labels:      labels("info"),
			Annotations: annotations("The Clari alerting pipeline is working.", "This alert always fires{{ with $labels.job }} ({{ . }}){{ end }}; if it stops arriving, Prometheus or Alertmanager is broken."),
		},
	}}
}
