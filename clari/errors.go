package clari

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/clari-exporter/clari_exporter/secret"
	"github.com/sony/gobreaker/v2"
)

// maxErrorBody bounds how much of an error response is read: enough for any
// JSON error Clari sends, small enough that a misbehaving proxy returning a
// huge HTML page cannot make us buffer it.
const maxErrorBody = 64 << 10

// Error codes Clari puts in the "code" member of a 4xx body that this package
// classifies.
const (
	CodeQuotaReached     = "export_monthly_quota_reached"
	CodeNoOptIn          = "no_optin"
	CodeTypeNotSupported = "type_not_supported"
	CodeNoSuchForecast   = "no_such_forecast_config"
	// CodeFailedToCancel answers a cancel of a job that already ended.
	CodeFailedToCancel = "export_failed_to_cancel"
	CodeInvalidJobID   = "invalid_jobId"
)

// APIError is a non-2xx answer from Clari. It carries what Clari said, never
// the request's API key or its URL query.
type APIError struct {
	// StatusCode is the HTTP status.
	StatusCode int
	// Code, Namespace, ErrorID and Message are Clari's error document
	// members; any of them may be empty (gateway errors only carry message).
	Code      string
	Namespace string
	ErrorID   string
	Message   string
	// Endpoint is the Endpoint* name of the call (never a URL).
	Endpoint string
	// RetryAfter is the delay the server asked for with Retry-After (429 or
	// 503), zero when absent or unparseable.
	RetryAfter time.Duration

	// routeHint says what is wrong with the base URL when Clari's gateway
	// knows no route for the request (set by the client, which knows it).
	routeHint string
}

// gatewayNoRoute is the message of Clari's gateway 404 for a path it has
// no route for (clari-api.md), as opposed to an API 404 for an unknown job.
const gatewayNoRoute = "no Route matched with those values"

// noRouteHint explains a gateway 404: a base_url without /v4 is the usual
// cause (every API path lives under /v4).
func noRouteHint(baseURL string) string {
	if u, err := url.Parse(baseURL); err == nil && !strings.HasSuffix(strings.TrimRight(u.Path, "/"), "/v4") {
		return fmt.Sprintf("clari.base_url %s lacks the /v4 path: Clari's API is at %s (set base_url to it, or drop base_url for that default)", baseURL, ProductionBaseURL)
	}
	return fmt.Sprintf("Clari has no such route under clari.base_url %s: check it against %s", baseURL, ProductionBaseURL)
}

// Error reads like `clari: get_job: HTTP 404 (not_found): job not found`.
func (e *APIError) Error() string {
	var b strings.Builder
	b.WriteString("clari: ")
	if e.Endpoint != "" {
		b.WriteString(e.Endpoint)
		b.WriteString(": ")
	}
	b.WriteString("HTTP ")
	b.WriteString(strconv.Itoa(e.StatusCode))
	if e.Code != "" {
		b.WriteString(" (")
		b.WriteString(e.Code)
		b.WriteString(")")
	}
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	} else if t := http.StatusText(e.StatusCode); t != "" {
		b.WriteString(": ")
		b.WriteString(t)
	}
	if e.ErrorID != "" {
		b.WriteString(" [errorId ")
		b.WriteString(e.ErrorID)
		b.WriteString("]")
	}
	if hint := e.hint(); hint != "" {
		b.WriteString("; ")
		b.WriteString(hint)
	}
	return b.String()
}

// hint names what the user should fix for the errors they can cause.
func (e *APIError) hint() string {
	switch {
	case e.routeHint != "":
		return e.routeHint
	case e.StatusCode == http.StatusUnauthorized && e.Code == CodeNoOptIn:
		return "the API key's user is not opted into this forecast"
	case e.StatusCode == http.StatusUnauthorized:
		return "check the API key (api_key_file / environment): it is invalid, revoked or expired"
	case e.Code == CodeNoOptIn:
		return "the API key's user is not opted into this forecast"
	case e.Code == CodeQuotaReached:
		return "the org's export quota or concurrency limit is exhausted"
	case e.Code == CodeNoSuchForecast:
		return "check the forecast id (the tab slug from the Clari UI URL)"
	case e.Code == CodeTypeNotSupported:
		return "remove the rejected type from types_to_export"
	case e.StatusCode == http.StatusForbidden:
		return "the API key's user may not access this resource"
	}
	return ""
}

// errorDocument is every shape of Clari error body seen so far.
type errorDocument struct {
	Code      string `json:"code"`
	Namespace string `json:"namespace"`
	ErrorID   string `json:"errorId"`
	Message   string `json:"message"`
	Error     string `json:"error"`
}

