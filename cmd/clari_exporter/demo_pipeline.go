package main

import (
	"time"

	"github.com/prometheus/common/model"

	"github.com/clari-exporter/clari_exporter/clari"
	"github.com/clari-exporter/clari_exporter/clari/clarisim"
	"github.com/clari-exporter/clari_exporter/config"
)

// demoMonthlyQuota is the demo org's quota per (accelerated, 1 h) window:
// room for the other users' steady load, the pipeline and the exporter.
const demoMonthlyQuota = 5000

// demoOrgLoad is the other users' steady burn: one export a second, so the
// quota exhaustion projection has something to project.
const demoOrgLoad = time.Second

// demoPipelineForecast is the forecast tab the simulated production
// pipeline exports (the exporter's own schedule does not).
const demoPipelineForecast = "pipeline_arr"

// demoPipelinePlan is the production pipeline beside the exporter, in units
// of demoTiming.pipelineUnit (2 s by default): within the first minute one
// pipeline job fails, one gets stuck, one comes back empty, one swings +30%
// and one is never downloaded; then a DONE job every 15 units, its totals
// alternating between the two levels, so the swing comes back even to a
// watch whose first poll came after the first one (it takes the newest
// DONE job as its baseline).
func demoPipelinePlan(u time.Duration) []clarisim.PipelineJob {
	f := demoPipelineForecast
	plan := []clarisim.PipelineJob{
		{At: 1 * u, Forecast: f, Duration: u},
		{At: 3 * u, Forecast: f, Duration: u, Final: clari.StatusFailed},
		{At: 5 * u, Forecast: f, Duration: u, Final: clarisim.NeverFinish},
		{At: 7 * u, Forecast: f, Duration: u, Empty: true},
		{At: 10 * u, Forecast: f, Duration: u, Ratio: 1.3},
		{At: 13 * u, Forecast: f, Duration: u, Ratio: 1.3, Undownloaded: true},
	}
	levels := [2]float64{1.3, 1} // a swing of +30% or -23% at each job
	for i, at := 0, 28*u; at < 4*time.Hour; i, at = i+1, at+15*u {
		plan = append(plan, clarisim.PipelineJob{At: at, Forecast: f, Duration: u, Ratio: levels[i%2]})
	}
	return plan
}

// startDemoPipeline gives the simulator a job history (older than its quota
// window) and other users' load, and starts the pipeline.
func (d *demoEnv) startDemoPipeline(now time.Time) error {
	d.sim.AddJobHistory(2000, now.Add(-60*24*time.Hour), now.Add(-2*time.Hour))
	if err := d.sim.SetOrgLoad(clarisim.OrgLoad{From: now.Add(-time.Hour), Every: demoOrgLoad}); err != nil {
		return err
	}
	return d.sim.StartPipeline(now, demoPipelinePlan(d.timing.pipelineUnit))
}

// demoWatch turns the pipeline watch on at the demo's pace.
func demoWatch(cfg *config.Config, t demoTiming) {
	u := t.pipelineUnit
	cfg.Watch.Enabled = true
	cfg.Watch.Interval = model.Duration(u / 2)
	cfg.Watch.StuckAfter = model.Duration(10 * u)
	cfg.Watch.DownloadGrace = model.Duration(10 * u)
	cfg.Watch.InspectPace = model.Duration(u / 10)
}
