package alerts

// groupSpec is one rule group as written in Go. The text fields of its
// rules are templates (see template.go); Generate expands them and adds each
// alert's runbook_url from Config.RunbookURLPattern.
type groupSpec struct {
	name string
	// enabledBy names a bool Config parameter that must be true for the group
	// to be generated; empty means always.
	enabledBy string
	rules     []Rule
}

// sel is the template of the configurable selector, for the rules to add to
// every series selector.
const sel = "%(clariExporterSelector)s"

// specs lists every rule group, recording rules first, then the alerts by
// area. The order is the order of the generated files.
func specs() []groupSpec {
	return []groupSpec{
		exportRecordingRules(),
		apiRecordingRules(),
		exportAlerts(),
		pipelineAlerts(),
		apiAlerts(),
		warehouseAlerts(),
		exporterAlerts(),
		haAlerts(),
		watchdogAlerts(),
	}
}

func labels(severity string) map[string]string { return map[string]string{"severity": severity} }

func annotations(summary, description string) map[string]string {
	return map[string]string{"summary": summary, "description": description}
}
