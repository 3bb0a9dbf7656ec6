package clari

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/clari-exporter/clari_exporter/secret"
)

const testKey = "unit-test-secret-key-0123456789"

// recorder is an Instrumentation that remembers every call.
type recorder struct {
	mu       sync.Mutex
	requests []string // endpoint + " " + code
	retries  []string // endpoint + " " + reason
	states   []string
}

func (r *recorder) Request(endpoint, code string, _ time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.requests = append(r.requests, endpoint+" "+code)
}

func (r *recorder) Retry(endpoint, reason string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.retries = append(r.retries, endpoint+" "+reason)
}

func (r *recorder) BreakerState(s string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.states = append(r.states, s)
}

func (r *recorder) snapshot() (req, ret, st []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.requests...), append([]string(nil), r.retries...), append([]string(nil), r.states...)
}

func newTestClient(t *testing.T, url string, mod func(*Options)) (*Client, *recorder) {
	t.Helper()
	rec := &recorder{}
	o := Options{BaseURL: url, APIKey: testKey, RequestTimeout: 2 * time.Second, Instrumentation: rec,
		Retry: RetryOptions{Enabled: true, InitialInterval: time.Millisecond, MaxInterval: 5 * time.Millisecond, MaxElapsedTime: 2 * time.Second}}
	if mod != nil {
		mod(&o)
	}
	c, err := New(o)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c, rec
}

