package clarisim

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/clari-exporter/clari_exporter/clari"
)

// getLimits reads /admin/limits over HTTP.
func getLimits(t *testing.T, srv *httptest.Server) clari.Limits {
	t.Helper()
	code, _, b := do(t, srv, http.MethodGet, "/admin/limits", "")
	if code != 200 {
		t.Fatalf("limits: %d %s", code, b)
	}
	var env struct {
		Jobs *clari.Limits `json:"jobs"`
	}
	if err := json.Unmarshal(b, &env); err != nil || env.Jobs == nil {
		t.Fatalf("limits body %s: %v", b, err)
	}
	return *env.Jobs
}

func TestQuotaWindowAndLimits(t *testing.T) {
	sim, srv, clk := newTestSim(t, Options{Scenario: Scenario{MonthlyQuota: 3, ConcurrentLimit: 10, QuotaWindow: 24 * time.Hour}})
	limits := func() clari.Limits { return getLimits(t, srv) }
	if l := limits(); l.MonthlyQuota != 3 || l.AvailableMonthlyQuota != 3 || len(l.SubmittedJobIDs) != 0 {
		t.Fatalf("fresh limits %+v", l)
	}
	for range 3 {
		create(t, srv, "net_arr", "")
		clk.Advance(time.Hour)
	}
	if l := limits(); l.AvailableMonthlyQuota != 0 || len(l.SubmittedJobIDs) != 3 {
		t.Fatalf("after 3 jobs %+v", l)
	}
	code, _, b := do(t, srv, http.MethodPost, "/export/forecast/net_arr", "")
	if e := apiErr(t, b); code != 400 || e.Code != "export_monthly_quota_reached" || e.ErrorID == "" || e.OrgID == 0 {
		t.Fatalf("over quota: %d %s", code, b)
	}
	// The first job leaves the rolling window 24 h after its creation.
	clk.Advance(21*time.Hour + time.Minute)
	if l := limits(); l.AvailableMonthlyQuota != 1 || len(l.SubmittedJobIDs) != 2 {
		t.Fatalf("after the window rolled %+v", l)
	}
	create(t, srv, "net_arr", "")
	if st := sim.Stats(); st.CreateCalls != 5 || st.JobsCreated != 4 {
		t.Errorf("stats %+v", st)
	}
	if l := sim.Limits(); l.AvailableMonthlyQuota != 0 {
		t.Errorf("Sim.Limits %+v", l)
	}
}

func TestConcurrencyAndCancel(t *testing.T) {
	sim, srv, _ := newTestSim(t, Options{Scenario: Scenario{ConcurrentLimit: 2, JobDuration: time.Minute}})
	a := create(t, srv, "net_arr", "")
	create(t, srv, "bookings", "")
	code, _, b := do(t, srv, http.MethodPost, "/export/forecast/net_arr", "")
	if code != 400 || apiErr(t, b).Code != "export_monthly_quota_reached" {
		t.Fatalf("over concurrency: %d %s", code, b)
	}
	if l := sim.Limits(); l.AvailableConcurrentLimit != 0 || len(l.RunningJobIDs) != 2 {
		t.Fatalf("limits while 2 run: %+v", l)
	}
	if code, _, b := do(t, srv, http.MethodPatch, "/export/jobs/"+a, `{"type":"NOPE"}`); code != 400 {
		t.Fatalf("bad cancel body: %d %s", code, b)
	}
	if code, _, b := do(t, srv, http.MethodPatch, "/export/jobs/"+a, `{"type":"CANCEL"}`); code != 200 {
		t.Fatalf("cancel: %d %s", code, b)
	}
	if got := jobStatus(t, srv, a); got != "CANCELLED" {
		t.Fatalf("cancelled job is %s", got)
	}
	if l := sim.Limits(); l.AvailableConcurrentLimit != 1 || len(l.RunningJobIDs) != 1 {
		t.Fatalf("limits after cancel: %+v", l)
	}
	create(t, srv, "net_arr", "")
	if st := sim.Stats(); st.Cancels != 1 {
		t.Errorf("cancels %d", st.Cancels)
	}
}

