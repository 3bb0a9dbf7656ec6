package clarisim

import (
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/clari-exporter/clari_exporter/clari"
	"github.com/go-kit/log"
	"github.com/go-kit/log/level"
)

// DefaultAPIKey is the key the simulator accepts when Options.APIKey is empty.
const DefaultAPIKey = "clarisim-test-key"

// OrgID is the orgId of every error body: a number, as Clari sends it.
const OrgID = 90210

// Options configure a simulator.
type Options struct {
	// APIKey is the only key accepted in the apikey header (default
	// DefaultAPIKey).
	APIKey string
	// Seed makes job ids, values and key orders deterministic.
	Seed int64
	// Tenant is the simulated org (zero values take defaults).
	Tenant TenantSpec
	// Clock is the simulator's time (nil: time.Now). Job progress, quota
	// windows and the current quarter follow it.
	Clock func() time.Time
	// Logger gets one debug line per request (never the key); nil discards.
	Logger log.Logger
	// Scenario is the initial scenario (zero: Clari's default behaviour).
	Scenario Scenario
	// RequireV4 answers a path outside /v4 with the gateway's 404, as Clari
	// does. Off by default: a simulator's root URL is accepted as a base
	// URL too, which most tests use.
	RequireV4 bool
}

// Sim is the simulated Clari API, an http.Handler. All methods are safe for
// concurrent use.
type Sim struct {
	apiKey    string
	requireV4 bool
	seed      int64
	tenant    TenantSpec
	clock     func() time.Time
	logger    log.Logger

	done      chan struct{}
	closeOnce sync.Once

	mu      sync.Mutex
	sc      Scenario // with defaults applied
	faults  []*Fault
	jobs    map[string]*job
	order   []string // job ids in creation order
	counter uint64   // job id counter
	errSeq  uint64
	stats   Stats
	// one-shot and persistent per-forecast overrides
	nextStatus map[string][]clari.JobStatus // forecast id ("" = any) → queue
	nextTrunc  map[string][]JobTruncation   // forecast id ("" = any) → queue
	ratios     map[string]float64
	empty      map[string]map[string]bool // forecast id → period ("*" = all)
	auditBase  time.Time
	pipe       pipelineState
}

// New returns a simulator. An invalid opts.Scenario is replaced by the
// default one (use SetScenario to get the error).
func New(opts Options) *Sim {
	s := &Sim{
		apiKey:     opts.APIKey,
		requireV4:  opts.RequireV4,
		seed:       opts.Seed,
		tenant:     opts.Tenant.WithDefaults(),
		clock:      opts.Clock,
		logger:     opts.Logger,
		done:       make(chan struct{}),
		jobs:       map[string]*job{},
		nextStatus: map[string][]clari.JobStatus{},
		nextTrunc:  map[string][]JobTruncation{},
		ratios:     map[string]float64{},
		empty:      map[string]map[string]bool{},
	}
	if s.apiKey == "" {
		s.apiKey = DefaultAPIKey
	}
	if s.clock == nil {
		s.clock = time.Now
	}
	if s.logger == nil {
		s.logger = log.NewNopLogger()
	}
	s.auditBase = s.clock()
	s.stats = newStats()
	if err := s.SetScenario(opts.Scenario); err != nil {
		level.Warn(s.logger).Log("msg", "invalid scenario, using defaults", "err", err)
		_ = s.SetScenario(Scenario{})
	}
	return s
}

