package clari

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/cenkalti/backoff/v4"
	"github.com/clari-exporter/clari_exporter/secret"
	"github.com/go-kit/log"
	"github.com/go-kit/log/level"
)

// maxJSONBody bounds the small JSON answers (jobs, job lists, limits, audit
// pages). Export results are streamed and not bounded by it.
const maxJSONBody = 64 << 20

// Options configures a Client. It has no defaults: config (the clari
// section, through config.Config.ClientOptions) decides and validates every
// value. Retries, the breaker and pacing are off when left zero.
type Options struct {
	// BaseURL is the API root, e.g. ProductionBaseURL. A trailing slash is
	// trimmed.
	BaseURL string
	// APIKey is sent as the `apikey` header. It never appears in errors,
	// logs or String().
	APIKey string
	// UserAgentVersion makes the User-Agent `clari_exporter/<version>`.
	UserAgentVersion string
	// RequestTimeout bounds each attempt: no response headers, or no body
	// progress, within it aborts the attempt. Required (> 0).
	RequestTimeout time.Duration
	Retry          RetryOptions
	Breaker        BreakerOptions
	Pacing         PacingOptions
	// Instrumentation counts requests, retries and breaker states; nil uses
	// NopInstrumentation.
	Instrumentation Instrumentation
	// HTTPClient, when set, is copied; its CheckRedirect is replaced so
	// that redirects never carry the API key to another host.
	HTTPClient *http.Client
	Logger     log.Logger
}

// String keeps the API key out of any log line that prints Options.
func (o Options) String() string {
	key := ""
	if o.APIKey != "" {
		key = secret.Redacted
	}
	return fmt.Sprintf("clari.Options{BaseURL:%q APIKey:%s RequestTimeout:%s Retry:%+v Breaker:%+v Pacing:%+v}",
		o.BaseURL, key, o.RequestTimeout, o.Retry, o.Breaker, o.Pacing)
}

// GoString is String, for %#v.
func (o Options) GoString() string { return o.String() }

// Client calls the Clari Revenue API v4. It is safe for concurrent use.
type Client struct {
	base      *url.URL
	baseStr   string
	apiKey    string
	userAgent string
	timeout   time.Duration
	hc        *http.Client
	res       *resilience
	instr     Instrumentation
	logger    log.Logger
}

// String keeps the API key out of logs that print a *Client.
func (c *Client) String() string { return "clari.Client{" + c.baseStr + "}" }

// New checks o and builds a Client. It makes no request.
func New(o Options) (*Client, error) {
	if strings.TrimSpace(o.APIKey) == "" {
		return nil, errors.New("clari: no API key configured: set api_key_file or the API key environment variable")
	}
	if strings.ContainsAny(o.APIKey, "\r\n") {
		return nil, errors.New("clari: the API key contains a line break; check api_key_file for a trailing newline that was not trimmed")
	}
	raw := strings.TrimRight(o.BaseURL, "/")
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("clari: base URL %q is not an absolute http(s) URL (expected e.g. %s)", raw, ProductionBaseURL)
	}
	if u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return nil, fmt.Errorf("clari: base URL %q must not carry a query, fragment or user info", secret.URL(raw))
	}
	logger := o.Logger
	if logger == nil {
		logger = log.NewNopLogger()
	}
	instr := o.Instrumentation
	if instr == nil {
		instr = NopInstrumentation{}
	}
	if o.RequestTimeout <= 0 {
		// A programming error, not a user's: config validates
		// clari.request_timeout > 0.
		return nil, fmt.Errorf("clari: Options.RequestTimeout is %s: build Options with config.Config.ClientOptions", o.RequestTimeout)
	}
	version := o.UserAgentVersion
	if version == "" {
		version = "dev"
	}
	c := &Client{
		base:      u,
		baseStr:   raw,
		apiKey:    o.APIKey,
		userAgent: "clari_exporter/" + version,
		timeout:   o.RequestTimeout,
		instr:     instr,
		logger:    logger,
	}
	c.hc = c.httpClient(o.HTTPClient)
	c.res = newResilience(o, instr, logger)
	return c, nil
}