func TestFinalStatuses(t *testing.T) {
	sim, srv, clk := newTestSim(t, Options{Scenario: Scenario{
		JobDuration:     10 * time.Second,
		ConcurrentLimit: 10,
		Forecasts:       map[string]ForecastScenario{"bookings": {FinalStatus: clari.StatusAborted}},
	}})
	if err := sim.NextJobEnds("net_arr", clari.StatusFailed); err != nil {
		t.Fatal(err)
	}
	if err := sim.NextJobEnds("", NeverFinish); err != nil {
		t.Fatal(err)
	}
	failed := create(t, srv, "net_arr", "")
	never := create(t, srv, "net_arr", "")
	aborted := create(t, srv, "bookings", "")
	done := create(t, srv, "net_arr", "")
	clk.Advance(time.Hour)
	for id, want := range map[string]string{failed: "FAILED", never: "STARTED", aborted: "ABORTED", done: "DONE"} {
		if got := jobStatus(t, srv, id); got != want {
			t.Errorf("job %s: %s, want %s", id, got, want)
		}
	}
	code, _, b := do(t, srv, http.MethodGet, "/export/jobs/"+failed+"/results", "")
	if code != 400 || apiErr(t, b).Code != "invalid_jobId" {
		t.Errorf("results of a FAILED job: %d %s", code, b)
	}
	j, _ := sim.Job(done)
	if j.Job.StartTime == 0 || j.Job.EndTime-j.Job.StartTime != int64(7500) || j.Job.ExpiredTime != j.Job.EndTime+30*24*3600*1000 {
		t.Errorf("times of a DONE job: %+v", j.Job)
	}
	if err := sim.NextJobEnds("", "WEIRD"); err == nil {
		t.Error("NextJobEnds accepted an unknown status")
	}
}

func TestCreateErrors(t *testing.T) {
	sim, srv, _ := newTestSim(t, Options{Scenario: Scenario{RejectCRMTypes: true, NoOptIn: []string{"bookings"}}})
	for _, c := range []struct {
		forecast, body string
		status         int
		code           string
	}{
		{"no_such_tab", "", 400, "no_such_forecast_config"},
		{"bookings", "", 401, "no_optin"},
		{"net_arr", `{"typesToExport":["forecast","crm_total"]}`, 400, "type_not_supported"},
		{"net_arr", `{"typesToExport":["bogus"]}`, 400, "type_not_supported"},
		{"net_arr", `{"exportFormat":"XML"}`, 400, "invalid_request"},
		{"net_arr", `{"timePeriod":2026}`, 400, "invalid_request"},
		{"net_arr", `not json`, 400, "invalid_request"},
	} {
		code, _, b := do(t, srv, http.MethodPost, "/export/forecast/"+c.forecast, c.body)
		if code != c.status || apiErr(t, b).Code != c.code {
			t.Errorf("%s %s: %d %s, want %d %s", c.forecast, c.body, code, b, c.status, c.code)
		}
	}
	if st := sim.Stats(); st.JobsCreated != 0 {
		t.Errorf("failed creates created %d jobs", st.JobsCreated)
	}
	// scopeId as a string and as an object.
	a := create(t, srv, "net_arr", `{"scopeId":"1905::MGR","exportFormat":"csv"}`)
	b := create(t, srv, "net_arr", `{"scopeId":{"scopeId":"77::REP"}}`)
	ja, _ := sim.Job(a)
	jb, _ := sim.Job(b)
	if ja.Request.ScopeID != "1905::MGR" || ja.Params.Format != clari.FormatCSV || jb.Request.ScopeID != "77::REP" {
		t.Errorf("scope/format decoding: %+v / %+v", ja.Request, jb.Request)
	}
	foreign := sim.AddForeignJob()
	if code, _, _ := do(t, srv, http.MethodGet, "/export/jobs/"+foreign, ""); code != 403 {
		t.Errorf("foreign job: %d, want 403", code)
	}
	if code, _, b := do(t, srv, http.MethodGet, "/export/jobs/ffffffffffffffffffffffff", ""); code != 400 || apiErr(t, b).Code != "invalid_jobId" {
		t.Errorf("unknown job: %d %s", code, b)
	}
}

