package clarisim

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/clari-exporter/clari_exporter/clari"
)

func TestAuthAndRoutes(t *testing.T) {
	sim, srv, _ := newTestSim(t, Options{})
	for _, key := range []string{"", "wrong"} {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+"/admin/limits", nil)
		if key != "" {
			req.Header.Set("apikey", key)
		}
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var body map[string]string
		_ = json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		if resp.StatusCode != 401 || body["message"] != "Invalid authentication credentials" {
			t.Errorf("key %q: got %d %v, want 401 Invalid authentication credentials", key, resp.StatusCode, body)
		}
	}
	// Bearer is not how Clari authenticates.
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/admin/limits", nil)
	req.Header.Set("Authorization", "Bearer "+testKey)
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 401 {
		t.Errorf("Bearer auth: got %d, want 401", resp.StatusCode)
	}
	code, _, b := do(t, srv, http.MethodGet, "/forecast/types", "")
	if code != 404 || string(b) != `{"message":"no Route matched with those values"}`+"\n" {
		t.Errorf("unknown route: %d %s", code, b)
	}
	if code, _, _ := do(t, srv, http.MethodGet, "/v4/admin/limits", ""); code != 200 {
		t.Errorf("/v4 prefix: got %d, want 200", code)
	}
	st := sim.Stats()
	if st.Unauthorized != 3 || st.Requests["unknown"] != 1 || st.Requests[clari.EndpointLimits] != 4 {
		t.Errorf("stats: %+v", st)
	}
}

func TestCreatePollResultsJSON(t *testing.T) {
	sim, srv, clk := newTestSim(t, Options{Seed: 7, Scenario: Scenario{JobDuration: 40 * time.Second}})
	id := create(t, srv, "net_arr", `{"timePeriod":"2027_Q4","typesToExport":["forecast","quota","forecast_updated"]}`)
	if got := jobStatus(t, srv, id); got != "SCHEDULED" {
		t.Fatalf("fresh job: %s, want SCHEDULED", got)
	}
	code, _, b := do(t, srv, http.MethodGet, "/export/jobs/"+id+"/results", "")
	if code != 400 || apiErr(t, b).Code != "invalid_jobId" {
		t.Fatalf("results before DONE: %d %s", code, b)
	}
	clk.Advance(15 * time.Second)
	if got := jobStatus(t, srv, id); got != "STARTED" {
		t.Fatalf("after 15s: %s, want STARTED", got)
	}
	clk.Advance(30 * time.Second)
	if got := jobStatus(t, srv, id); got != "DONE" {
		t.Fatalf("after 45s: %s, want DONE", got)
	}
	code, hdr, b := do(t, srv, http.MethodGet, "/export/jobs/"+id+"/results", "")
	if code != 200 || hdr.Get("Content-Type") != "application/json" {
		t.Fatalf("results: %d %s", code, hdr.Get("Content-Type"))
	}
	var doc struct {
		Entries []map[string]any `json:"entries"`
		Users   []struct {
			UserID string `json:"userId"`
		} `json:"users"`
		Fields      []map[string]any `json:"fields"`
		TimePeriods []struct {
			TimePeriodID string `json:"timePeriodId"`
		} `json:"timePeriods"`
		TimeFrames []map[string]any `json:"timeFrames"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatalf("results are not JSON: %v", err)
	}
	if len(doc.Users) != 20 || len(doc.Fields) != 4 || len(doc.Entries) != 20*4 || len(doc.TimeFrames) != 1 {
		t.Fatalf("got %d users %d fields %d entries %d frames", len(doc.Users), len(doc.Fields), len(doc.Entries), len(doc.TimeFrames))
	}
	if len(doc.TimePeriods) != 1 || doc.TimePeriods[0].TimePeriodID != "2027_Q4" {
		t.Fatalf("timePeriods %+v", doc.TimePeriods)
	}
	nulls := 0
	for _, e := range doc.Entries {
		for _, k := range []string{"userId", "fieldId", "timePeriodId", "timeFrameId", "forecastValue", "quotaValue", "isUpdated", "updatedOn", "currency"} {
			if _, ok := e[k]; !ok {
				t.Fatalf("entry lacks %s: %v", k, e)
			}
		}
		for _, k := range []string{"adjustmentValue", "crmTotalValue", "crmClosedValue"} {
			if _, ok := e[k]; ok {
				t.Fatalf("entry has %s that was not requested: %v", k, e)
			}
		}
		if e["forecastValue"] == nil {
			nulls++
		}
	}
	if nulls == len(doc.Entries) {
		t.Fatal("every forecastValue is null")
	}
	if st := sim.Stats(); st.JobsCreated != 1 || st.CreateCalls != 1 || st.ResultsServed != 1 {
		t.Errorf("stats %+v", st)
	}
}