func TestNewValidatesOptions(t *testing.T) {
	if _, err := New(Options{}); err == nil || !strings.Contains(err.Error(), "API key") {
		t.Fatalf("empty key: got %v, want an error naming the API key", err)
	}
	if _, err := New(Options{APIKey: "k\n"}); err == nil || !strings.Contains(err.Error(), "line break") {
		t.Fatalf("key with newline: got %v", err)
	}
	for _, bad := range []string{"api.clari.com/v4", "ftp://x/v4", "https://", "https://h/v4?x=1"} {
		if _, err := New(Options{APIKey: "k", BaseURL: bad}); err == nil {
			t.Errorf("base URL %q accepted", bad)
		}
	}
	c, err := New(Options{APIKey: "k", BaseURL: "https://example.test/v4/", RequestTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if c.BaseURL() != "https://example.test/v4" {
		t.Errorf("trailing slash not trimmed: %q", c.BaseURL())
	}
	// No defaults here: config decides the base URL and the timeout.
	if _, err := New(Options{APIKey: "k", RequestTimeout: time.Second}); err == nil || !strings.Contains(err.Error(), "base URL") {
		t.Errorf("no base URL: got %v, want an error naming the base URL", err)
	}
	if _, err := New(Options{APIKey: "k", BaseURL: ProductionBaseURL}); err == nil || !strings.Contains(err.Error(), "RequestTimeout") {
		t.Errorf("no request timeout: got %v, want an error naming RequestTimeout", err)
	}
	if c.BreakerState() != BreakerClosed {
		t.Errorf("breaker state without breaker = %q", c.BreakerState())
	}
}

func TestOptionsAndClientNeverPrintTheKey(t *testing.T) {
	o := Options{APIKey: testKey, BaseURL: "https://example.test/v4", RequestTimeout: time.Second}
	c, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{fmt.Sprint(o), fmt.Sprintf("%+v", o), fmt.Sprintf("%#v", o), fmt.Sprint(c), fmt.Sprintf("%+v", c), fmt.Sprint(&o)} {
		if strings.Contains(s, testKey) {
			t.Errorf("key printed: %s", s)
		}
	}
}

func TestHeadersSent(t *testing.T) {
	var got http.Header
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.Header.Clone()
		if r.URL.Path != "/v4/admin/limits" {
			t.Errorf("path = %s", r.URL.Path)
		}
		io.WriteString(w, `{"jobs":{"concurrentLimit":3,"monthlyQuota":1000,"availableConcurrentLimit":2,"availableMonthlyQuota":990,"submittedJobIds":["a"],"extra":1}}`)
	}))
	defer srv.Close()
	c, _ := newTestClient(t, srv.URL+"/v4/", func(o *Options) { o.UserAgentVersion = "1.2.3" })
	lim, err := c.Limits(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got.Get("apikey") != testKey || got.Get("Authorization") != "" {
		t.Errorf("auth headers: apikey=%q Authorization=%q", got.Get("apikey"), got.Get("Authorization"))
	}
	if got.Get("User-Agent") != "clari_exporter/1.2.3" {
		t.Errorf("User-Agent = %q", got.Get("User-Agent"))
	}
	if lim.ConcurrentLimit != 3 || lim.AvailableMonthlyQuota != 990 || len(lim.SubmittedJobIDs) != 1 {
		t.Errorf("limits = %+v", lim)
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 27, 16, 0, 0, 0, time.UTC)
	cases := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"3", 3 * time.Second, true},
		{" 0 ", 0, true},
		{"1.5", 1500 * time.Millisecond, true},
		{now.Add(7 * time.Second).Format(http.TimeFormat), 7 * time.Second, true},
		{now.Add(-time.Hour).Format(http.TimeFormat), 0, true},
		{"", 0, false},
		{"soon", 0, false},
		{"-4", 0, false},
	}
	for _, tc := range cases {
		got, ok := parseRetryAfter(tc.in, now)
		if got != tc.want || ok != tc.ok {
			t.Errorf("parseRetryAfter(%q) = %v,%v want %v,%v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestAPIErrorClassification(t *testing.T) {
	huge := strings.Repeat("x", 1<<20)
	cases := []struct {
		name   string
		status int
		body   string
		check  func(error) bool
		code   string
		retry  bool
	}{
		{"quota", 400, `{"code":"export_monthly_quota_reached","namespace":"export","errorId":"e1","message":"quota reached","orgId":"o"}`, IsQuotaExhausted, CodeQuotaReached, false},
		{"bad key", 401, `{"message":"Invalid authentication credentials"}`, IsAuth, "", false},
		{"no optin", 401, `{"code":"no_optin","message":"not opted in"}`, IsAuth, CodeNoOptIn, false},
		{"unknown tab", 400, `{"code":"no_such_forecast_config","message":"no"}`, IsConfigError, CodeNoSuchForecast, false},
		{"crm type", 400, `{"code":"type_not_supported","message":"no"}`, IsConfigError, CodeTypeNotSupported, false},
		{"gateway 404", 404, `{"message":"no Route matched with those values"}`, IsNotFound, "", false},
		{"html 502", 502, `<html><body>Bad gateway</body></html>`, IsRetryable, "", true},
		{"huge 500", 500, huge, IsRetryable, "", true},
		{"429", 429, `{"message":"API rate limit exceeded"}`, IsRetryable, "", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			rec.WriteHeader(tc.status)
			io.WriteString(rec, tc.body)
			e := newAPIError(EndpointCreateExport, rec.Result(), testKey, time.Now())
			if !tc.check(e) {
				t.Errorf("predicate false for %v", e)
			}
			if e.Code != tc.code || e.StatusCode != tc.status {
				t.Errorf("code/status = %q/%d", e.Code, e.StatusCode)
			}
			if IsRetryable(e) != tc.retry {
				t.Errorf("IsRetryable = %v", !tc.retry)
			}
			if len(e.Error()) > 600 {
				t.Errorf("error text not bounded: %d bytes", len(e.Error()))
			}
			if !strings.Contains(e.Error(), EndpointCreateExport) {
				t.Errorf("error does not name the endpoint: %s", e)
			}
		})
	}
	// Predicates see through wrapping and reject other errors.
	wrapped := fmt.Errorf("run: %w", &APIError{StatusCode: 400, Code: CodeQuotaReached})
	if !IsQuotaExhausted(wrapped) || IsAuth(wrapped) || IsRetryable(wrapped) {
		t.Error("wrapped quota error misclassified")
	}
	if IsAuth(errors.New("401")) || IsNotFound(nil) || IsRetryable(nil) {
		t.Error("non-API errors classified as API errors")
	}
}

func TestAPIErrorScrubsEchoedKey(t *testing.T) {
	rec := httptest.NewRecorder()
	rec.WriteHeader(401)
	io.WriteString(rec, `{"message":"key `+testKey+` is revoked","errorId":"`+testKey+`"}`)
	e := newAPIError(EndpointLimits, rec.Result(), testKey, time.Now())
	if strings.Contains(e.Error(), testKey) || strings.Contains(e.Message, testKey) || strings.Contains(e.ErrorID, testKey) {
		t.Fatalf("echoed key kept: %s", e)
	}
	if !strings.Contains(e.Message, secret.Redacted) {
		t.Errorf("message lost: %q", e.Message)
	}
}

func TestJobDocumentVariants(t *testing.T) {
	cases := []struct {
		name string
		doc  string
		want Job
	}{
		{"wrapped", `{"job":{"jobId":"j1","status":"DONE","startTime":1700000000000,"endTime":1700000001000,"title":"net_arr","unknown":{"x":1}}}`,
			Job{JobID: "j1", Status: StatusDone, StartTime: 1700000000000, EndTime: 1700000001000, Title: "net_arr"}},
		{"flat", `{"jobId":"j2","status":"STARTED","fileType":"JSON","currency":"USD"}`, Job{JobID: "j2", Status: StatusStarted, FileType: "JSON", Currency: "USD"}},
		{"loose types", `{"jobId":"j3","status":"done","startTime":"1700000000000","endTime":1.7e12,"expiredTime":"2026-11-27T16:00:00Z","currency":{"code":"EUR","symbol":"€"}}`,
			Job{JobID: "j3", Status: StatusDone, StartTime: 1700000000000, EndTime: 1700000000000, ExpiredTime: time.Date(2026, 11, 27, 16, 0, 0, 0, time.UTC).UnixMilli(), Currency: "EUR"}},
		{"null times", `{"jobId":"j4","status":"SCHEDULED","startTime":null}`, Job{JobID: "j4", Status: StatusScheduled}},
		{"create answer", `{"jobId":"0123456789abcdef01234567"}`, Job{JobID: "0123456789abcdef01234567"}},
		// A job's userId is a number at Clari; a string is accepted too.
		{"numeric userId", `{"jobId":"j5","status":"DONE","userId":280627}`, Job{JobID: "j5", Status: StatusDone, UserID: "280627"}},
		{"string userId", `{"jobId":"j6","status":"DONE","userId":"280627"}`, Job{JobID: "j6", Status: StatusDone, UserID: "280627"}},
	}
	for _, tc := range cases {
		got, err := decodeJobDocument([]byte(tc.doc))
		if err != nil || got != tc.want {
			t.Errorf("%s: got %+v, %v; want %+v", tc.name, got, err, tc.want)
		}
	}
	for _, bad := range []string{`[]`, `{"status":"DONE"}`, `{"job":{"status":"DONE"}}`, `not json`, `{"jobId":"x","startTime":"yesterday"}`} {
		if _, err := decodeJobDocument([]byte(bad)); err == nil {
			t.Errorf("accepted %s", bad)
		}
	}
}

func TestJobListVariants(t *testing.T) {
	for _, doc := range []string{
		`[{"jobId":"a","status":"DONE"},{"jobId":"b","status":"STARTED"}]`,
		`{"jobs":[{"jobId":"a","status":"DONE"},{"jobId":"b","status":"STARTED"}]}`,
		`{"jobs":[{"job":{"jobId":"a","status":"DONE"}},{"jobId":"b","status":"STARTED"}],"total":2}`,
	} {
		jobs, err := decodeJobList([]byte(doc))
		if err != nil || len(jobs) != 2 || jobs[0].JobID != "a" || jobs[1].Status != StatusStarted {
			t.Errorf("%s: got %+v, %v", doc, jobs, err)
		}
	}
	if jobs, err := decodeJobList([]byte(`{"jobs":null}`)); err != nil || len(jobs) != 0 {
		t.Errorf("null list: %v %v", jobs, err)
	}
	if _, err := decodeJobList([]byte(`"x"`)); err == nil {
		t.Error("string accepted as a job list")
	}
}

func TestRedirectToAnotherHostDoesNotCarryTheKey(t *testing.T) {
	var leaked atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("apikey") != "" {
			leaked.Add(1)
		}
		io.WriteString(w, `{"jobs":{}}`)
	}))
	defer other.Close()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+"/admin/limits", http.StatusFound)
	}))
	defer srv.Close()
	c, _ := newTestClient(t, srv.URL, nil)
	_, err := c.Limits(context.Background())
	var ae *APIError
	if !errors.As(err, &ae) || ae.StatusCode != http.StatusFound {
		t.Fatalf("got %v, want the 302 as an APIError", err)
	}
	if leaked.Load() != 0 {
		t.Fatal("the API key was sent to the redirect target")
	}
}