// httpClient copies hc (or builds a default) and installs a redirect policy
// that refuses redirects leaving the base URL's scheme and host: Go's client
// forwards custom headers such as `apikey` on redirects.
func (c *Client) httpClient(hc *http.Client) *http.Client {
	var out http.Client
	if hc != nil {
		out = *hc
	} else {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.MaxIdleConnsPerHost = 4
		t.IdleConnTimeout = 90 * time.Second
		t.TLSHandshakeTimeout = 10 * time.Second
		t.DialContext = (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext
		out.Transport = t
	}
	prev := out.CheckRedirect
	out.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if !c.sameOrigin(req.URL) {
			return http.ErrUseLastResponse
		}
		if len(via) >= 5 {
			return http.ErrUseLastResponse
		}
		if prev != nil {
			return prev(req, via)
		}
		return nil
	}
	out.Timeout = 0 // per-attempt timeouts are ours
	return &out
}

func (c *Client) sameOrigin(u *url.URL) bool {
	return strings.EqualFold(u.Scheme, c.base.Scheme) && strings.EqualFold(u.Host, c.base.Host)
}

// BreakerState is "closed", "half_open" or "open" ("closed" when the breaker
// is disabled).
func (c *Client) BreakerState() string { return c.res.state() }

// BaseURL is the API root requests go to (no trailing slash).
func (c *Client) BaseURL() string { return c.baseStr }

// request is one API call.
type request struct {
	endpoint string
	method   string
	path     string     // relative to the base URL, e.g. /export/jobs
	abs      *url.URL   // instead of path: an absolute URL (audit nextLink)
	query    url.Values // optional
	body     []byte     // JSON, optional
	accept   string     // default application/json
}

func (c *Client) url(r *request) string {
	if r.abs != nil {
		return r.abs.String()
	}
	s := c.baseStr + r.path
	if len(r.query) > 0 {
		s += "?" + r.query.Encode()
	}
	return s
}

// errAttemptTimeout is the cancel cause of an attempt whose server went
// quiet for RequestTimeout.
var errAttemptTimeout = errors.New("clari: request timeout")

// progressReader runs the attempt's idle timer only while a read waits
// for the server, so a large result keeps streaming while a stalled one is
// cut off. Between reads the timer is stopped: the time the consumer takes
// (the snapshot builder, a warehouse sink waiting for its database) is not
// the server going quiet, and counting it failed healthy downloads on a
// busy machine.
type progressReader struct {
	r     io.Reader
	timer *time.Timer
	d     time.Duration
}

func (p *progressReader) Read(b []byte) (int, error) {
	p.timer.Reset(p.d)
	n, err := p.r.Read(b)
	p.timer.Stop()
	return n, err
}

// once makes one HTTP attempt. handle reads a 2xx body; its error is
// returned as is (a body read that stalls is turned into a NetworkError).
// Non-2xx answers become *APIError. once does no pacing, breaking or retry.
func (c *Client) once(ctx context.Context, r *request, handle func(resp *http.Response, body io.Reader) error) error {
	actx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	timer := time.AfterFunc(c.timeout, func() { cancel(errAttemptTimeout) })
	defer timer.Stop()

	var body io.Reader
	if r.body != nil {
		body = bytes.NewReader(r.body)
	}
	req, err := http.NewRequestWithContext(actx, r.method, c.url(r), body)
	if err != nil {
		return backoff.Permanent(fmt.Errorf("clari: %s: building request: %v", r.endpoint, err))
	}
	req.Header.Set("apikey", c.apiKey)
	req.Header.Set("User-Agent", c.userAgent)
	accept := r.accept
	if accept == "" {
		accept = "application/json"
	}
	req.Header.Set("Accept", accept)
	if r.body != nil {
		req.Header.Set("Content-Type", "application/json")
	}

	start := time.Now()
	resp, err := c.hc.Do(req)
	took := time.Since(start)
	if err != nil {
		c.instr.Request(r.endpoint, "error", took)
		nerr := c.transportError(r.endpoint, err, ctx, actx)
		level.Debug(c.logger).Log("msg", "Clari API request failed", "endpoint", r.endpoint, "method", r.method, "duration", took, "err", nerr)
		return nerr
	}
	defer resp.Body.Close()
	c.instr.Request(r.endpoint, strconv.Itoa(resp.StatusCode), took)
	level.Debug(c.logger).Log("msg", "Clari API request", "endpoint", r.endpoint, "method", r.method, "code", resp.StatusCode, "duration", took)
	timer.Reset(c.timeout)

	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		e := newAPIError(r.endpoint, resp, c.apiKey, c.res.now())
		if resp.StatusCode == http.StatusNotFound && e.Code == "" && e.Message == gatewayNoRoute {
			e.routeHint = noRouteHint(c.baseStr)
		}
		return e
	}
	if handle == nil {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxErrorBody))
		return nil
	}
	herr := handle(resp, &progressReader{r: resp.Body, timer: timer, d: c.timeout})
	if herr != nil && actx.Err() != nil {
		// The body read was cut short by our timer or the caller: say so
		// rather than report whatever parse error the short read caused.
		// Keep the handler's verdict on whether a retry is safe.
		var perm *backoff.PermanentError
		werr := c.wrapBodyError(r.endpoint, herr, ctx, actx)
		if errors.As(herr, &perm) {
			return backoff.Permanent(werr)
		}
		return werr
	}
	return herr
}

