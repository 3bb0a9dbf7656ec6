package clarisim

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/clari-exporter/clari_exporter/clari"
)

func TestTooManyRequests(t *testing.T) {
	sim, srv, _ := newTestSim(t, Options{})
	if err := sim.AddFault(Fault{Kind: FaultTooManyRequests, Endpoint: clari.EndpointLimits, Count: 2, RetryAfter: "3"}); err != nil {
		t.Fatal(err)
	}
	if err := sim.AddFault(Fault{Kind: FaultTooManyRequests, Endpoint: clari.EndpointLimits}); err != nil {
		t.Fatal(err)
	}
	// Another endpoint is not affected.
	if code, _, _ := do(t, srv, http.MethodGet, "/export/jobs", ""); code != 200 {
		t.Fatalf("list jobs: %d", code)
	}
	for i, want := range []string{"3", "3", ""} {
		code, hdr, _ := do(t, srv, http.MethodGet, "/admin/limits", "")
		if code != 429 || hdr.Get("Retry-After") != want {
			t.Errorf("request %d: %d Retry-After %q, want 429 %q", i, code, hdr.Get("Retry-After"), want)
		}
	}
	if code, _, _ := do(t, srv, http.MethodGet, "/admin/limits", ""); code != 200 {
		t.Errorf("after the faults: %d", code)
	}
	if st := sim.Stats(); st.Faults[FaultTooManyRequests] != 3 || st.Responses[429] != 3 {
		t.Errorf("stats %+v", st)
	}
}

func TestServerErrorBurst(t *testing.T) {
	sim, srv, _ := newTestSim(t, Options{})
	_ = sim.AddFault(Fault{Kind: FaultServerError, Count: 2, Status: 503})
	_ = sim.AddFault(Fault{Kind: FaultServerError})
	var codes []int
	for range 4 {
		code, _, _ := do(t, srv, http.MethodGet, "/admin/limits", "")
		codes = append(codes, code)
	}
	if codes[0] != 503 || codes[1] != 503 || codes[2] != 500 || codes[3] != 200 {
		t.Fatalf("codes %v, want [503 503 500 200]", codes)
	}
	if err := sim.AddFault(Fault{Kind: FaultServerError, Status: 404}); err == nil {
		t.Error("a 404 server error fault was accepted")
	}
}