func TestPerAttemptTimeout(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer srv.Close()
	defer close(release)
	c, rec := newTestClient(t, srv.URL, func(o *Options) { o.RequestTimeout = 50 * time.Millisecond; o.Retry.Enabled = false })
	start := time.Now()
	_, err := c.GetJob(context.Background(), "j1")
	var ne *NetworkError
	if !errors.As(err, &ne) || !ne.Timeout {
		t.Fatalf("got %v, want a timeout NetworkError", err)
	}
	if errors.Is(err, context.DeadlineExceeded) {
		t.Error("per-request timeout must not look like the caller's deadline")
	}
	if time.Since(start) > 5*time.Second {
		t.Errorf("timeout not enforced: %s", time.Since(start))
	}
	req, _, _ := rec.snapshot()
	if len(req) != 1 || req[0] != "get_job error" {
		t.Errorf("instrumented requests = %v", req)
	}
}

func TestStalledBodyTimesOut(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(200)
		io.WriteString(w, `{"entries":[`)
		w.(http.Flusher).Flush()
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer srv.Close()
	defer close(release)
	c, _ := newTestClient(t, srv.URL, func(o *Options) { o.RequestTimeout = 80 * time.Millisecond })
	err := c.Results(context.Background(), "j1", FormatJSON, Visitor{})
	var ne *NetworkError
	if !errors.As(err, &ne) || !ne.Timeout {
		t.Fatalf("got %v, want a timeout NetworkError", err)
	}
	var de *DecodeError
	if errors.As(err, &de) {
		t.Error("a stalled body must not be classified as a decode error")
	}
}

