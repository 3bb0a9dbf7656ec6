package checklist

import (
	"fmt"
	"strings"

	"github.com/clari-exporter/clari_exporter/config"
)

// checkPipelineWatch: without the pipeline watch the exporter sees only the
// exports it makes itself, so the schedule's spend is the only source of
// export monitoring and the production pipeline's failures, stuck, empty or
// swinging exports stay invisible. Watching costs no quota.
func checkPipelineWatch(cfg *config.Config) Result {
	w := cfg.Watch
	if !w.Enabled {
		return result(CheckPipelineWatch, Warn, "watch.enabled is false: the schedule's own exports (spending quota) are the only source; "+
			"the production pipeline's failed, stuck or empty exports stay invisible (enable watch: it costs no quota, use the pipeline's service-account token)")
	}
	forecasts := "every forecast seen"
	if len(w.Forecasts) > 0 {
		forecasts = "forecast " + strings.Join(w.Forecasts, ", ")
	}
	mode := "beside the schedule"
	if cfg.ZeroQuota() {
		mode = "zero-quota mode (schedule.enabled false: no exports created)"
	}
	inspect := "results not inspected"
	if w.InspectResults {
		inspect = "each new DONE job inspected"
	}
	return result(CheckPipelineWatch, Pass, fmt.Sprintf("watch on, %s: %s every %s, %s, stuck after %s", mode, forecasts, w.Interval, inspect, w.StuckAfter))
}
