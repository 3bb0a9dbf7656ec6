package clari_test

// Acceptance tests of the client against the simulator (clari/clarisim).
// They live in package clari_test because clarisim imports clari; the
// retry clock hooks come from export_test.go.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clari-exporter/clari_exporter/clari"
	"github.com/clari-exporter/clari_exporter/clari/clarisim"
	"github.com/clari-exporter/clari_exporter/internal/testlog"
	"github.com/clari-exporter/clari_exporter/secret"
	"github.com/go-kit/log"
)

const simKey = "acceptance-secret-key-9f8e7d6c5b4a"

// waits records the retry delays instead of sleeping them.
type waits struct {
	mu sync.Mutex
	d  []time.Duration
}

func (w *waits) sleep(ctx context.Context, d time.Duration) error {
	w.mu.Lock()
	w.d = append(w.d, d)
	w.mu.Unlock()
	return ctx.Err()
}

func (w *waits) get() []time.Duration {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.d)
}

type env struct {
	sim   *clarisim.Sim
	url   string
	c     *clari.Client
	instr *clari.Recorder
	waits *waits
}

func startSim(t *testing.T, sc clarisim.Scenario) (*clarisim.Sim, string) {
	t.Helper()
	sim := clarisim.New(clarisim.Options{APIKey: simKey, Seed: 7, Scenario: sc, Tenant: clarisim.TenantSpec{Users: 6}})
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	t.Cleanup(sim.Close) // runs first: releases hung handlers
	return sim, srv.URL + "/v4"
}

func clientOptions(url string, in *clari.Recorder) clari.Options {
	return clari.Options{
		BaseURL:          url,
		APIKey:           simKey,
		UserAgentVersion: "test",
		RequestTimeout:   2 * time.Second,
		Retry:            clari.RetryOptions{Enabled: true, InitialInterval: 10 * time.Millisecond, MaxInterval: 100 * time.Millisecond, MaxElapsedTime: 10 * time.Second},
		Instrumentation:  in,
	}
}

func newEnv(t *testing.T, sc clarisim.Scenario, mod func(*clari.Options)) *env {
	t.Helper()
	sim, url := startSim(t, sc)
	e := &env{sim: sim, url: url, instr: &clari.Recorder{}, waits: &waits{}}
	o := clientOptions(url, e.instr)
	if mod != nil {
		mod(&o)
	}
	c, err := clari.New(o)
	if err != nil {
		t.Fatal(err)
	}
	clari.SetRetryClock(c, e.waits.sleep, nil)
	clari.SetJitter(c, 0)
	e.c = c
	return e
}

func fastRun() clari.RunOptions {
	return clari.RunOptions{PollInterval: 5 * time.Millisecond, Timeout: 5 * time.Second}
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return c
}

// collect is a Visitor counting what it receives.
type collect struct {
	mu      sync.Mutex
	entries []clari.Entry
	periods []clari.TimePeriod
	users   int
}

func (c *collect) visitor() clari.Visitor {
	return clari.Visitor{
		Entry: func(e *clari.Entry) error {
			c.mu.Lock()
			c.entries = append(c.entries, *e)
			c.mu.Unlock()
			return nil
		},
		TimePeriod: func(p clari.TimePeriod) error { c.periods = append(c.periods, p); return nil },
		User:       func(clari.User) error { c.users++; return nil },
		PeriodOf:   clarisim.TenantSpec{}.PeriodOf, // the tests' tenants have the default calendar (a February year)
	}
}

func TestSimJobAndListEnvelopes(t *testing.T) {
	for _, jobEnv := range []string{clarisim.JobWrapped, clarisim.JobFlat} {
		for _, listEnv := range []string{clarisim.ListArray, clarisim.ListObject} {
			t.Run(jobEnv+"_"+listEnv, func(t *testing.T) {
				e := newEnv(t, clarisim.Scenario{JobEnvelope: jobEnv, ListEnvelope: listEnv}, nil)
				id, err := e.c.CreateExport(ctx(t), clari.ExportRequest{ForecastID: "net_arr"})
				if err != nil {
					t.Fatal(err)
				}
				job, err := e.c.GetJob(ctx(t), id)
				if err != nil {
					t.Fatal(err)
				}
				if job.JobID != id || job.Status != clari.StatusDone || job.EndTime == 0 || job.Title != "Forecast Export" || !strings.HasPrefix(job.FileName, "clari_export_net_arr_") {
					t.Errorf("job = %+v", job)
				}
				jobs, err := e.c.ListJobs(ctx(t))
				if err != nil {
					t.Fatal(err)
				}
				if len(jobs) != 1 || jobs[0].JobID != id || jobs[0].Status != clari.StatusDone {
					t.Errorf("list = %+v", jobs)
				}
			})
		}
	}
}