func TestEnvelopes(t *testing.T) {
	sim, srv, _ := newTestSim(t, Options{})
	id := create(t, srv, "net_arr", "")
	_, _, b := do(t, srv, http.MethodGet, "/export/jobs/"+id, "")
	var wrapped struct {
		Job clari.Job `json:"job"`
	}
	if err := json.Unmarshal(b, &wrapped); err != nil || wrapped.Job.JobID != id || wrapped.Job.Status != clari.StatusDone {
		t.Fatalf("wrapped job %s", b)
	}
	_, _, b = do(t, srv, http.MethodGet, "/export/jobs", "")
	var arr []clari.Job
	if err := json.Unmarshal(b, &arr); err != nil || len(arr) != 1 || arr[0].JobID != id {
		t.Fatalf("array list %s", b)
	}
	if err := sim.UpdateScenario(func(sc *Scenario) { sc.JobEnvelope, sc.ListEnvelope, sc.CreateStatus = JobFlat, ListObject, 202 }); err != nil {
		t.Fatal(err)
	}
	_, _, b = do(t, srv, http.MethodGet, "/export/jobs/"+id, "")
	var flat clari.Job
	if err := json.Unmarshal(b, &flat); err != nil || flat.JobID != id {
		t.Fatalf("flat job %s", b)
	}
	_, _, b = do(t, srv, http.MethodGet, "/export/jobs", "")
	var obj struct {
		Jobs []clari.Job `json:"jobs"`
	}
	if err := json.Unmarshal(b, &obj); err != nil || len(obj.Jobs) != 1 {
		t.Fatalf("object list %s", b)
	}
	if code, _, _ := do(t, srv, http.MethodPost, "/export/forecast/net_arr", ""); code != 202 {
		t.Fatalf("create status %d, want 202", code)
	}
	if err := sim.UpdateScenario(func(sc *Scenario) { sc.JobEnvelope = "boxed" }); err == nil {
		t.Fatal("UpdateScenario accepted an unknown envelope")
	}
}

func TestJobIDsDeterministic(t *testing.T) {
	ids := func(seed int64) []string {
		_, srv, _ := newTestSim(t, Options{Seed: seed})
		return []string{create(t, srv, "net_arr", ""), create(t, srv, "net_arr", "")}
	}
	a, b, c := ids(5), ids(5), ids(6)
	if a[0] != b[0] || a[1] != b[1] || a[0] == a[1] || a[0] == c[0] {
		t.Fatalf("job ids: seed 5 %v and %v, seed 6 %v", a, b, c)
	}
}

func TestZeroQuotaSurvivesUpdates(t *testing.T) {
	sim, srv, _ := newTestSim(t, Options{Scenario: Scenario{MonthlyQuota: -1, AuditEvents: -1}})
	// A later UpdateScenario re-applies defaults; "no quota" must stay.
	if err := sim.UpdateScenario(func(sc *Scenario) { sc.CreateStatus = 202 }); err != nil {
		t.Fatal(err)
	}
	code, _, b := do(t, srv, http.MethodPost, "/export/forecast/net_arr", "")
	if code != 400 || apiErr(t, b).Code != "export_monthly_quota_reached" {
		t.Fatalf("create with no quota: %d %s", code, b)
	}
	if l := sim.Limits(); l.MonthlyQuota != 0 || l.AvailableMonthlyQuota != 0 {
		t.Fatalf("limits %+v", l)
	}
	_, _, b = do(t, srv, http.MethodGet, "/audit/events", "")
	if !strings.Contains(string(b), `"items":[]`) || strings.Contains(string(b), "nextLink") {
		t.Fatalf("audit events with none: %s", b)
	}
}