// SetScenario installs sc (defaults applied); its Faults replace the fault
// queue. Jobs already created keep the behaviour they were created with.
func (s *Sim) SetScenario(sc Scenario) error {
	if err := sc.Validate(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sc = sc.withDefaults()
	s.faults = nil
	for _, f := range sc.Faults {
		s.addFaultLocked(f)
	}
	return nil
}

// Scenario returns the installed scenario (defaults applied).
func (s *Sim) Scenario() Scenario {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sc
}

// UpdateScenario changes the installed scenario under the lock, e.g.
// sim.UpdateScenario(func(sc *Scenario){ sc.JobEnvelope = JobFlat }).
// Faults are not touched (use AddFault).
func (s *Sim) UpdateScenario(change func(sc *Scenario)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	sc := s.sc
	change(&sc)
	sc.Faults = nil
	if err := sc.Validate(); err != nil {
		return err
	}
	s.sc = sc.withDefaults()
	return nil
}

// Tenant returns the tenant spec (defaults applied).
func (s *Sim) Tenant() TenantSpec { return s.tenant }

// Seed returns the seed.
func (s *Sim) Seed() int64 { return s.seed }

// Now returns the simulator clock's time.
func (s *Sim) Now() time.Time { return s.clock() }

// Close releases every hung or slow request (their connections are aborted)
// and makes later hang faults abort at once. The simulator keeps serving.
func (s *Sim) Close() { s.closeOnce.Do(func() { close(s.done) }) }

// route is a matched API route.
type route struct {
	endpoint string
	jobID    string
	forecast string
	prefix   string // "/v4" when the request used it
}

// match maps method and path to an endpoint. A leading /v4 is accepted so
// the base URL may be server.URL or server.URL+"/v4".
func match(r *http.Request) (route, bool) {
	p := r.URL.Path
	var rt route
	if strings.HasPrefix(p, "/v4/") {
		rt.prefix, p = "/v4", p[3:]
	}
	seg := strings.Split(strings.Trim(p, "/"), "/")
	m := r.Method
	switch {
	case len(seg) == 3 && seg[0] == "export" && seg[1] == "forecast" && seg[2] != "" && m == http.MethodPost:
		rt.endpoint, rt.forecast = clari.EndpointCreateExport, seg[2]
	case len(seg) == 2 && seg[0] == "export" && seg[1] == "jobs" && m == http.MethodGet:
		rt.endpoint = clari.EndpointListJobs
	case len(seg) == 3 && seg[0] == "export" && seg[1] == "jobs" && seg[2] != "" && m == http.MethodGet:
		rt.endpoint, rt.jobID = clari.EndpointGetJob, seg[2]
	case len(seg) == 3 && seg[0] == "export" && seg[1] == "jobs" && seg[2] != "" && m == http.MethodPatch:
		rt.endpoint, rt.jobID = clari.EndpointCancelJob, seg[2]
	case len(seg) == 4 && seg[0] == "export" && seg[1] == "jobs" && seg[2] != "" && seg[3] == "results" && m == http.MethodGet:
		rt.endpoint, rt.jobID = clari.EndpointResults, seg[2]
	case len(seg) == 2 && seg[0] == "admin" && seg[1] == "limits" && m == http.MethodGet:
		rt.endpoint = clari.EndpointLimits
	case len(seg) == 2 && seg[0] == "audit" && seg[1] == "events" && m == http.MethodGet:
		rt.endpoint = clari.EndpointAuditEvents
	default:
		return rt, false
	}
	return rt, true
}

// ServeHTTP serves the Clari API.
func (s *Sim) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := s.clock()
	sw := &statusWriter{ResponseWriter: w}
	rt, ok := match(r)
	ok = ok && (rt.prefix != "" || !s.requireV4)
	endpoint := rt.endpoint
	if !ok {
		endpoint = "unknown"
	}
	defer func() {
		s.mu.Lock()
		s.stats.Responses[sw.code()]++
		s.mu.Unlock()
		level.Debug(s.logger).Log("msg", "request", "method", r.Method, "path", r.URL.Path, "endpoint", endpoint, "code", sw.code(), "duration", s.clock().Sub(start))
	}()
	s.mu.Lock()
	s.stats.Requests[endpoint]++
	s.mu.Unlock()
	if !ok {
		writeJSON(sw, http.StatusNotFound, map[string]string{"message": "no Route matched with those values"})
		return
	}
	key := r.Header.Get("apikey")
	if key == "" || subtle.ConstantTimeCompare([]byte(key), []byte(s.apiKey)) != 1 {
		s.mu.Lock()
		s.stats.Unauthorized++
		s.mu.Unlock()
		writeJSON(sw, http.StatusUnauthorized, map[string]string{"message": "Invalid authentication credentials"})
		return
	}
	if f, ok := s.takeFault(rt.endpoint, FaultTooManyRequests, FaultServerError, FaultHang, FaultSlow, FaultReset); ok {
		if !s.serveFault(sw, r, f) {
			if sw.code() == 0 {
				// Reset, or hung until the client left or Close: never let
				// net/http turn the silence into an empty 200.
				panic(http.ErrAbortHandler)
			}
			return
		}
	}
	s.advance()
	switch rt.endpoint {
	case clari.EndpointCreateExport:
		s.createExport(sw, r, rt)
	case clari.EndpointGetJob:
		s.getJob(sw, rt)
	case clari.EndpointListJobs:
		s.listJobs(sw)
	case clari.EndpointCancelJob:
		s.cancelJob(sw, r, rt)
	case clari.EndpointResults:
		s.results(sw, r, rt)
	case clari.EndpointLimits:
		s.limits(sw)
	case clari.EndpointAuditEvents:
		s.auditEvents(sw, r, rt)
	}
}

// apiError is Clari's error body.
type apiError struct {
	Code      string `json:"code"`
	Namespace string `json:"namespace"`
	ErrorID   string `json:"errorId"`
	Message   string `json:"message"`
	OrgID     int64  `json:"orgId"`
}

// writeError answers status with Clari's error body.
func (s *Sim) writeError(w http.ResponseWriter, status int, namespace, code, msg string) {
	s.mu.Lock()
	s.errSeq++
	id := hexID(mix(uint64(s.seed)^0x6572726f72) + s.errSeq)
	s.mu.Unlock()
	writeJSON(w, status, apiError{Code: code, Namespace: namespace, ErrorID: id, Message: msg, OrgID: OrgID})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, `{"message":"simulator failed to encode its answer"}`, http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

// hexID turns a hash into 24 lowercase hex chars (the shape of a job id).
func hexID(h uint64) string {
	return fmt.Sprintf("%016x%08x", mix(h), uint32(mix(h^0xdeadbeef)))
}

func errorf(format string, args ...any) error { return fmt.Errorf("clarisim: "+format, args...) }

// statusWriter records the status code of the answer.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// code is the recorded status, 0 when nothing was written (hung, aborted).
func (w *statusWriter) code() int { return w.status }