// A consumer that takes longer than the request timeout between reads
// (a sink waiting for its database) is not a stalled server: the download
// completes. The timeout counts only the time a read waits for Clari.
func TestSlowConsumerIsNotAStalledBody(t *testing.T) {
	// Far more than the decoder reads at once, so reads follow the pause.
	const n = 20000
	var body strings.Builder
	body.WriteString(`{"entries":[`)
	for i := 0; i < n; i++ {
		if i > 0 {
			body.WriteByte(',')
		}
		fmt.Fprintf(&body, `{"userId":"u%d","fieldId":"f1","timePeriodId":"2026_Q4","forecastValue":%d}`, i, i)
	}
	body.WriteString(`]}`)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, body.String())
	}))
	defer srv.Close()
	// Loose enough that a busy machine's scheduling never trips it on the
	// reads themselves; the pause below still outlasts it, so a timer that
	// also ran between reads would fail the download.
	const timeout = time.Second
	c, _ := newTestClient(t, srv.URL, func(o *Options) { o.RequestTimeout = timeout; o.Retry.Enabled = false })
	entries := 0
	err := c.Results(context.Background(), "j1", FormatJSON, Visitor{Entry: func(*Entry) error {
		if entries == 0 {
			time.Sleep(2 * timeout) // the consumer busy for longer than the timeout
		}
		entries++
		return nil
	}})
	if err != nil {
		t.Fatalf("a slow consumer failed the download: %v", err)
	}
	if entries != n {
		t.Errorf("%d entries decoded, want %d", entries, n)
	}
}

func TestCallerCancellationIsNotRetriedNorABreakerFailure(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		<-r.Context().Done()
	}))
	defer srv.Close()
	c, rec := newTestClient(t, srv.URL, func(o *Options) {
		o.Breaker = BreakerOptions{Enabled: true, ConsecutiveFailures: 2, OpenTimeout: time.Minute}
	})
	for i := 0; i < 3; i++ {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
		_, err := c.GetJob(ctx, "j1")
		cancel()
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("got %v, want the caller's deadline", err)
		}
		if IsRetryable(err) {
			t.Error("caller cancellation classified retryable")
		}
	}
	if hits.Load() != 3 {
		t.Errorf("server hit %d times, want 3 (no retries)", hits.Load())
	}
	if c.BreakerState() != BreakerClosed {
		t.Errorf("breaker %s after caller cancellations", c.BreakerState())
	}
	_, ret, st := rec.snapshot()
	if len(ret) != 0 || len(st) != 1 {
		t.Errorf("retries %v states %v", ret, st)
	}
}