// wrapBodyError turns a failure while reading a body into the right kind:
// the caller's cancellation, or a timeout (a stalled body is a network
// problem, not a malformed document: the decoder's position is kept in the
// text only).
func (c *Client) wrapBodyError(endpoint string, herr error, parent, actx context.Context) error {
	if parent.Err() != nil {
		return parentContextError{err: fmt.Errorf("clari: %s: %w", endpoint, parent.Err())}
	}
	if context.Cause(actx) == errAttemptTimeout {
		return &NetworkError{Endpoint: endpoint, Timeout: true,
			Err: fmt.Errorf("response body stalled for %s (request timeout); %s", c.timeout, unwrapPermanent(herr).Error())}
	}
	return herr
}

func unwrapPermanent(err error) error {
	var perm *backoff.PermanentError
	if errors.As(err, &perm) {
		return perm.Err
	}
	return err
}

func (c *Client) transportError(endpoint string, err error, parent, actx context.Context) error {
	if parent.Err() == nil && context.Cause(actx) == errAttemptTimeout {
		return &NetworkError{Endpoint: endpoint, Timeout: true, NotSent: isDialError(err),
			Err: fmt.Errorf("no response within %s (request timeout)", c.timeout)}
	}
	return classifyTransportError(endpoint, err, parent, c.timeout)
}

func isDialError(err error) bool {
	var oe *net.OpError
	return errors.As(err, &oe) && oe.Op == "dial"
}

// call runs r with pacing, breaker and retries; handle reads the 2xx body.
func (c *Client) call(ctx context.Context, r *request, handle func(resp *http.Response, body io.Reader) error) error {
	return c.res.withRetry(ctx, r.endpoint, func(int) error {
		return c.res.attempt(ctx, r.endpoint, func() error { return c.once(ctx, r, handle) })
	})
}

// callJSON runs r and unmarshals its 2xx body with decode.
func (c *Client) callJSON(ctx context.Context, r *request, decode func(status int, body []byte) error) error {
	return c.call(ctx, r, func(resp *http.Response, body io.Reader) error {
		b, err := io.ReadAll(io.LimitReader(body, maxJSONBody+1))
		if err != nil {
			return &NetworkError{Endpoint: r.endpoint, Err: fmt.Errorf("reading response: %w", err)}
		}
		if len(b) > maxJSONBody {
			return backoff.Permanent(&MalformedResponseError{Endpoint: r.endpoint, StatusCode: resp.StatusCode, Reason: "response larger than 64 MiB"})
		}
		if err := decode(resp.StatusCode, b); err != nil {
			return backoff.Permanent(err)
		}
		return nil
	})
}

func malformed(endpoint string, status int, format string, args ...any) error {
	return &MalformedResponseError{Endpoint: endpoint, StatusCode: status, Reason: fmt.Sprintf(format, args...)}
}

func checkID(endpoint, what, id string) error {
	if strings.TrimSpace(id) == "" {
		return fmt.Errorf("clari: %s: empty %s", endpoint, what)
	}
	return nil
}

// GetJob returns the export job. Clari wraps it as {"job":{...}}; the
// reference documents it flat; both are accepted.
func (c *Client) GetJob(ctx context.Context, jobID string) (Job, error) {
	if err := checkID(EndpointGetJob, "job id", jobID); err != nil {
		return Job{}, err
	}
	var job Job
	err := c.callJSON(ctx, &request{endpoint: EndpointGetJob, method: http.MethodGet, path: "/export/jobs/" + url.PathEscape(jobID)},
		func(status int, b []byte) error {
			j, err := decodeJobDocument(b)
			if err != nil {
				return malformed(EndpointGetJob, status, "%v", err)
			}
			job = j
			return nil
		})
	return job, err
}

// ListJobs returns the token user's export jobs. Clari sends a bare array
// (reference) or {"jobs":[...]}; both are accepted.
func (c *Client) ListJobs(ctx context.Context) ([]Job, error) {
	var jobs []Job
	err := c.callJSON(ctx, &request{endpoint: EndpointListJobs, method: http.MethodGet, path: "/export/jobs"},
		func(status int, b []byte) error {
			js, err := decodeJobList(b)
			if err != nil {
				return malformed(EndpointListJobs, status, "%v", err)
			}
			jobs = js
			return nil
		})
	return jobs, err
}

