package clarisim

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

const testKey = "test-key-123"

// newTestSim starts a simulator behind httptest with a fake clock at
// DefaultNow and a small tenant.
func newTestSim(t *testing.T, opts Options) (*Sim, *httptest.Server, *Clock) {
	t.Helper()
	clk := NewClock(DefaultNow)
	if opts.APIKey == "" {
		opts.APIKey = testKey
	}
	if opts.Clock == nil {
		opts.Clock = clk.Now
	}
	if opts.Tenant.Users == 0 {
		opts.Tenant.Users = 20
	}
	sim := New(opts)
	srv := httptest.NewServer(sim)
	t.Cleanup(func() {
		sim.Close()
		srv.Close()
	})
	return sim, srv, clk
}

// do sends a request with the test key and returns status, headers, body.
func do(t *testing.T, srv *httptest.Server, method, path, body string) (int, http.Header, []byte) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, srv.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("apikey", testKey)
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading body: %v", method, path, err)
	}
	return resp.StatusCode, resp.Header, b
}

// create posts an export and returns the job id.
func create(t *testing.T, srv *httptest.Server, forecast, body string) string {
	t.Helper()
	code, _, b := do(t, srv, http.MethodPost, "/export/forecast/"+forecast, body)
	if code/100 != 2 {
		t.Fatalf("create %s: status %d: %s", forecast, code, b)
	}
	var r struct {
		JobID string `json:"jobId"`
	}
	if err := json.Unmarshal(b, &r); err != nil || len(r.JobID) != 24 {
		t.Fatalf("create %s: bad body %s (%v)", forecast, b, err)
	}
	return r.JobID
}

// apiErr decodes Clari's error body.
func apiErr(t *testing.T, b []byte) apiError {
	t.Helper()
	var e apiError
	if err := json.Unmarshal(b, &e); err != nil {
		t.Fatalf("error body %s: %v", b, err)
	}
	return e
}

// jobStatus reads a job in either envelope.
func jobStatus(t *testing.T, srv *httptest.Server, id string) string {
	t.Helper()
	code, _, b := do(t, srv, http.MethodGet, "/export/jobs/"+id, "")
	if code != 200 {
		t.Fatalf("get job: %d %s", code, b)
	}
	var env struct {
		Job *struct {
			Status string `json:"status"`
		} `json:"job"`
		Status string `json:"status"`
	}
	if err := json.Unmarshal(b, &env); err != nil {
		t.Fatal(err)
	}
	if env.Job != nil {
		return env.Job.Status
	}
	return env.Status
}