func TestBreakerIgnoresClientErrors(t *testing.T) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		w.WriteHeader(404)
		io.WriteString(w, `{"message":"job not found"}`)
	}))
	defer srv.Close()
	c, _ := newTestClient(t, srv.URL, func(o *Options) {
		o.Breaker = BreakerOptions{Enabled: true, ConsecutiveFailures: 2, OpenTimeout: time.Minute}
	})
	for i := 0; i < 4; i++ {
		if _, err := c.GetJob(context.Background(), "x"); !IsNotFound(err) {
			t.Fatalf("got %v", err)
		}
	}
	if n.Load() != 4 || c.BreakerState() != BreakerClosed {
		t.Errorf("requests %d breaker %s: 404s must neither be retried nor trip the breaker", n.Load(), c.BreakerState())
	}
}

func TestRetryBudgetAndRetryAfterBeyondIt(t *testing.T) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		w.Header().Set("Retry-After", "3600")
		w.WriteHeader(429)
	}))
	defer srv.Close()
	c, _ := newTestClient(t, srv.URL, nil)
	_, err := c.ListJobs(context.Background())
	var rae *RetryAfterError
	if !errors.As(err, &rae) || rae.After != time.Hour {
		t.Fatalf("got %v, want a RetryAfterError of 1h", err)
	}
	if n.Load() != 1 {
		t.Errorf("%d requests; a Retry-After beyond the budget must not be waited", n.Load())
	}
	var ae *APIError
	if !errors.As(err, &ae) || ae.StatusCode != 429 {
		t.Error("the 429 is not reachable through the error")
	}
}

func TestRetryStopsAtMaxElapsed(t *testing.T) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		w.WriteHeader(503)
	}))
	defer srv.Close()
	c, rec := newTestClient(t, srv.URL, func(o *Options) {
		o.Retry = RetryOptions{Enabled: true, InitialInterval: time.Second, MaxInterval: time.Second, MaxElapsedTime: 10 * time.Second}
	})
	SetJitter(c, 0)
	var slept []time.Duration
	SetRetryClock(c, func(_ context.Context, d time.Duration) error { slept = append(slept, d); return nil }, nil)
	_, err := c.ListJobs(context.Background())
	if !IsRetryable(err) || !strings.Contains(err.Error(), "gave up after") {
		t.Fatalf("got %v", err)
	}
	// 1s, 1s, ... (MaxInterval 1s) until 10s of waits: 10 waits, 11 attempts.
	if len(slept) != 10 || n.Load() != 11 {
		t.Errorf("waits %v, attempts %d; want 10 waits of 1s and 11 attempts", slept, n.Load())
	}
	_, ret, _ := rec.snapshot()
	if len(ret) != 10 || ret[0] != "list_jobs 5xx" {
		t.Errorf("retries instrumented %v", ret)
	}
}

func TestRetryDisabledMakesOneAttempt(t *testing.T) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		w.WriteHeader(500)
	}))
	defer srv.Close()
	c, _ := newTestClient(t, srv.URL, func(o *Options) { o.Retry.Enabled = false })
	if _, err := c.ListJobs(context.Background()); !IsRetryable(err) {
		t.Fatalf("got %v", err)
	}
	if n.Load() != 1 {
		t.Errorf("%d attempts with retries disabled", n.Load())
	}
}