// newAPIError reads at most maxErrorBody bytes of resp's body and builds the
// APIError. apiKey is scrubbed from anything the server echoed: a server
// that echoes the request's headers must not leak the key into our logs.
func newAPIError(endpoint string, resp *http.Response, apiKey string, now time.Time) *APIError {
	e := &APIError{StatusCode: resp.StatusCode, Endpoint: endpoint}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	var doc errorDocument
	if len(body) > 0 && json.Unmarshal(body, &doc) == nil {
		e.Code, e.Namespace, e.ErrorID, e.Message = doc.Code, doc.Namespace, doc.ErrorID, doc.Message
		if e.Message == "" {
			e.Message = doc.Error
		}
	} else if len(body) > 0 {
		// Not JSON (a proxy's HTML page, say): keep a short, single-line
		// excerpt so the operator sees something.
		e.Message = excerpt(string(body), 200)
	}
	var sc secret.Scrubber
	sc.Add(apiKey)
	e.Code = sc.Scrub(e.Code)
	e.Namespace = sc.Scrub(e.Namespace)
	e.ErrorID = sc.Scrub(e.ErrorID)
	e.Message = sc.Scrub(e.Message)
	if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable {
		e.RetryAfter, _ = parseRetryAfter(resp.Header.Get("Retry-After"), now)
	}
	return e
}

func excerpt(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > n {
		s = s[:n] + "…"
	}
	return s
}

// parseRetryAfter reads a Retry-After value given as delta seconds or as an
// HTTP-date. ok is false when the header is absent or unparseable.
func parseRetryAfter(v string, now time.Time) (d time.Duration, ok bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.ParseFloat(v, 64); err == nil {
		if secs < 0 || secs > 1e9 {
			return 0, false
		}
		return time.Duration(secs * float64(time.Second)), true
	}
	if t, err := http.ParseTime(v); err == nil {
		d := t.Sub(now)
		if d < 0 {
			d = 0
		}
		return d, true
	}
	return 0, false
}

// RetryAfterError is what a retry gives up with when the server asked for a
// delay (429 with Retry-After) longer than the retry budget has left. The
// caller may honour After before calling again.
type RetryAfterError struct {
	After time.Duration
	Err   error
}

func (e *RetryAfterError) Error() string {
	return fmt.Sprintf("%v (server asked to retry after %s, beyond the retry budget)", e.Err, e.After)
}

func (e *RetryAfterError) Unwrap() error { return e.Err }

// NetworkError is an attempt that got no HTTP response: connection refused,
// reset, DNS failure or the per-request timeout. Unlike *url.Error its text
// never contains the request URL.
type NetworkError struct {
	Endpoint string
	// Timeout is true when the per-request timeout (Options.RequestTimeout)
	// or a transport timeout expired.
	Timeout bool
	// NotSent is true when the connection could not even be established,
	// which proves the server never saw the request.
	NotSent bool
	Err     error
}

func (e *NetworkError) Error() string {
	what := "request failed"
	if e.Timeout {
		what = "request timed out"
	}
	return fmt.Sprintf("clari: %s: %s: %v", e.Endpoint, what, e.Err)
}

func (e *NetworkError) Unwrap() error { return e.Err }

// MalformedResponseError is a 2xx answer whose body is not what the API
// documents (not JSON, no jobId, ...).
type MalformedResponseError struct {
	Endpoint   string
	StatusCode int
	Reason     string
}

func (e *MalformedResponseError) Error() string {
	return fmt.Sprintf("clari: %s: malformed response (HTTP %d): %s", e.Endpoint, e.StatusCode, e.Reason)
}

// ErrBreakerOpen is returned (wrapped, with the endpoint) when the circuit
// breaker refuses a request because Clari failed too often recently. It
// matches gobreaker.ErrOpenState with errors.Is. The runner counts these as
// skips (reason circuit_open), not as failures.
var ErrBreakerOpen = fmt.Errorf("clari: circuit breaker open, request not sent: %w", gobreaker.ErrOpenState)

// ErrUnsafeNextLink is returned when an audit page's nextLink points at
// another scheme or host than the configured base URL: following it would
// send the API key elsewhere.
var ErrUnsafeNextLink = errors.New("clari: audit_events: nextLink points outside the configured base URL; not followed (the API key would be sent there)")

// parentContextError marks a failure caused by the caller's context (cancel
// or deadline), as opposed to the per-request timeout. It is neither a
// breaker failure nor retryable.
type parentContextError struct{ err error }

