package main

import (
	"testing"
	"time"
)

// demoShowsThePipelineWatch: beside the exporter's own exports, the demo
// runs a production pipeline that the watch reports on within its first
// minute (the accelerated demo: seconds): one failed, one stuck and one empty
// pipeline export, a +30% swing and an undownloaded job.
func demoShowsThePipelineWatch(t *testing.T, base string, logs func() string) {
	f := map[string]string{"forecast": demoPipelineForecast}
	with := func(k, v string) map[string]string { return map[string]string{"forecast": demoPipelineForecast, k: v} }
	// Each is an event of the story: it counts once seen (the swing gauge,
	// for one, returns to 0 with the next export).
	seen := map[string]bool{}
	var missing []string
	deadline := time.Now().Add(180 * time.Second)
	for ok := false; !ok && time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		ok = func() bool {
			mfs, _ := scrape(t, base)
			missing = missing[:0]
			for _, c := range []struct {
				what   string
				metric string
				labels map[string]string
			}{
				{"a failed pipeline job", "clari_pipeline_jobs_total", with("status", "failed")},
				{"a stuck pipeline job", "clari_pipeline_jobs_stuck", f},
				{"an empty pipeline export", "clari_pipeline_export_check_failures_total", with("reason", "empty")},
				{"an anomalous pipeline swing", "clari_pipeline_forecast_swing_anomalous", f},
				{"an undownloaded pipeline job", "clari_pipeline_jobs_undownloaded", f},
				{"DONE pipeline jobs", "clari_pipeline_jobs_total", with("status", "done")},
				{"the org's exports", "clari_org_exports_by_others", nil},
			} {
				if sum(mfs, c.metric, c.labels) >= 1 {
					seen[c.what] = true
				}
				if !seen[c.what] {
					missing = append(missing, c.what)
				}
			}
			return len(missing) == 0
		}()
	}
	if len(missing) > 0 {
		t.Fatalf("after 180 s the demo still lacks %v\nlogs:\n%s", missing, tail(logs(), 20))
	}
}
