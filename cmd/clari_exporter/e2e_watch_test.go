package main

import (
	"fmt"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/clari-exporter/clari_exporter/clari"
	"github.com/clari-exporter/clari_exporter/clari/clarisim"
)

// TestE2EPipelineFailurePages: in zero-quota mode (schedule off, watch on
// with a 1 s interval), a FAILED job of the production pipeline pages
// (ClariPipelineExportFailed, critical) within maxTimeToPage of the
// exporter first exposing it, through the real Prometheus with the shipped
// rules and the real Alertmanager with the shipped routes; the exporter
// creates no export.
func TestE2EPipelineFailurePages(t *testing.T) {
	t.Parallel()
	tools := requireAlertingTools(t)

	sim := clarisim.New(clarisim.Options{APIKey: testAPIKey, Seed: 5, Tenant: clarisim.TenantSpec{Users: 10, Fields: 2}})
	simSrv := httptest.NewServer(sim)
	t.Cleanup(func() { simSrv.Close(); sim.Close() })
	f0 := sim.Tenant().Forecasts[0]
	start := time.Now()
	var plan []clarisim.PipelineJob
	for at := time.Duration(0); at < 2*time.Minute; at += 2 * time.Second {
		plan = append(plan, clarisim.PipelineJob{At: at, Forecast: f0, Duration: 500 * time.Millisecond})
	}
	if err := sim.StartPipeline(start, plan); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cfgPath := writeConfig(t, fmt.Sprintf(`
clari:
  base_url: %s
  api_key_file: %%KEYFILE%%
  probe_interval: 1s
schedule:
  enabled: false
watch:
  enabled: true
  interval: 1s
  inspect_pace: 0s
storage:
  path: %s
`, simSrv.URL, filepath.Join(dir, "state.db")))
	exporterBase, exporterLogs := serveConfigFile(t, cfgPath)
	al := tools.start(t, dir, exporterBase, exporterLogs)
	hook, prom, diag := al.hook, al.prom, al.diag
	lastJob := map[string]string{"forecast": f0}
	waitOrDump(t, 30*time.Second, "a scraped DONE pipeline job", diag, func() bool {
		return len(prom.query(`clari_pipeline_last_job_success{forecast="`+f0+`"} == 1`)) > 0
	})
	for _, p := range hook.critical() {
		t.Fatalf("paged before any failure: %v%s", p, diag())
	}

	// Inject: the pipeline's next job fails (the DONE ones after it keep
	// coming, so the page then resolves). The running plan is stopped and
	// the failing job made only once every job of it has ended: a DONE job
	// started just before the injection would end after the shorter FAILED
	// one and be, rightly, the newest job the exporter reports, so the
	// failure would never show (until the DONE jobs resume, at resumeAt).
	if err := sim.StartPipeline(time.Now(), nil); err != nil {
		t.Fatal(err)
	}
	// A wait for setup, not a measured property: at most one job's
	// Duration (500 ms) by the simulator's clock.
	waitOrDump(t, 10*time.Second, "the pipeline's running job to end", diag, func() bool {
		for _, j := range sim.Jobs() {
			if j.Pipeline && !j.Job.Status.Terminal() {
				return false
			}
		}
		return true
	})
	// The failure stays the newest job until the DONE ones resume: long
	// enough for the slowest exposure the test accepts and then the slowest
	// page it waits for, so a slow machine fails on the bound, never by the
	// failure being over before it could page.
	const exposeWithin = 20 * time.Second
	resumeAt := exposeWithin + maxTimeToPage
	var failPlan []clarisim.PipelineJob
	failPlan = append(failPlan, clarisim.PipelineJob{At: 0, Forecast: f0, Duration: 300 * time.Millisecond, Final: clari.StatusFailed})
	for at := resumeAt; at < resumeAt+2*time.Minute; at += 2 * time.Second {
		failPlan = append(failPlan, clarisim.PipelineJob{At: at, Forecast: f0, Duration: 500 * time.Millisecond})
	}
	if err := sim.StartPipeline(time.Now(), failPlan); err != nil {
		t.Fatal(err)
	}
	var seen time.Time
	// A wait for setup, not a measured property (time to page is measured
	// from its end): the job fails 300 ms after the injection and the
	// watch (1 s interval; a poll takes 10–200 ms) exposes it 0.5–1.8 s
	// after the injection, measured under -race on the loaded 2-core
	// machine; 20 s is more than 10 times that.
	waitOrDump(t, exposeWithin, "the exporter exposing the failed pipeline job", diag, func() bool {
		mfs, _ := scrape(t, exporterBase)
		if v, ok := value(mfs, "clari_pipeline_last_job_success", lastJob); ok && v == 0 {
			seen = time.Now()
			return true
		}
		return false
	})
	page := awaitPage(t, hook, "ClariPipelineExportFailed", seen, "from the exporter exposing the failure", diag)
	if a := page.alert; a.Labels["severity"] != "critical" || a.Labels["forecast"] != f0 || a.Labels["period"] == "" || a.Annotations["runbook_url"] == "" {
		t.Errorf("page %v / %v: want severity critical, the forecast and period, a runbook", a.Labels, a.Annotations)
	}
	waitOrDump(t, resumeAt+60*time.Second, "the page to resolve after the next DONE pipeline job", diag, func() bool {
		return hook.resolved("/pager", "ClariPipelineExportFailed", page.alert.Labels["period"])
	})
	if st := sim.Stats(); st.CreateCalls != 0 || st.JobsCreated != 0 {
		t.Errorf("zero-quota mode created exports: %+v", st)
	}
}