func (e parentContextError) Error() string { return e.err.Error() }
func (e parentContextError) Unwrap() error { return e.err }

// IsAuth reports whether err says the API key is not accepted: HTTP 401 or
// Clari's no_optin code.
func IsAuth(err error) bool {
	var ae *APIError
	if !errors.As(err, &ae) {
		return false
	}
	return ae.StatusCode == http.StatusUnauthorized || ae.Code == CodeNoOptIn
}

// IsQuotaExhausted reports whether err is Clari's 400
// export_monthly_quota_reached (quota or concurrency exhausted).
func IsQuotaExhausted(err error) bool {
	var ae *APIError
	return errors.As(err, &ae) && ae.Code == CodeQuotaReached
}

// IsCancelOfEndedJob reports whether err is Clari's 400
// export_failed_to_cancel: the job had already ended, so nothing was
// cancelled (and, for a job that ended DONE, its quota is spent).
func IsCancelOfEndedJob(err error) bool {
	var ae *APIError
	return errors.As(err, &ae) && ae.Code == CodeFailedToCancel
}

// IsNotFound reports whether err is a 404 (unknown job, unknown route).
func IsNotFound(err error) bool {
	var ae *APIError
	return errors.As(err, &ae) && ae.StatusCode == http.StatusNotFound
}

// IsConfigError reports whether err is caused by the exporter's configuration
// of a forecast: a rejected type (type_not_supported) or an unknown forecast
// tab (no_such_forecast_config).
func IsConfigError(err error) bool {
	var ae *APIError
	return errors.As(err, &ae) && (ae.Code == CodeTypeNotSupported || ae.Code == CodeNoSuchForecast)
}

// IsBreakerOpen reports whether err is a request refused by the circuit
// breaker.
func IsBreakerOpen(err error) bool { return errors.Is(err, ErrBreakerOpen) }

// IsRetryable reports whether trying the same request again later may
// succeed: 429, 5xx, network errors and timeouts. Other 4xx, decode errors
// and the caller's own cancellation are not.
func IsRetryable(err error) bool {
	_, ok := retryReason(err)
	return ok
}

// retryReason classifies a retryable error into the `reason` label of
// clari_api_retries_total.
func retryReason(err error) (string, bool) {
	if err == nil {
		return "", false
	}
	var pc parentContextError
	if errors.As(err, &pc) {
		return "", false
	}
	var ae *APIError
	if errors.As(err, &ae) {
		switch {
		case ae.StatusCode == http.StatusTooManyRequests:
			return RetryTooManyRequests, true
		case ae.StatusCode >= 500:
			return RetryServerError, true
		}
		return "", false
	}
	var ne *NetworkError
	if errors.As(err, &ne) {
		if ne.Timeout {
			return RetryTimeout, true
		}
		return RetryNetwork, true
	}
	return "", false
}

// isBreakerFailure says whether err counts against the circuit breaker: the
// server is unhealthy or unreachable (5xx, 429, network, timeout). A 4xx
// other than 429 proves the server answered, so it counts as a success.
func isBreakerFailure(err error) bool {
	_, ok := retryReason(err)
	return ok
}

// isBreakerExcluded says whether err must not move the breaker at all: the
// caller gave up (context cancelled or past its deadline).
func isBreakerExcluded(err error) bool {
	var pc parentContextError
	return errors.As(err, &pc)
}

// classifyTransportError turns an error from http.Client.Do into a
// NetworkError (or a parentContextError when the caller's context ended).
// The *url.Error wrapper is dropped on purpose: its text contains the URL.
func classifyTransportError(endpoint string, err error, parent context.Context, timeout time.Duration) error {
	if perr := parent.Err(); perr != nil {
		return parentContextError{err: fmt.Errorf("clari: %s: %w", endpoint, perr)}
	}
	inner := err
	var ue *url.Error
	if errors.As(err, &ue) && ue.Err != nil {
		inner = ue.Err
	}
	ne := &NetworkError{Endpoint: endpoint, Err: inner}
	var nerr net.Error
	if errors.Is(err, context.DeadlineExceeded) {
		// The per-request timeout (the parent is still alive). Say so
		// instead of wrapping context.DeadlineExceeded, which callers use
		// to recognise their own deadline.
		ne.Timeout = true
		ne.Err = fmt.Errorf("no response within %s (request timeout)", timeout)
	} else if errors.As(err, &nerr) && nerr.Timeout() {
		ne.Timeout = true
	}
	var oe *net.OpError
	if errors.As(err, &oe) && oe.Op == "dial" {
		ne.NotSent = true
	}
	return ne
}