func TestSimCreateAccepts200And202(t *testing.T) {
	for _, status := range []int{200, 202} {
		e := newEnv(t, clarisim.Scenario{CreateStatus: status}, nil)
		id, err := e.c.CreateExport(ctx(t), clari.ExportRequest{ForecastID: "bookings", TimePeriod: "2026_Q3"})
		if err != nil || len(id) != 24 {
			t.Fatalf("status %d: id %q err %v", status, id, err)
		}
		if req, _, _ := e.instr.Snapshot(); !slices.Contains(req, fmt.Sprintf("create_export %d", status)) {
			t.Errorf("requests %v, want a create answered %d", req, status)
		}
		if info, ok := e.sim.Job(id); !ok || info.Request.TimePeriod != "2026_Q3" {
			t.Errorf("simulator job %+v", info)
		}
	}
}

func TestSim429WithRetryAfterSeconds(t *testing.T) {
	e := newEnv(t, clarisim.Scenario{}, nil)
	if err := e.sim.AddFault(clarisim.Fault{Kind: clarisim.FaultTooManyRequests, Endpoint: clari.EndpointLimits, Count: 2, RetryAfter: "3"}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.c.Limits(ctx(t)); err != nil {
		t.Fatal(err)
	}
	if got := e.waits.get(); !slices.Equal(got, []time.Duration{3 * time.Second, 3 * time.Second}) {
		t.Errorf("delays %v, want the server's 3s twice", got)
	}
	req, ret, _ := e.instr.Snapshot()
	if !slices.Equal(ret, []string{"limits 429", "limits 429"}) {
		t.Errorf("retries %v", ret)
	}
	if !slices.Equal(req, []string{"limits 429", "limits 429", "limits 200"}) {
		t.Errorf("requests %v", req)
	}
	if n := e.sim.Stats().Requests[clari.EndpointLimits]; n != 3 {
		t.Errorf("simulator saw %d requests", n)
	}
}

func TestSim429WithRetryAfterDate(t *testing.T) {
	e := newEnv(t, clarisim.Scenario{}, nil)
	now := time.Date(2026, 11, 27, 16, 0, 0, 0, time.UTC)
	clari.SetRetryClock(e.c, nil, func() time.Time { return now })
	if err := e.sim.AddFault(clarisim.Fault{Kind: clarisim.FaultTooManyRequests, Endpoint: clari.EndpointListJobs, RetryAfter: now.Add(4 * time.Second).Format(http.TimeFormat)}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.c.ListJobs(ctx(t)); err != nil {
		t.Fatal(err)
	}
	if got := e.waits.get(); !slices.Equal(got, []time.Duration{4 * time.Second}) {
		t.Errorf("delays %v, want 4s until the HTTP date", got)
	}
}

func TestSim429WithoutRetryAfterUsesBackoff(t *testing.T) {
	e := newEnv(t, clarisim.Scenario{}, nil)
	if err := e.sim.AddFault(clarisim.Fault{Kind: clarisim.FaultTooManyRequests, Endpoint: clari.EndpointGetJob, Count: 3}); err != nil {
		t.Fatal(err)
	}
	id, err := e.c.CreateExport(ctx(t), clari.ExportRequest{ForecastID: "net_arr"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.c.GetJob(ctx(t), id); err != nil {
		t.Fatal(err)
	}
	// Initial 10ms, ×1.5, no jitter.
	want := []time.Duration{10 * time.Millisecond, 15 * time.Millisecond, 22500 * time.Microsecond}
	if got := e.waits.get(); !slices.Equal(got, want) {
		t.Errorf("delays %v, want %v", got, want)
	}
	if _, ret, _ := e.instr.Snapshot(); len(ret) != 3 {
		t.Errorf("retries %v", ret)
	}
}

func TestSim429OnCreateIsRetriedWithoutDoubleSpend(t *testing.T) {
	e := newEnv(t, clarisim.Scenario{}, nil)
	_ = e.sim.AddFault(clarisim.Fault{Kind: clarisim.FaultTooManyRequests, Endpoint: clari.EndpointCreateExport, RetryAfter: "1"})
	id, err := e.c.CreateExport(ctx(t), clari.ExportRequest{ForecastID: "net_arr"})
	if err != nil || id == "" {
		t.Fatal(err)
	}
	if st := e.sim.Stats(); st.JobsCreated != 1 || st.Requests[clari.EndpointCreateExport] != 2 {
		t.Errorf("jobs created %d, create requests %d", st.JobsCreated, st.Requests[clari.EndpointCreateExport])
	}
}

func TestSim5xxBurstThenSuccess(t *testing.T) {
	e := newEnv(t, clarisim.Scenario{}, nil)
	for _, s := range []int{500, 502, 503} {
		_ = e.sim.AddFault(clarisim.Fault{Kind: clarisim.FaultServerError, Endpoint: clari.EndpointLimits, Status: s})
	}
	lim, err := e.c.Limits(ctx(t))
	if err != nil || lim.ConcurrentLimit != 3 {
		t.Fatalf("limits %+v err %v", lim, err)
	}
	req, ret, _ := e.instr.Snapshot()
	if !slices.Equal(req, []string{"limits 500", "limits 502", "limits 503", "limits 200"}) {
		t.Errorf("requests %v", req)
	}
	if !slices.Equal(ret, []string{"limits 5xx", "limits 5xx", "limits 5xx"}) {
		t.Errorf("retries %v", ret)
	}
	if got := e.waits.get(); len(got) != 3 || got[0] != 10*time.Millisecond {
		t.Errorf("delays %v", got)
	}
}

func TestSimHungResponseHitsRequestTimeout(t *testing.T) {
	e := newEnv(t, clarisim.Scenario{}, func(o *clari.Options) { o.RequestTimeout = 100 * time.Millisecond })
	_ = e.sim.AddFault(clarisim.Fault{Kind: clarisim.FaultHang, Endpoint: clari.EndpointLimits})
	start := time.Now()
	if _, err := e.c.Limits(ctx(t)); err != nil {
		t.Fatal(err)
	}
	if el := time.Since(start); el > 5*time.Second {
		t.Errorf("took %s", el)
	}
	req, ret, _ := e.instr.Snapshot()
	if !slices.Equal(req, []string{"limits error", "limits 200"}) || !slices.Equal(ret, []string{"limits timeout"}) {
		t.Errorf("requests %v retries %v", req, ret)
	}

	// Without retries the timeout is the error.
	_ = e.sim.AddFault(clarisim.Fault{Kind: clarisim.FaultHang, Endpoint: clari.EndpointLimits})
	o := clientOptions(e.url, &clari.Recorder{})
	o.RequestTimeout = 100 * time.Millisecond
	o.Retry.Enabled = false
	c2, _ := clari.New(o)
	_, err := c2.Limits(ctx(t))
	var ne *clari.NetworkError
	if !errors.As(err, &ne) || !ne.Timeout || !clari.IsRetryable(err) {
		t.Fatalf("got %v, want a timeout", err)
	}
}

func TestSimTruncatedResultsAreADecodeError(t *testing.T) {
	for _, kind := range []clarisim.FaultKind{clarisim.FaultTruncate, clarisim.FaultMalformed} {
		t.Run(string(kind), func(t *testing.T) {
			e := newEnv(t, clarisim.Scenario{}, nil)
			_ = e.sim.AddFault(clarisim.Fault{Kind: kind, Endpoint: clari.EndpointResults, Bytes: 700})
			var got collect
			o := fastRun()
			o.Visitor = got.visitor()
			res := e.c.RunExport(ctx(t), clari.ExportRequest{ForecastID: "net_arr"}, o)
			if res.Outcome != clari.OutcomeDecodeError {
				t.Fatalf("outcome %s err %v", res.Outcome, res.Err)
			}
			var de *clari.DecodeError
			if !errors.As(res.Err, &de) || de.Offset <= 0 || de.Offset > 2000 {
				t.Fatalf("err %v, want a DecodeError with a position near byte 700", res.Err)
			}
			if kind == clarisim.FaultTruncate && !errors.Is(res.Err, io.ErrUnexpectedEOF) {
				t.Errorf("truncation does not unwrap to io.ErrUnexpectedEOF: %v", res.Err)
			}
			if n := e.sim.Stats().ResultsServed; n != 1 {
				t.Errorf("results requested %d times; a broken stream must not be retried", n)
			}
		})
	}
}

func TestSimResultsComplete(t *testing.T) {
	for _, format := range []clari.ExportFormat{clari.FormatJSON, clari.FormatCSV} {
		t.Run(string(format), func(t *testing.T) {
			e := newEnv(t, clarisim.Scenario{}, nil)
			var got collect
			o := fastRun()
			o.Visitor = got.visitor()
			req := clari.ExportRequest{ForecastID: "net_arr", TypesToExport: []string{clari.DataForecast, clari.DataQuota}, ExportFormat: format}
			res := e.c.RunExport(ctx(t), req, o)
			if res.Outcome != clari.OutcomeDone || res.Err != nil {
				t.Fatalf("outcome %s err %v", res.Outcome, res.Err)
			}
			sum, err := e.sim.JobSummary(res.JobID)
			if err != nil {
				t.Fatal(err)
			}
			// The simulator sends only the keys Clari sends (unknown keys
			// are exercised by TestDecodeJSONVariants and the generated
			// documents of decode_gen_test.go); on jobs it still adds
			// forecastId/createdBy. All entries must arrive.
			if len(got.entries) != sum.Values || sum.Values == 0 {
				t.Errorf("decoded %d entries, simulator generated %d", len(got.entries), sum.Values)
			}
			if res.Job.Status != clari.StatusDone || res.JobID == "" {
				t.Errorf("result %+v", res)
			}
		})
	}
}

func TestSim401NotRetried(t *testing.T) {
	sim, url := startSim(t, clarisim.Scenario{})
	in := &clari.Recorder{}
	o := clientOptions(url, in)
	o.APIKey = "wrong-key-0000"
	c, _ := clari.New(o)
	_, err := c.Limits(ctx(t))
	if !clari.IsAuth(err) || clari.IsRetryable(err) {
		t.Fatalf("got %v, want an auth error", err)
	}
	if !strings.Contains(err.Error(), "API key") {
		t.Errorf("error does not tell what to fix: %v", err)
	}
	if n := sim.Stats().Requests[clari.EndpointLimits]; n != 1 {
		t.Errorf("%d requests, want 1", n)
	}
	if _, ret, _ := in.Snapshot(); len(ret) != 0 {
		t.Errorf("retries %v", ret)
	}
	res := c.RunExport(ctx(t), clari.ExportRequest{ForecastID: "net_arr"}, fastRun())
	if res.Outcome != clari.OutcomeAPIError || !clari.IsAuth(res.Err) {
		t.Errorf("run: %s %v", res.Outcome, res.Err)
	}
}

func TestSimQuotaExhaustedClassifiedNotRetried(t *testing.T) {
	e := newEnv(t, clarisim.Scenario{MonthlyQuota: 1}, nil)
	if res := e.c.RunExport(ctx(t), clari.ExportRequest{ForecastID: "net_arr"}, fastRun()); res.Outcome != clari.OutcomeDone {
		t.Fatalf("first run %s %v", res.Outcome, res.Err)
	}
	before := e.sim.Stats().CreateCalls
	res := e.c.RunExport(ctx(t), clari.ExportRequest{ForecastID: "net_arr"}, fastRun())
	if res.Outcome != clari.OutcomeQuota || !clari.IsQuotaExhausted(res.Err) {
		t.Fatalf("outcome %s err %v", res.Outcome, res.Err)
	}
	if n := e.sim.Stats().CreateCalls - before; n != 1 {
		t.Errorf("%d create calls; a quota 400 must not be retried", n)
	}
	if len(e.waits.get()) != 0 {
		t.Error("waited to retry a quota error")
	}
}

func TestSimConfigErrors(t *testing.T) {
	e := newEnv(t, clarisim.Scenario{RejectCRMTypes: true}, nil)
	_, err := e.c.CreateExport(ctx(t), clari.ExportRequest{ForecastID: "no_such_tab"})
	if !clari.IsConfigError(err) || !strings.Contains(err.Error(), "forecast id") {
		t.Errorf("unknown tab: %v", err)
	}
	_, err = e.c.CreateExport(ctx(t), clari.ExportRequest{ForecastID: "net_arr", TypesToExport: []string{clari.DataCRMClosed}})
	if !clari.IsConfigError(err) {
		t.Errorf("CRM type: %v", err)
	}
	if n := e.sim.Stats().JobsCreated; n != 0 {
		t.Errorf("%d jobs created", n)
	}
}

func TestSimBreakerOpensAndHalfOpens(t *testing.T) {
	e := newEnv(t, clarisim.Scenario{}, func(o *clari.Options) {
		o.Retry.Enabled = false
		o.Breaker = clari.BreakerOptions{Enabled: true, ConsecutiveFailures: 3, OpenTimeout: 150 * time.Millisecond}
	})
	_ = e.sim.AddFault(clarisim.Fault{Kind: clarisim.FaultServerError, Endpoint: clari.EndpointLimits, Count: -1})
	for i := 0; i < 3; i++ {
		if _, err := e.c.Limits(ctx(t)); !clari.IsRetryable(err) {
			t.Fatalf("call %d: %v", i, err)
		}
	}
	if s := e.c.BreakerState(); s != clari.BreakerOpen {
		t.Fatalf("state after 3 failures = %s", s)
	}
	_, err := e.c.Limits(ctx(t))
	if !errors.Is(err, clari.ErrBreakerOpen) || !clari.IsBreakerOpen(err) {
		t.Fatalf("got %v, want ErrBreakerOpen", err)
	}
	if n := e.sim.Stats().Requests[clari.EndpointLimits]; n != 3 {
		t.Errorf("simulator saw %d requests; an open breaker must not send", n)
	}
	res := e.c.RunExport(ctx(t), clari.ExportRequest{ForecastID: "net_arr"}, fastRun())
	if !clari.IsBreakerOpen(res.Err) || e.sim.Stats().CreateCalls != 0 {
		t.Errorf("run while open: %s %v", res.Outcome, res.Err)
	}

	e.sim.ClearFaults()
	time.Sleep(200 * time.Millisecond)
	if s := e.c.BreakerState(); s != clari.BreakerHalfOpen {
		t.Fatalf("state after the open timeout = %s", s)
	}
	if _, err := e.c.Limits(ctx(t)); err != nil {
		t.Fatal(err)
	}
	if s := e.c.BreakerState(); s != clari.BreakerClosed {
		t.Fatalf("state after a successful probe = %s", s)
	}
	_, _, states := e.instr.Snapshot()
	want := []string{clari.BreakerClosed, clari.BreakerOpen, clari.BreakerHalfOpen, clari.BreakerClosed}
	if !slices.Equal(states, want) {
		t.Errorf("instrumented states %v, want %v", states, want)
	}
}

func TestSimSilentPeriodFallbackIsVisible(t *testing.T) {
	e := newEnv(t, clarisim.Scenario{}, nil)
	var got collect
	o := fastRun()
	o.Visitor = got.visitor()
	const asked = "2001_Q1"
	res := e.c.RunExport(ctx(t), clari.ExportRequest{ForecastID: "net_arr", TimePeriod: asked}, o)
	if res.Outcome != clari.OutcomeDone {
		t.Fatalf("%s %v", res.Outcome, res.Err)
	}
	info, _ := e.sim.Job(res.JobID)
	if !info.FellBack || info.Period == asked {
		t.Fatalf("simulator did not fall back: %+v", info)
	}
	if len(got.entries) == 0 || len(got.periods) == 0 {
		t.Fatal("nothing decoded")
	}
	for _, en := range got.entries {
		if en.TimePeriodID != info.Period {
			t.Fatalf("entry period %q, want the fallback %q", en.TimePeriodID, info.Period)
		}
	}
	if got.periods[0].TimePeriodID == asked {
		t.Errorf("timePeriods claims the asked period")
	}
}

func TestSimAuditEventsAcrossPages(t *testing.T) {
	e := newEnv(t, clarisim.Scenario{AuditEvents: 25}, nil)
	id, err := e.c.CreateExport(ctx(t), clari.ExportRequest{ForecastID: "net_arr"})
	if err != nil {
		t.Fatal(err)
	}
	var evs []clari.AuditEvent
	err = e.c.AuditEvents(ctx(t), 10, func(ev clari.AuditEvent) error { evs = append(evs, ev); return nil })
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 26 {
		t.Errorf("%d events, want 26", len(evs))
	}
	if n := e.sim.Stats().Requests[clari.EndpointAuditEvents]; n != 3 {
		t.Errorf("%d pages fetched, want 3", n)
	}
	if evs[0].Event != "EXPORT_JOB_CREATED" || evs[0].EventTimestamp == 0 || evs[0].ActorID == "" {
		t.Errorf("first event %+v (job %s)", evs[0], id)
	}
	// fn's error stops the walk.
	stop := errors.New("enough")
	n := 0
	err = e.c.AuditEvents(ctx(t), 10, func(clari.AuditEvent) error { n++; return stop })
	if !errors.Is(err, stop) || n != 1 {
		t.Errorf("stop: %v after %d", err, n)
	}
}

func TestSimCancelFreesASlot(t *testing.T) {
	e := newEnv(t, clarisim.Scenario{FinalStatus: clarisim.NeverFinish, ConcurrentLimit: 2}, nil)
	id, err := e.c.CreateExport(ctx(t), clari.ExportRequest{ForecastID: "net_arr"})
	if err != nil {
		t.Fatal(err)
	}
	lim, err := e.c.Limits(ctx(t))
	if err != nil || lim.AvailableConcurrentLimit != 1 || !slices.Contains(lim.RunningJobIDs, id) {
		t.Fatalf("before cancel %+v %v", lim, err)
	}
	if err := e.c.CancelJob(ctx(t), id); err != nil {
		t.Fatal(err)
	}
	lim, err = e.c.Limits(ctx(t))
	if err != nil || lim.AvailableConcurrentLimit != 2 || len(lim.RunningJobIDs) != 0 {
		t.Fatalf("after cancel %+v %v", lim, err)
	}
	job, _ := e.c.GetJob(ctx(t), id)
	if job.Status != clari.StatusCancelled {
		t.Errorf("status %s", job.Status)
	}
	// Cancelling a job that already ended: Clari answers 400
	// export_failed_to_cancel, which the client tells apart.
	err = e.c.CancelJob(ctx(t), id)
	if !clari.IsCancelOfEndedJob(err) || clari.IsQuotaExhausted(err) {
		t.Errorf("cancel of an ended job: %v", err)
	}
	if running, err := e.c.CreateExport(ctx(t), clari.ExportRequest{ForecastID: "net_arr"}); err != nil || clari.IsCancelOfEndedJob(e.c.CancelJob(ctx(t), running)) {
		t.Errorf("a running job's cancel: %v", err)
	}
}

func TestSimCreateThen500DoesNotCreateASecondJob(t *testing.T) {
	e := newEnv(t, clarisim.Scenario{}, nil)
	_ = e.sim.AddFault(clarisim.Fault{Kind: clarisim.FaultCreateThenError})
	var got collect
	o := fastRun()
	o.Visitor = got.visitor()
	res := e.c.RunExport(ctx(t), clari.ExportRequest{ForecastID: "net_arr"}, o)
	if res.Outcome != clari.OutcomeDone {
		t.Fatalf("%s %v", res.Outcome, res.Err)
	}
	st := e.sim.Stats()
	if st.JobsCreated != 1 || st.CreateCalls != 1 {
		t.Errorf("jobs created %d, create calls %d; want 1 and 1", st.JobsCreated, st.CreateCalls)
	}
	if jobs := e.sim.Jobs(); len(jobs) != 1 || jobs[0].Job.JobID != res.JobID {
		t.Errorf("adopted %s, simulator has %+v", res.JobID, jobs)
	}
	if len(got.entries) == 0 {
		t.Error("no results from the adopted job")
	}
}

func TestSimResumeAfterRestart(t *testing.T) {
	e := newEnv(t, clarisim.Scenario{JobDuration: 300 * time.Millisecond}, nil)
	// First process: create, persist, then "crash" (context cancelled)
	// while polling.
	var persisted string
	runCtx, cancel := context.WithCancel(ctx(t))
	o := fastRun()
	o.Persist = func(id string) error { persisted = id; cancel(); return nil }
	res := e.c.RunExport(runCtx, clari.ExportRequest{ForecastID: "net_arr"}, o)
	if persisted == "" || !errors.Is(res.Err, context.Canceled) {
		t.Fatalf("first run: persisted %q, %s %v", persisted, res.Outcome, res.Err)
	}
	if st := e.sim.Stats(); st.Cancels != 0 {
		t.Fatal("an interrupted run cancelled its job; it could not be resumed")
	}
	// Second process: a new client resumes the persisted job.
	c2, err := clari.New(clientOptions(e.url, &clari.Recorder{}))
	if err != nil {
		t.Fatal(err)
	}
	var got collect
	o = fastRun()
	o.Visitor = got.visitor()
	res = c2.ResumeExport(ctx(t), persisted, clari.ExportRequest{ForecastID: "net_arr"}, o)
	if res.Outcome != clari.OutcomeDone || res.JobID != persisted || res.Requeues != 0 {
		t.Fatalf("resume: %+v", res)
	}
	if st := e.sim.Stats(); st.JobsCreated != 1 {
		t.Errorf("%d jobs created; resume must not create", st.JobsCreated)
	}
	if len(got.entries) == 0 {
		t.Error("resume delivered no results")
	}
}

func TestSimTimeoutCancelsAndRequeues(t *testing.T) {
	e := newEnv(t, clarisim.Scenario{FinalStatus: clarisim.NeverFinish}, nil)
	var ids []string
	o := clari.RunOptions{PollInterval: 5 * time.Millisecond, Timeout: 60 * time.Millisecond, MaxRequeues: 1,
		Persist: func(id string) error { ids = append(ids, id); return nil }}
	res := e.c.RunExport(ctx(t), clari.ExportRequest{ForecastID: "net_arr"}, o)
	if res.Outcome != clari.OutcomeTimeout || res.Requeues != 1 {
		t.Fatalf("%s requeues %d err %v", res.Outcome, res.Requeues, res.Err)
	}
	st := e.sim.Stats()
	if st.JobsCreated != 2 || st.Cancels != 2 || len(ids) != 2 || res.JobID != ids[1] {
		t.Errorf("created %d cancelled %d persisted %v last %s", st.JobsCreated, st.Cancels, ids, res.JobID)
	}
	if lim := e.sim.Limits(); lim.AvailableConcurrentLimit != lim.ConcurrentLimit {
		t.Errorf("slots not freed: %+v", lim)
	}
	if res.Duration < 120*time.Millisecond {
		t.Errorf("duration %s shorter than two timeouts", res.Duration)
	}

	// A job that finishes on its second try.
	e2 := newEnv(t, clarisim.Scenario{}, nil)
	_ = e2.sim.NextJobEnds("", clarisim.NeverFinish)
	res = e2.c.RunExport(ctx(t), clari.ExportRequest{ForecastID: "net_arr"}, o)
	if res.Outcome != clari.OutcomeDone || res.Requeues != 1 {
		t.Errorf("requeued run: %s requeues %d %v", res.Outcome, res.Requeues, res.Err)
	}
}

func TestSimTerminalStatuses(t *testing.T) {
	e := newEnv(t, clarisim.Scenario{}, nil)
	for status, want := range map[clari.JobStatus]clari.Outcome{
		clari.StatusFailed:    clari.OutcomeFailed,
		clari.StatusAborted:   clari.OutcomeAborted,
		clari.StatusCancelled: clari.OutcomeCancelled,
	} {
		_ = e.sim.NextJobEnds("net_arr", status)
		res := e.c.RunExport(ctx(t), clari.ExportRequest{ForecastID: "net_arr"}, fastRun())
		if res.Outcome != want || res.Err == nil || res.Job.Status != status {
			t.Errorf("%s: outcome %s job %+v err %v", status, res.Outcome, res.Job, res.Err)
		}
	}
	if n := e.sim.Stats().ResultsServed; n != 0 {
		t.Errorf("results fetched for failed jobs: %d", n)
	}
}

func TestSimPersistFailureCancelsTheJob(t *testing.T) {
	e := newEnv(t, clarisim.Scenario{FinalStatus: clarisim.NeverFinish}, nil)
	o := fastRun()
	o.Persist = func(string) error { return errors.New("disk full") }
	res := e.c.RunExport(ctx(t), clari.ExportRequest{ForecastID: "net_arr"}, o)
	if res.Outcome != clari.OutcomeAPIError || !strings.Contains(res.Err.Error(), "disk full") {
		t.Fatalf("%s %v", res.Outcome, res.Err)
	}
	if st := e.sim.Stats(); st.Cancels != 1 || st.Requests[clari.EndpointGetJob] != 0 {
		t.Errorf("cancels %d polls %d", st.Cancels, st.Requests[clari.EndpointGetJob])
	}
}

func TestSimPollErrorsRetriedThenAPIError(t *testing.T) {
	e := newEnv(t, clarisim.Scenario{JobDuration: 20 * time.Millisecond}, nil)
	_ = e.sim.AddFault(clarisim.Fault{Kind: clarisim.FaultServerError, Endpoint: clari.EndpointGetJob, Count: 2})
	res := e.c.RunExport(ctx(t), clari.ExportRequest{ForecastID: "net_arr"}, fastRun())
	if res.Outcome != clari.OutcomeDone {
		t.Fatalf("transient poll errors: %s %v", res.Outcome, res.Err)
	}
	// A job id Clari does not know: a persistent error ends the poll.
	res = e.c.ResumeExport(ctx(t), "ffffffffffffffffffffffff", clari.ExportRequest{ForecastID: "net_arr"}, fastRun())
	var ae *clari.APIError
	if res.Outcome != clari.OutcomeAPIError || !errors.As(res.Err, &ae) || ae.StatusCode != 400 {
		t.Errorf("unknown job: %s %v", res.Outcome, res.Err)
	}
}

// TestSimSecretScan runs failures, retries, decode errors and a 401 with a
// debug logger and request dumps, and fails if the key shows up anywhere.
func TestSimSecretScan(t *testing.T) {
	var logBuf testlog.Buffer
	logger := log.NewLogfmtLogger(&logBuf)
	dumps := &dumpingTransport{next: http.DefaultTransport}
	var errs []string
	keep := func(err error) {
		if err != nil {
			errs = append(errs, err.Error(), fmt.Sprintf("%v", err), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", err))
		}
	}
	sim, url := startSim(t, clarisim.Scenario{FinalStatus: clari.StatusDone})
	o := clientOptions(url, &clari.Recorder{})
	o.Logger = logger
	o.HTTPClient = &http.Client{Transport: dumps}
	o.RequestTimeout = 200 * time.Millisecond
	o.Breaker = clari.BreakerOptions{Enabled: true, ConsecutiveFailures: 4, OpenTimeout: time.Minute}
	errs = append(errs, fmt.Sprintf("%v", o), fmt.Sprintf("%+v", o), fmt.Sprintf("%#v", o))
	c, err := clari.New(o)
	keep(err)
	errs = append(errs, fmt.Sprintf("%v", c), fmt.Sprintf("%+v", c))

	_ = sim.AddFault(clarisim.Fault{Kind: clarisim.FaultTooManyRequests, Endpoint: clari.EndpointLimits, RetryAfter: "0"})
	_ = sim.AddFault(clarisim.Fault{Kind: clarisim.FaultServerError, Endpoint: clari.EndpointLimits})
	_ = sim.AddFault(clarisim.Fault{Kind: clarisim.FaultHang, Endpoint: clari.EndpointLimits})
	_, err = c.Limits(ctx(t))
	keep(err)
	_ = sim.AddFault(clarisim.Fault{Kind: clarisim.FaultCreateThenError})
	_ = sim.AddFault(clarisim.Fault{Kind: clarisim.FaultTruncate, Endpoint: clari.EndpointResults, Bytes: 300})
	res := c.RunExport(ctx(t), clari.ExportRequest{ForecastID: "net_arr"}, fastRun())
	keep(res.Err)
	errs = append(errs, fmt.Sprintf("%+v", res))
	if res.Outcome != clari.OutcomeDecodeError {
		t.Errorf("scenario drifted: outcome %s", res.Outcome)
	}
	_, err = c.CreateExport(ctx(t), clari.ExportRequest{ForecastID: "nope"})
	keep(err)
	_, err = c.GetJob(ctx(t), "ffffffffffffffffffffffff")
	keep(err)
	keep(c.AuditEvents(ctx(t), 5, func(clari.AuditEvent) error { return nil }))
	_ = sim.AddFault(clarisim.Fault{Kind: clarisim.FaultServerError, Count: -1})
	for i := 0; i < 5; i++ {
		_, err = c.ListJobs(ctx(t))
		keep(err)
	}
	if !clari.IsBreakerOpen(err) {
		t.Errorf("scenario drifted: breaker not open: %v", err)
	}
	sim.ClearFaults()

	bad := o
	bad.APIKey = "wrong-" + simKey
	c401, _ := clari.New(bad)
	_, err = c401.Limits(ctx(t))
	keep(err)
	if !clari.IsAuth(err) {
		t.Errorf("scenario drifted: %v", err)
	}

	corpus := map[string]string{
		"logs":   logBuf.String(),
		"errors": strings.Join(errs, "\n"),
		"dumps":  dumps.all(),
	}
	for name, text := range corpus {
		if len(text) < 100 {
			t.Errorf("%s: almost nothing collected (%d bytes); the scan would prove nothing", name, len(text))
		}
		if strings.Contains(text, simKey) {
			t.Errorf("the API key appears in %s", name)
		}
	}
	if !strings.Contains(corpus["dumps"], secret.Redacted) || !strings.Contains(corpus["logs"], "level=debug") {
		t.Error("dumps or debug logs missing from the scan")
	}
}

// dumpingTransport dumps every request with clari.RedactedDump, as a
// debugging proxy would.
type dumpingTransport struct {
	next  http.RoundTripper
	mu    sync.Mutex
	dumps []string
}

func (d *dumpingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	b, err := clari.RedactedDump(r, true)
	if err != nil {
		return nil, err
	}
	d.mu.Lock()
	d.dumps = append(d.dumps, string(b))
	d.mu.Unlock()
	return d.next.RoundTrip(r)
}

func (d *dumpingTransport) all() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return strings.Join(d.dumps, "\n")
}

func TestSimBreakerOpenDuringPollSkipsTicks(t *testing.T) {
	e := newEnv(t, clarisim.Scenario{JobDuration: 150 * time.Millisecond}, func(o *clari.Options) {
		o.Breaker = clari.BreakerOptions{Enabled: true, ConsecutiveFailures: 2, OpenTimeout: 30 * time.Millisecond}
	})
	_ = e.sim.AddFault(clarisim.Fault{Kind: clarisim.FaultServerError, Endpoint: clari.EndpointGetJob, Count: 2})
	res := e.c.RunExport(ctx(t), clari.ExportRequest{ForecastID: "net_arr"}, fastRun())
	if res.Outcome != clari.OutcomeDone {
		t.Fatalf("%s %v", res.Outcome, res.Err)
	}
	_, _, states := e.instr.Snapshot()
	if !slices.Contains(states, clari.BreakerOpen) || states[len(states)-1] != clari.BreakerClosed {
		t.Errorf("breaker states %v: want it opened during the poll and closed again", states)
	}
}

func TestSimRunFormatCSVAsksForCSV(t *testing.T) {
	e := newEnv(t, clarisim.Scenario{}, nil)
	var got collect
	o := fastRun()
	o.Visitor = got.visitor()
	o.Format = clari.FormatCSV
	res := e.c.RunExport(ctx(t), clari.ExportRequest{ForecastID: "bookings"}, o)
	if res.Outcome != clari.OutcomeDone {
		t.Fatalf("%s %v", res.Outcome, res.Err)
	}
	info, _ := e.sim.Job(res.JobID)
	sum, _ := e.sim.JobSummary(res.JobID)
	if info.Params.Format != clari.FormatCSV || len(got.entries) != sum.CSVRows || sum.CSVRows == 0 {
		t.Errorf("format %s, %d entries of %d rows", info.Params.Format, len(got.entries), sum.CSVRows)
	}
}

// BenchmarkResultsJSON measures streaming one realistic result document
// (300 users × 4 fields × 13 weeks, two data types) from the simulator over
// loopback HTTP through the client into a counting visitor.
func BenchmarkResultsJSON(b *testing.B) {
	sim := clarisim.New(clarisim.Options{APIKey: simKey, Seed: 7, Tenant: clarisim.TenantSpec{Users: 300}})
	srv := httptest.NewServer(sim)
	defer srv.Close()
	defer sim.Close()
	c, err := clari.New(clientOptions(srv.URL, &clari.Recorder{}))
	if err != nil {
		b.Fatal(err)
	}
	bg := context.Background()
	id, err := c.CreateExport(bg, clari.ExportRequest{ForecastID: "net_arr", IncludeHistorical: true,
		TimePeriod: clarisim.QuarterOf(time.Now().AddDate(0, -3, 0), time.January).ID(), TypesToExport: []string{clari.DataForecast, clari.DataQuota}})
	if err != nil {
		b.Fatal(err)
	}
	n := 0
	v := clari.Visitor{Entry: func(*clari.Entry) error { n++; return nil }}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		n = 0
		if err := c.Results(bg, id, clari.FormatJSON, v); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n), "entries/op")
}
