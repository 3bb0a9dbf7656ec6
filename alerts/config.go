package alerts

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"
)

// Config holds what a user may change in the shipped rules: the selector
// that picks the exporter's series, the runbook URL pattern, the optional
// Watchdog and the thresholds the exporter cannot publish as a metric. The
// mixin's _config (mixin/config.libsonnet) is generated from DefaultConfig,
// so this struct is the one home of these defaults.
//
// Each field's `mixin` tag is its _config key, which rule templates name as
// %(key)s (strings) or %(key)g (numbers), the way jsonnet formats them.
type Config struct {
	Selector          string  `mixin:"clariExporterSelector" doc:"Label matchers selecting clari_exporter's series; added to every selector of every rule."`
	RunbookURLPattern string  `mixin:"runbookURLPattern" doc:"URL of an alert's runbook; %s is replaced by the alert name in lower case."`
	WatchdogEnabled   bool    `mixin:"watchdogEnabled" doc:"Add ClariWatchdog, an always-firing alert for a dead man's switch."`
	QuotaAvailableMin float64 `mixin:"quotaAvailableRatioThreshold" doc:"ClariExportQuotaNearlyExhausted fires below this share of the monthly export quota left."`
	ReconMismatchMax  float64 `mixin:"reconciliationMismatchRatioThreshold" doc:"ClariReconciliationMismatch fires above this ratio of warehouse rows differing from the export."`
	APILatencyP95Max  float64 `mixin:"apiLatencyP95SecondsThreshold" doc:"ClariAPILatencyHigh fires when the 95th percentile of Clari request latency exceeds this many seconds."`
	ExportEmptyWindow string  `mixin:"exportEmptyWindow" doc:"How long an empty export keeps ClariExportEmpty (instead of ClariExportFailed) on a failing target."`
	ExportTruncWindow string  `mixin:"exportTruncatedWindow" doc:"How long a truncated export keeps ClariExportTruncated (instead of ClariExportFailed) on a failing target."`
	QuotaExhaustWin   string  `mixin:"quotaExhaustedWindow" doc:"How long ClariExportQuotaExhausted fires after Clari refused a create for quota, unless the live probe shows quota available again."`
	PipelineEmptyFor  string  `mixin:"pipelineEmptyWindow" doc:"How long ClariPipelineExportEmpty fires after an empty pipeline export was inspected."`
	PipelineCheckFor  string  `mixin:"pipelineCheckFailureWindow" doc:"How long each other pipeline check alert (ClariPipelineExportTruncated, ...PeriodMismatch, ...Undecodable, ...DownloadFailed, ...CalendarMismatch) fires after a pipeline export that failed its check was inspected."`
	PipelineStaleMax  float64 `mixin:"pipelineStaleSecondsThreshold" doc:"ClariPipelineStale: max age in seconds of a watched forecast's newest DONE pipeline job when the exporter has no clari_export_max_age_seconds for it."`
	ProjectionWithin  float64 `mixin:"quotaExhaustionProjectedSecondsThreshold" doc:"ClariQuotaExhaustionProjected fires when the quota is projected to reach the reserve within this many seconds."`
}

// DefaultRunbookURLPattern points at docs/runbooks.md, one heading per alert.
const DefaultRunbookURLPattern = "https://github.com/clari-exporter/clari_exporter/blob/main/docs/runbooks.md#%s"

// DefaultConfig is the configuration of the committed rule files.
func DefaultConfig() Config {
	return Config{
		Selector:          `job=~"clari.*"`,
		RunbookURLPattern: DefaultRunbookURLPattern,
		QuotaAvailableMin: 0.1,
		ReconMismatchMax:  0.01,
		APILatencyP95Max:  5,
		ExportEmptyWindow: "1d",
		ExportTruncWindow: "1d",
		QuotaExhaustWin:   "1d",
		PipelineEmptyFor:  "1h",
		PipelineCheckFor:  "1h",
		// A daily pipeline with two hours of slack.
		PipelineStaleMax: 26 * 3600,
		ProjectionWithin: 3 * 24 * 3600,
	}
}

// param is one Config field as the templates and config.libsonnet see it.
type param struct {
	key   string
	doc   string
	value any // string, float64 or bool
}

// params lists the fields of c in declaration order.
func (c Config) params() []param {
	v := reflect.ValueOf(c)
	t := v.Type()
	out := make([]param, 0, t.NumField())
	for i := range t.NumField() {
		f := t.Field(i)
		out = append(out, param{key: f.Tag.Get("mixin"), doc: f.Tag.Get("doc"), value: v.Field(i).Interface()})
	}
	return out
}

// validate rejects values the rules or jsonnet could not render identically.
func (c Config) validate() error {
	if strings.TrimSpace(c.Selector) == "" {
		return fmt.Errorf("clariExporterSelector: must not be empty (it is added to every selector)")
	}
	if strings.ContainsAny(c.Selector, "{}") {
		return fmt.Errorf("clariExporterSelector %q: give label matchers only, without braces", c.Selector)
	}
	if _, err := runbookURL(c.RunbookURLPattern, "x"); err != nil {
		return err
	}
	for _, p := range c.params() {
		if f, ok := p.value.(float64); ok {
			// %g in jsonnet keeps 6 significant digits; a value needing more
			// would differ between the YAML and the mixin.
			if s := formatNumber(f); s != strconv.FormatFloat(f, 'g', -1, 64) {
				return fmt.Errorf("%s: %v needs more than 6 significant digits", p.key, f)
			}
			if f <= 0 {
				return fmt.Errorf("%s: must be > 0, got %v", p.key, f)
			}
		}
	}
	return nil
}

// formatNumber renders a number as jsonnet's %g does (C printf, precision 6).
func formatNumber(f float64) string {
	return strconv.FormatFloat(f, 'g', 6, 64)
}

// runbookURL fills the pattern's single %s with anchor, like jsonnet's
// `pattern % anchor`.
func runbookURL(pattern, anchor string) (string, error) {
	if strings.Count(pattern, "%s") != 1 || strings.Count(strings.ReplaceAll(pattern, "%s", ""), "%") != 0 {
		return "", fmt.Errorf("runbookURLPattern %q: must contain exactly one %%s and no other %%", pattern)
	}
	return strings.Replace(pattern, "%s", anchor, 1), nil
}