func TestHangUnblocksOnCancel(t *testing.T) {
	sim, srv, _ := newTestSim(t, Options{})
	_ = sim.AddFault(Fault{Kind: FaultHang, Endpoint: clari.EndpointGetJob, Count: -1})
	id := create(t, srv, "net_arr", "")
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/export/jobs/"+id, nil)
	req.Header.Set("apikey", testKey)
	start := time.Now()
	resp, err := srv.Client().Do(req)
	if err == nil {
		resp.Body.Close()
		t.Fatalf("hung request answered %d", resp.StatusCode)
	}
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 5*time.Second {
		t.Fatalf("hung request: %v after %v", err, time.Since(start))
	}
	// The handler returns once the client has gone: the 0-status response
	// is counted.
	deadline := time.Now().Add(5 * time.Second)
	for sim.Stats().Responses[0] != 1 {
		if time.Now().After(deadline) {
			t.Fatal("handler still blocked after the client cancelled")
		}
		time.Sleep(5 * time.Millisecond)
	}
	// Close releases a request hung "while set" without an answer.
	errc := make(chan error, 1)
	go func() {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+"/export/jobs/"+id, nil)
		req.Header.Set("apikey", testKey)
		resp, err := srv.Client().Do(req)
		if err == nil {
			resp.Body.Close()
			err = errors.New("answered " + resp.Status)
		}
		errc <- err
	}()
	for sim.Stats().Faults[FaultHang] != 2 {
		time.Sleep(2 * time.Millisecond)
	}
	sim.Close()
	select {
	case err := <-errc:
		if !strings.Contains(err.Error(), "EOF") {
			t.Errorf("released request: %v, want an EOF error", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not release the hung request")
	}
	sim.ClearFaults()
	if got := jobStatus(t, srv, id); got != "DONE" {
		t.Fatalf("after clearing: %s", got)
	}
}

func TestTruncatedAndMalformedResults(t *testing.T) {
	sim, srv, _ := newTestSim(t, Options{Tenant: smallTenant})
	id := create(t, srv, "net_arr", "")
	csvID := create(t, srv, "net_arr", `{"exportFormat":"CSV"}`)
	_ = sim.AddFault(Fault{Kind: FaultTruncate, Bytes: 700})
	_ = sim.AddFault(Fault{Kind: FaultMalformed, Endpoint: clari.EndpointResults, Bytes: 300, Count: 2})

	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/export/jobs/"+id+"/results", nil)
	req.Header.Set("apikey", testKey)
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || err == nil || len(b) != 700 {
		t.Fatalf("truncated: status %d, %d bytes, err %v; want 200, 700 bytes and a read error", resp.StatusCode, len(b), err)
	}

	code, _, b := do(t, srv, http.MethodGet, "/export/jobs/"+id+"/results", "")
	var v any
	if code != 200 || json.Unmarshal(b, &v) == nil || len(b) < 300 {
		t.Fatalf("malformed JSON: %d, %d bytes, parses: %v", code, len(b), json.Unmarshal(b, &v) == nil)
	}
	code, _, b = do(t, srv, http.MethodGet, "/export/jobs/"+csvID+"/results", "")
	if code != 200 || !strings.Contains(string(b[300:]), `"unterminated`) {
		t.Fatalf("malformed CSV: %d %q", code, b[290:])
	}
	code, _, b = do(t, srv, http.MethodGet, "/export/jobs/"+id+"/results", "")
	if code != 200 || json.Unmarshal(b, &v) != nil {
		t.Fatalf("after the faults: %d, parses: %v", code, json.Unmarshal(b, &v))
	}
	if err := sim.AddFault(Fault{Kind: FaultTruncate, Endpoint: clari.EndpointLimits}); err == nil {
		t.Error("truncate on limits accepted")
	}
}

func TestCreateThenError(t *testing.T) {
	sim, srv, _ := newTestSim(t, Options{})
	_ = sim.AddFault(Fault{Kind: FaultCreateThenError})
	code, _, b := do(t, srv, http.MethodPost, "/export/forecast/net_arr", "")
	if code != 500 || apiErr(t, b).Code != "internal_server_error" {
		t.Fatalf("create: %d %s", code, b)
	}
	jobs := sim.Jobs()
	if len(jobs) != 1 || sim.Limits().AvailableMonthlyQuota != 999 {
		t.Fatalf("the failed create should have made a job that costs quota: %d jobs, %+v", len(jobs), sim.Limits())
	}
	create(t, srv, "net_arr", "")
}

func TestAuditPagination(t *testing.T) {
	_, srv, _ := newTestSim(t, Options{Scenario: Scenario{AuditEvents: 23}})
	create(t, srv, "net_arr", "")
	next := srv.URL + "/audit/events?limit=10"
	pages, events := 0, 0
	var lastTS int64 = 1 << 62
	for next != "" {
		if !strings.HasPrefix(next, srv.URL+"/") {
			t.Fatalf("nextLink %q is not absolute on %s", next, srv.URL)
		}
		code, _, b := do(t, srv, http.MethodGet, strings.TrimPrefix(next, srv.URL), "")
		if code != 200 {
			t.Fatalf("page %d: %d %s", pages, code, b)
		}
		var page struct {
			Items    []clari.AuditEvent `json:"items"`
			NextLink string             `json:"nextLink"`
		}
		if err := json.Unmarshal(b, &page); err != nil {
			t.Fatal(err)
		}
		for _, e := range page.Items {
			if e.Event == "" || len(e.ActorID) == 0 || e.EventTimestamp > lastTS {
				t.Fatalf("event %+v (previous timestamp %d)", e, lastTS)
			}
			lastTS = e.EventTimestamp
		}
		pages++
		events += len(page.Items)
		next = page.NextLink
	}
	if pages != 3 || events != 24 {
		t.Fatalf("%d pages, %d events; want 3 pages, 24 events", pages, events)
	}
	if code, _, _ := do(t, srv, http.MethodGet, "/audit/events?limit=0", ""); code != 400 {
		t.Errorf("limit=0: %d", code)
	}
}

func TestSlowFault(t *testing.T) {
	sim, srv, _ := newTestSim(t, Options{})
	_ = sim.AddFault(Fault{Kind: FaultSlow, Endpoint: clari.EndpointLimits, Delay: 60 * time.Millisecond})
	start := time.Now()
	code, _, _ := do(t, srv, http.MethodGet, "/admin/limits", "")
	if el := time.Since(start); code != 200 || el < 60*time.Millisecond {
		t.Fatalf("slow request: %d after %v, want 200 after >= 60ms", code, el)
	}
	if code, _, _ := do(t, srv, http.MethodGet, "/admin/limits", ""); code != 200 || sim.Stats().Faults[FaultSlow] != 1 {
		t.Fatalf("second request: %d, slow faults %d; want 200 and the fault used once", code, sim.Stats().Faults[FaultSlow])
	}
}

// TestConcurrentClients drives the simulator from several goroutines
// (meaningful under -race) and checks the counters add up.
func TestConcurrentClients(t *testing.T) {
	sim, srv, clk := newTestSim(t, Options{Tenant: TenantSpec{Users: 5}, Scenario: Scenario{ConcurrentLimit: 100, JobDuration: time.Second}})
	const workers, perWorker = 6, 5
	errs := make(chan error, workers)
	for w := 0; w < workers; w++ {
		go func() {
			for i := 0; i < perWorker; i++ {
				req, _ := http.NewRequest(http.MethodPost, srv.URL+"/export/forecast/net_arr", strings.NewReader(`{"includeHistorical":true}`))
				req.Header.Set("apikey", testKey)
				resp, err := srv.Client().Do(req)
				if err != nil {
					errs <- err
					return
				}
				var body struct{ JobID string }
				_ = json.NewDecoder(resp.Body).Decode(&body)
				resp.Body.Close()
				clk.Advance(time.Second)
				for _, p := range []string{"/export/jobs/" + body.JobID, "/export/jobs/" + body.JobID + "/results", "/admin/limits", "/export/jobs"} {
					req, _ := http.NewRequest(http.MethodGet, srv.URL+p, nil)
					req.Header.Set("apikey", testKey)
					resp, err := srv.Client().Do(req)
					if err != nil {
						errs <- err
						return
					}
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
			}
			errs <- nil
		}()
	}
	for w := 0; w < workers; w++ {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	st := sim.Stats()
	if st.JobsCreated != workers*perWorker || len(sim.Jobs()) != workers*perWorker || st.Requests[clari.EndpointLimits] != workers*perWorker {
		t.Fatalf("stats %+v, %d jobs", st, len(sim.Jobs()))
	}
	seen := map[string]bool{}
	for _, j := range sim.Jobs() {
		if seen[j.Job.JobID] {
			t.Fatalf("duplicate job id %s", j.Job.JobID)
		}
		seen[j.Job.JobID] = true
	}
}

// A create whose connection drops before Clari saw it makes no job and
// costs nothing; the next create is served as usual.
func TestResetBeforeCreateMakesNoJob(t *testing.T) {
	sim, srv, _ := newTestSim(t, Options{})
	if err := sim.AddFault(Fault{Kind: FaultReset, Endpoint: clari.EndpointCreateExport}); err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/export/forecast/net_arr", strings.NewReader(`{"timePeriod":"2026_Q4"}`))
	req.Header.Set("apikey", testKey)
	if resp, err := srv.Client().Do(req); err == nil {
		resp.Body.Close()
		t.Fatalf("reset create answered %d", resp.StatusCode)
	}
	if n := len(sim.Jobs()); n != 0 || sim.Limits().AvailableMonthlyQuota != 1000 || sim.Stats().CreateCalls != 0 {
		t.Fatalf("a create Clari never saw made %d jobs, limits %+v, stats %+v", n, sim.Limits(), sim.Stats())
	}
	create(t, srv, "net_arr", "")
	if n := len(sim.Jobs()); n != 1 {
		t.Fatalf("%d jobs after one create", n)
	}
}

// A create answered only after the client's timeout, its job made 4 s
// later: until then the job is in neither the list, GET nor the quota; then
// it is, with its late creation time in its id.
func TestCreateAnsweredLateJobMadeLater(t *testing.T) {
	sim, srv, clk := newTestSim(t, Options{})
	if err := sim.AddFault(Fault{Kind: FaultCreateThenHang, Delay: 4 * time.Second}); err != nil {
		t.Fatal(err)
	}
	asked := clk.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL+"/export/forecast/net_arr", nil)
	req.Header.Set("apikey", testKey)
	if resp, err := srv.Client().Do(req); err == nil {
		resp.Body.Close()
		t.Fatalf("a hung create answered %d", resp.StatusCode)
	}
	listed := func() []clari.Job {
		code, _, b := do(t, srv, http.MethodGet, "/export/jobs", "")
		var jobs []clari.Job
		if err := json.Unmarshal(b, &jobs); code != 200 || err != nil {
			t.Fatalf("list: %d %s", code, b)
		}
		return jobs
	}
	clk.Advance(3 * time.Second)
	if jobs := listed(); len(jobs) != 0 || sim.Limits().AvailableMonthlyQuota != 1000 {
		t.Fatalf("3 s after the create: %d jobs listed, limits %+v", len(jobs), sim.Limits())
	}
	clk.Advance(time.Second)
	jobs := listed()
	if len(jobs) != 1 || sim.Limits().AvailableMonthlyQuota != 999 {
		t.Fatalf("4 s after the create: %d jobs listed, limits %+v", len(jobs), sim.Limits())
	}
	if at, ok := clari.JobIDTime(jobs[0].JobID); !ok || !at.Equal(asked.Add(4*time.Second).Truncate(time.Second)) {
		t.Errorf("job id time %v, want the late creation %v", at, asked.Add(4*time.Second))
	}
	if jobStatus(t, srv, jobs[0].JobID) != string(clari.StatusDone) {
		t.Errorf("the late job did not run")
	}
}
