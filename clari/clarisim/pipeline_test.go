package clarisim

import (
	"bytes"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/clari-exporter/clari_exporter/clari"
)

func TestPipelineJobsAppearAndEnd(t *testing.T) {
	sim, srv, clk := newTestSim(t, Options{})
	start := clk.Now()
	f := sim.Tenant().Forecasts[0]
	if err := sim.StartPipeline(start, []PipelineJob{
		{At: 0, Forecast: f},
		{At: 10 * time.Second, Forecast: f, Final: clari.StatusFailed},
		{At: 20 * time.Second, Forecast: f, Final: NeverFinish},
		{At: 30 * time.Second, Forecast: f, Undownloaded: true},
	}); err != nil {
		t.Fatal(err)
	}
	list := func() []clari.Job {
		code, _, body := do(t, srv, http.MethodGet, "/export/jobs", "")
		if code != 200 {
			t.Fatalf("list: %d %s", code, body)
		}
		var jobs []clari.Job
		if err := clari.DecodeJobList(bytes.NewReader(body), func(j *clari.Job) error { jobs = append(jobs, *j); return nil }); err != nil {
			t.Fatal(err)
		}
		return jobs
	}
	if n := len(list()); n != 1 {
		t.Fatalf("at start: %d jobs listed, want 1", n)
	}
	clk.Advance(5 * time.Minute)
	jobs := list()
	if len(jobs) != 4 {
		t.Fatalf("%d jobs, want 4", len(jobs))
	}
	want := []clari.JobStatus{clari.StatusDone, clari.StatusFailed, clari.StatusStarted, clari.StatusDone}
	for i, j := range jobs {
		if j.Status != want[i] {
			t.Errorf("job %d: %s, want %s", i, j.Status, want[i])
		}
		idt, ok := clari.JobIDTime(j.JobID)
		if at := start.Add(time.Duration(i) * 10 * time.Second); !ok || !idt.Equal(at.Truncate(time.Second)) {
			t.Errorf("job %d: id time %v, want %v", i, idt, at)
		}
		fn, err := clari.ParseExportFileName(j.FileName)
		if err != nil || fn.ForecastID != f || !fn.Created.Equal(idt) {
			t.Errorf("job %d: file name %q: %+v %v", i, j.FileName, fn, err)
		}
	}
	if jobs[0].Downloads != 1 || jobs[3].Downloads != 0 {
		t.Fatalf("downloads %d and %d, want 1 (the pipeline's own) and 0 (never downloaded)", jobs[0].Downloads, jobs[3].Downloads)
	}
	if code, _, _ := do(t, srv, http.MethodGet, "/export/jobs/"+jobs[3].JobID+"/results", ""); code != 200 {
		t.Fatalf("results: %d", code)
	}
	if j := list()[3]; j.Downloads != 1 {
		t.Fatalf("downloads after one download: %d", j.Downloads)
	}
	if st := sim.Stats(); st.JobsCreated != 0 || st.CreateCalls != 0 {
		t.Fatalf("pipeline jobs counted as creates: %+v", st)
	}
}

func TestOrgJobsInLimitsAndProjection(t *testing.T) {
	sim, srv, clk := newTestSim(t, Options{Scenario: Scenario{MonthlyQuota: 100}})
	now := clk.Now()
	sim.AddOrgJobs(OrgJob{Created: now.Add(-time.Hour), Duration: 2 * time.Hour}, OrgJob{Created: now.Add(-40 * 24 * time.Hour)})
	if err := sim.SetOrgLoad(OrgLoad{From: now.Add(-10 * 24 * time.Hour), Every: 12 * time.Hour}); err != nil {
		t.Fatal(err)
	}
	code, _, body := do(t, srv, http.MethodGet, "/admin/limits", "")
	var env struct {
		Jobs clari.Limits `json:"jobs"`
	}
	if code != 200 || json.Unmarshal(body, &env) != nil {
		t.Fatalf("limits: %d %s", code, body)
	}
	// one running org job + 21 load jobs (day -10 .. now every 12 h); the 40-day-old one rolled out
	if l := env.Jobs; len(l.SubmittedJobIDs) != 22 || len(l.RunningJobIDs) != 1 || l.AvailableMonthlyQuota != 78 {
		t.Fatalf("limits: %d submitted, %d running, %d available", len(l.SubmittedJobIDs), len(l.RunningJobIDs), l.AvailableMonthlyQuota)
	}
	u := sim.OrgUsage()
	if u.Submitted != 22 || u.ByOthers != 22 || !u.OldestRunningCreated.Equal(now.Add(-time.Hour)) {
		t.Fatalf("usage %+v", u)
	}
	// 2 a day, nothing rolls out for 20 days: 78 available → 50 after 28 more jobs = 14 days.
	at, ok := sim.ProjectQuotaExhaustion(50, 30*24*time.Hour)
	if !ok || at.Sub(now) < 13*24*time.Hour || at.Sub(now) > 15*24*time.Hour {
		t.Fatalf("projection %v (%v from now), %v", at, at.Sub(now), ok)
	}
	if _, ok := sim.ProjectQuotaExhaustion(50, 24*time.Hour); ok {
		t.Fatal("projected within a day")
	}
	// Roll-off: from day 20 on as many leave as enter, so 10 is never reached.
	if at, ok := sim.ProjectQuotaExhaustion(10, 30*24*time.Hour); ok {
		t.Fatalf("reserve 10 projected at %v despite roll-off", at)
	}
}

func TestJobHistoryListsThousands(t *testing.T) {
	sim, srv, clk := newTestSim(t, Options{})
	sim.AddJobHistory(5000, clk.Now().Add(-400*24*time.Hour), clk.Now().Add(-31*24*time.Hour))
	_, _, body := do(t, srv, http.MethodGet, "/export/jobs", "")
	n, failed := 0, 0
	if err := clari.DecodeJobList(bytes.NewReader(body), func(j *clari.Job) error {
		n++
		if j.Status == clari.StatusFailed {
			failed++
		}
		return nil
	}); err != nil || n != 5000 || failed != 100 {
		t.Fatalf("%d jobs, %d failed, %v", n, failed, err)
	}
	if l := sim.Limits(); len(l.SubmittedJobIDs) != 0 {
		t.Fatalf("history older than the window counted: %d", len(l.SubmittedJobIDs))
	}
}