func TestPacingSpacesRequests(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `[]`)
	}))
	defer srv.Close()
	c, _ := newTestClient(t, srv.URL, func(o *Options) { o.Pacing = PacingOptions{RequestsPerSecond: 20, Burst: 1} })
	start := time.Now()
	for i := 0; i < 4; i++ {
		if _, err := c.ListJobs(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	// Burst 1 at 20/s: requests 2..4 each wait 50 ms.
	if el := time.Since(start); el < 140*time.Millisecond {
		t.Errorf("4 requests at 20/s took %s, want >= 150ms", el)
	}
}

// dialFailOnce fails the first create with a dial error, as when the
// connection is refused: the request provably never reached Clari.
type dialFailOnce struct {
	next  http.RoundTripper
	fails atomic.Int32
}

func (d *dialFailOnce) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Method == http.MethodPost && d.fails.Add(1) == 1 {
		return nil, &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connect: connection refused")}
	}
	return d.next.RoundTrip(r)
}

func TestCreateRetriedAfterDialError(t *testing.T) {
	var creates atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodPost:
			creates.Add(1)
			w.WriteHeader(202)
			io.WriteString(w, `{"jobId":"new1"}`)
		default:
			io.WriteString(w, `[]`)
		}
	}))
	defer srv.Close()
	c, rec := newTestClient(t, srv.URL, func(o *Options) {
		o.HTTPClient = &http.Client{Transport: &dialFailOnce{next: http.DefaultTransport}}
	})
	id, err := c.CreateExport(context.Background(), ExportRequest{ForecastID: "net_arr"})
	if err != nil || id != "new1" {
		t.Fatalf("got %q, %v", id, err)
	}
	if creates.Load() != 1 {
		t.Errorf("server saw %d creates", creates.Load())
	}
	_, ret, _ := rec.snapshot()
	if len(ret) != 1 || ret[0] != "create_export network" {
		t.Errorf("retries = %v", ret)
	}
}

func TestCreateMalformedAnswer(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			io.WriteString(w, `{"ok":true}`)
			return
		}
		io.WriteString(w, `[]`)
	}))
	defer srv.Close()
	c, _ := newTestClient(t, srv.URL, nil)
	_, err := c.CreateExport(context.Background(), ExportRequest{ForecastID: "net_arr"})
	var me *MalformedResponseError
	if !errors.As(err, &me) || !strings.Contains(err.Error(), "jobId") {
		t.Fatalf("got %v", err)
	}
	if _, err := c.CreateExport(context.Background(), ExportRequest{}); err == nil {
		t.Error("empty forecast id accepted")
	}
}

func TestUnknownStatusIsPolledUntilTerminal(t *testing.T) {
	var polls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Method == http.MethodPost:
			io.WriteString(w, `{"jobId":"j1"}`)
		case r.URL.Path == "/export/jobs":
			io.WriteString(w, `[]`)
		case r.URL.Path == "/export/jobs/j1":
			status := "QUEUED_SOMEWHERE"
			if polls.Add(1) >= 3 {
				status = "DONE"
			}
			fmt.Fprintf(w, `{"job":{"jobId":"j1","status":%q}}`, status)
		case r.URL.Path == "/export/jobs/j1/results":
			io.WriteString(w, `{"entries":[],"users":[],"fields":[],"timePeriods":[],"timeFrames":[]}`)
		default:
			w.WriteHeader(404)
		}
	}))
	defer srv.Close()
	c, _ := newTestClient(t, srv.URL, nil)
	res := c.RunExport(context.Background(), ExportRequest{ForecastID: "f"}, RunOptions{PollInterval: time.Millisecond, Timeout: 5 * time.Second})
	if res.Outcome != OutcomeDone || res.Err != nil || polls.Load() != 3 || res.Job.Status != StatusDone {
		t.Fatalf("outcome %s err %v polls %d job %+v", res.Outcome, res.Err, polls.Load(), res.Job)
	}
}

func TestRedactedDump(t *testing.T) {
	req, _ := http.NewRequest(http.MethodPost, "https://example.test/v4/export/forecast/x", strings.NewReader(`{"a":1}`))
	req.Header.Set("apikey", testKey)
	req.Header.Set("Authorization", "Bearer "+testKey)
	b, err := RedactedDump(req, true)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), testKey) || !strings.Contains(string(b), "Apikey: "+secret.Redacted) || !strings.Contains(string(b), `{"a":1}`) {
		t.Fatalf("dump:\n%s", b)
	}
	if req.Header.Get("apikey") != testKey {
		t.Error("RedactedDump modified the original request")
	}
}
