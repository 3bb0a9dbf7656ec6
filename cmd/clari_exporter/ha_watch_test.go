package main

import (
	"net/http/httptest"
	"testing"
	"time"

	"github.com/clari-exporter/clari_exporter/clari/clarisim"
	"github.com/clari-exporter/clari_exporter/internal/pgtest"
)

// TestOnlyTheLeaderRunsThePipelineWatch: two replicas on one PostgreSQL
// and the simulator, the production pipeline finishing a job every 2 s
// that it never downloads itself. The leader's watch inspects each DONE
// job (downloads its results) once; the follower downloads nothing, so no
// job is downloaded twice. The leader serves the pipeline series.
func TestOnlyTheLeaderRunsThePipelineWatch(t *testing.T) {
	t.Parallel()
	dsn, _ := pgtest.Fresh(t)
	sim := clarisim.New(clarisim.Options{APIKey: testAPIKey, Seed: 13, Tenant: januaryTenant(5, 1)})
	srv := httptest.NewServer(sim)
	defer srv.Close()
	defer sim.Close()
	f0 := sim.Tenant().Forecasts[0]
	var plan []clarisim.PipelineJob
	for at := time.Duration(0); at < 2*time.Minute; at += 2 * time.Second {
		plan = append(plan, clarisim.PipelineJob{At: at, Forecast: f0, Duration: 500 * time.Millisecond, Undownloaded: true})
	}
	if err := sim.StartPipeline(time.Now(), plan); err != nil {
		t.Fatal(err)
	}
	c := newHACluster(t, srv.URL, dsn, shortLease+`watch:
  enabled: true
  interval: 1s
  inspect_pace: 0s
  forecasts: [`+f0+`]
`)
	a := c.start("a")
	waitFor(t, 30*time.Second, "a to lead", func() bool { v, ok := metric(a, "clari_exporter_leader"); return ok && v == 1 })
	b := c.start("b")
	waitFor(t, 30*time.Second, "b to serve as follower", func() bool { v, ok := metric(b, "clari_exporter_leader"); return ok && v == 0 })

	downloaded := func() (jobs, twice int) {
		for _, j := range sim.Jobs() {
			if !j.Pipeline {
				continue
			}
			if j.Job.Downloads > 0 {
				jobs++
			}
			if j.Job.Downloads > 1 {
				twice++
			}
		}
		return jobs, twice
	}
	// The pipeline finishes a job every 2 s: wait, while b is up, until the
	// leader has inspected three more (about 6 s on an idle machine; longer,
	// not failing, on a busy one), then see that none was downloaded twice.
	before, _ := downloaded()
	waitFor(t, 60*time.Second, "the leader to inspect three more pipeline jobs with b up", func() bool {
		jobs, _ := downloaded()
		return jobs >= before+3
	})
	jobs, twice := downloaded()
	if jobs < 2 || twice != 0 {
		t.Fatalf("%d pipeline jobs downloaded, %d of them more than once: want the leader's one download of each\n%s\n%s", jobs, twice, c.logs(a), c.logs(b))
	}
	if _, ok := metric(a, `clari_pipeline_jobs_total{forecast="`+f0+`",period="`+currentPeriodLabel()+`",status="done"}`); !ok {
		t.Errorf("the leader serves no pipeline series\n%s", c.logs(a))
	}
}