// CancelJob cancels the job (PATCH {"type":"CANCEL"}), freeing its
// concurrency slot.
//
// Clari answers {"status":"CANCELLED","successful":true}; the body is not
// needed. A job that already ended answers 400 export_failed_to_cancel:
// the error then satisfies IsCancelOfEndedJob.
func (c *Client) CancelJob(ctx context.Context, jobID string) error {
	if err := checkID(EndpointCancelJob, "job id", jobID); err != nil {
		return err
	}
	return c.call(ctx, &request{endpoint: EndpointCancelJob, method: http.MethodPatch,
		path: "/export/jobs/" + url.PathEscape(jobID), body: []byte(`{"type":"CANCEL"}`)}, nil)
}

// Limits returns the org's export quota and concurrency (GET /admin/limits,
// {"jobs":{...}}). It costs no quota: the cheapest call that proves the key.
func (c *Client) Limits(ctx context.Context) (Limits, error) {
	var lim Limits
	err := c.callJSON(ctx, &request{endpoint: EndpointLimits, method: http.MethodGet, path: "/admin/limits"},
		func(status int, b []byte) error {
			var doc struct {
				Jobs *Limits `json:"jobs"`
			}
			if err := json.Unmarshal(b, &doc); err != nil {
				return malformed(EndpointLimits, status, "not JSON: %v", jsonErrText(err))
			}
			if doc.Jobs == nil {
				// Accept the members at top level too.
				var flat Limits
				var probe map[string]json.RawMessage
				_ = json.Unmarshal(b, &probe)
				if _, ok := probe["concurrentLimit"]; !ok {
					return malformed(EndpointLimits, status, `no "jobs" object`)
				}
				if err := json.Unmarshal(b, &flat); err != nil {
					return malformed(EndpointLimits, status, "%v", jsonErrText(err))
				}
				doc.Jobs = &flat
			}
			lim = *doc.Jobs
			return nil
		})
	return lim, err
}

// Results streams the result document of a DONE job into the decoder for
// format (DecodeJSON or DecodeCSV), which calls v. Only the request is
// retried: once the body started streaming, a failure is returned as is (a
// retry would hand v the same items twice). A truncated or malformed
// document gives a *DecodeError.
func (c *Client) Results(ctx context.Context, jobID string, format ExportFormat, v Visitor) error {
	if err := checkID(EndpointResults, "job id", jobID); err != nil {
		return err
	}
	decode := DecodeJSON
	accept := "application/json"
	switch ExportFormat(strings.ToUpper(string(format))) {
	case FormatJSON, "":
	case FormatCSV:
		decode, accept = DecodeCSV, "text/csv"
	default:
		return fmt.Errorf("clari: results: unknown export format %q (want JSON or CSV)", format)
	}
	return c.call(ctx, &request{endpoint: EndpointResults, method: http.MethodGet,
		path: "/export/jobs/" + url.PathEscape(jobID) + "/results", accept: accept},
		func(_ *http.Response, body io.Reader) error {
			if err := decode(body, v); err != nil {
				return backoff.Permanent(err)
			}
			return nil
		})
}

// decodeCreated reads {"jobId":"..."} (or a job document) from a 2xx create.
func decodeCreated(status int, body io.Reader) (string, error) {
	b, err := io.ReadAll(io.LimitReader(body, maxErrorBody))
	if err != nil {
		return "", &NetworkError{Endpoint: EndpointCreateExport, Err: fmt.Errorf("reading response: %w", err)}
	}
	job, err := decodeJobDocument(b)
	if err != nil {
		return "", malformed(EndpointCreateExport, status, "%v", err)
	}
	return job.JobID, nil
}

// RedactedDump is httputil.DumpRequestOut with the apikey header (and any
// Authorization header) replaced by secret.Redacted. Use it for debug output:
// never dump a request any other way.
func RedactedDump(req *http.Request, body bool) ([]byte, error) {
	r := req.Clone(req.Context())
	for _, h := range []string{"apikey", "Authorization", "Proxy-Authorization"} {
		if r.Header.Get(h) != "" {
			r.Header.Set(h, secret.Redacted)
		}
	}
	if body && req.GetBody != nil {
		b, err := req.GetBody()
		if err != nil {
			return nil, err
		}
		r.Body = b
	} else {
		r.Body = nil
		body = false
	}
	return httputil.DumpRequestOut(r, body)
}
