package clarisim

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/clari-exporter/clari_exporter/clari"
)

// getJob reads a job over HTTP through clari.Job's own decoding.
func getJob(t *testing.T, srv *httptest.Server, id string) clari.Job {
	t.Helper()
	code, _, b := do(t, srv, http.MethodGet, "/export/jobs/"+id, "")
	var env struct {
		Job clari.Job `json:"job"`
	}
	if err := json.Unmarshal(b, &env); code != 200 || err != nil {
		t.Fatalf("get job %s: %d %s (%v)", id, code, b, err)
	}
	return env.Job
}

// entryUsers counts the distinct users of a JSON result's entries.
func entryUsers(t *testing.T, srv *httptest.Server, id string) int {
	t.Helper()
	code, _, b := do(t, srv, http.MethodGet, "/export/jobs/"+id+"/results", "")
	var doc struct {
		Entries []struct {
			UserID string `json:"userId"`
		} `json:"entries"`
	}
	if err := json.Unmarshal(b, &doc); code != 200 || err != nil {
		t.Fatalf("results %s: %d (%v)", id, code, err)
	}
	users := map[string]bool{}
	for _, e := range doc.Entries {
		users[e.UserID] = true
	}
	return len(users)
}

// A truncated DONE job says so in its record (a boolean, or a count of
// what was left out) and its document really is short; other jobs say
// false. The record is read by clari.Job's decoding, as the exporter reads it.
func TestTruncatedJobs(t *testing.T) {
	spec := TenantSpec{Users: 10, Fields: 2}.WithFebruaryYear()
	sim, srv, _ := newTestSim(t, Options{Tenant: spec})
	whole := create(t, srv, "net_arr", "")
	if err := sim.NextJobTruncated("net_arr", JobTruncation{Rows: true}); err != nil {
		t.Fatal(err)
	}
	if err := sim.NextJobTruncated("", JobTruncation{Cells: true, AsCount: true}); err != nil {
		t.Fatal(err)
	}
	if sim.NextJobTruncated("", JobTruncation{}) == nil {
		t.Error("a truncation that sets nothing was accepted")
	}
	rows := create(t, srv, "net_arr", "")
	cells := create(t, srv, "bookings", "")

	j := getJob(t, srv, whole)
	if j.Status != clari.StatusDone || j.Truncated() {
		t.Fatalf("complete job: %+v", j)
	}
	code, _, raw := do(t, srv, http.MethodGet, "/export/jobs/"+whole, "")
	if code != 200 || !json.Valid(raw) || !strings.Contains(string(raw), `"rowsTruncated":false`) || !strings.Contains(string(raw), `"cellsTruncated":false`) {
		t.Errorf("a complete job's record must carry both flags as false: %s", raw)
	}
	if j := getJob(t, srv, rows); !j.Truncated() || !j.RowsTruncated.Set || j.RowsTruncated.Count != 0 || j.CellsTruncated.Set {
		t.Errorf("rows truncated (boolean): %+v %+v", j.RowsTruncated, j.CellsTruncated)
	}
	// 5 of 10 users cut, 2 fields, 1 week (no includeHistorical), 2 default types.
	if j := getJob(t, srv, cells); !j.Truncated() || j.RowsTruncated.Set || j.CellsTruncated.Count != 5*2*1*2 {
		t.Errorf("cells truncated (count): %+v %+v", j.RowsTruncated, j.CellsTruncated)
	}
	if n, cut := entryUsers(t, srv, whole), entryUsers(t, srv, rows); n != 10 || cut != 5 {
		t.Errorf("users with entries: complete %d, truncated %d; want 10 and 5", n, cut)
	}

	// Every job of a scenario, and a forecast's own setting.
	if err := sim.UpdateScenario(func(sc *Scenario) {
		sc.Truncation = JobTruncation{Rows: true, AsCount: true}
		sc.Forecasts = map[string]ForecastScenario{"bookings": {Truncation: JobTruncation{Cells: true}}}
	}); err != nil {
		t.Fatal(err)
	}
	if j := getJob(t, srv, create(t, srv, "net_arr", "")); j.RowsTruncated.Count != 5*2*1 || j.CellsTruncated.Set {
		t.Errorf("scenario truncation: %+v %+v", j.RowsTruncated, j.CellsTruncated)
	}
	if j := getJob(t, srv, create(t, srv, "bookings", "")); j.RowsTruncated.Set || !j.CellsTruncated.Set {
		t.Errorf("forecast truncation: %+v %+v", j.RowsTruncated, j.CellsTruncated)
	}
}

// A truncated job of the production pipeline shows in the job list the
// watch reads.
func TestTruncatedPipelineJob(t *testing.T) {
	sim, srv, clk := newTestSim(t, Options{Tenant: TenantSpec{Users: 4}.WithFebruaryYear()})
	if err := sim.StartPipeline(clk.Now(), []PipelineJob{{Duration: time.Second}, {At: time.Second, Duration: time.Second, Truncation: JobTruncation{Rows: true, AsCount: true}}}); err != nil {
		t.Fatal(err)
	}
	clk.Advance(time.Minute)
	code, _, b := do(t, srv, http.MethodGet, "/export/jobs", "")
	var truncated, complete int
	err := clari.DecodeJobList(bytes.NewReader(b), func(j *clari.Job) error {
		if j.Truncated() {
			truncated++
		} else {
			complete++
		}
		return nil
	})
	if code != 200 || err != nil || truncated != 1 || complete != 1 {
		t.Fatalf("job list: %d, %v: %d truncated, %d complete\n%s", code, err, truncated, complete, b)
	}
}
