package checklist

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/clari-exporter/clari_exporter/clari"
	"github.com/clari-exporter/clari_exporter/config"
)

// newClient builds a Clari client for the audit: one attempt per request
// (no retries, no breaker), bounded by the audit's context.
func (a *auditor) newClient() (*clari.Client, error) {
	if a.cfg.Secrets.APIKey == "" {
		return nil, errors.New("no API key could be read (see api_key_secret_store)")
	}
	o := a.cfg.ClientOptions()
	o.Retry, o.Breaker, o.Pacing = clari.RetryOptions{}, clari.BreakerOptions{}, clari.PacingOptions{}
	o.HTTPClient, o.Logger = a.o.ClariHTTPClient, a.o.Logger
	return clari.New(o)
}

func (a *auditor) probeLimits(ctx context.Context) limitsProbe {
	lp := limitsProbe{url: strings.TrimSuffix(a.cfg.Clari.BaseURL, "/") + "/admin/limits"}
	c, err := a.newClient()
	if err != nil {
		lp.err = err
		return lp
	}
	start := time.Now()
	lp.limits, lp.err = c.Limits(ctx)
	lp.latency = time.Since(start)
	return lp
}

// checkTokenValid: checklist items 2 and 24. GET /admin/limits costs no
// quota and proves the key against the configured base URL.
func (a *auditor) checkTokenValid() Result {
	lp, err := a.limits()
	if err != nil {
		return result(CheckAPITokenValid, Fail, limitsFailure(lp, err))
	}
	l := lp.limits
	return result(CheckAPITokenValid, Pass, fmt.Sprintf("token accepted by %s in %d ms; %d of %d monthly exports available, %d of %d concurrent slots free",
		lp.url, lp.latency.Milliseconds(), l.AvailableMonthlyQuota, l.MonthlyQuota, l.AvailableConcurrentLimit, l.ConcurrentLimit))
}

func limitsFailure(lp limitsProbe, err error) string {
	var ae *clari.APIError
	var ne net.Error
	switch {
	case lp.url == "" || strings.HasPrefix(err.Error(), "no API key"):
		return err.Error()
	case clari.IsAuth(err):
		return fmt.Sprintf("token rejected by %s: %v", lp.url, err)
	case errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()):
		return fmt.Sprintf("no answer from %s within the deadline (%v)", lp.url, err)
	case errors.As(err, &ae):
		return fmt.Sprintf("%s answered HTTP %d: %v", lp.url, ae.StatusCode, err)
	}
	return fmt.Sprintf("%s unreachable: %v", lp.url, err)
}

// errStop ends the audit-events walk after its first item.
var errStop = errors.New("stop")

// checkLeastPrivilege: checklist item 5, best effort. No Clari endpoint
// reports a token's scopes, and probing write endpoints would change data,
// so the audit makes one read: GET /audit/events?limit=1. The org's audit
// log is administrator data an export service account does not need; a
// token that can read it is broader than necessary (WARN). A refusal (403,
// or no such route) is the expected answer (PASS). Write/ingest scopes stay
// a manual review (docs/check.md#least-privilege).
func (a *auditor) checkLeastPrivilege(ctx context.Context) Result {
	if _, err := a.limits(); err != nil {
		return result(CheckLeastPrivilege, Skip, "the token could not be verified (see api_token_valid)")
	}
	c, err := a.newClient()
	if err != nil {
		return result(CheckLeastPrivilege, Skip, err.Error())
	}
	u := strings.TrimSuffix(a.cfg.Clari.BaseURL, "/") + "/audit/events"
	err = c.AuditEvents(ctx, 1, func(clari.AuditEvent) error { return errStop })
	var ae *clari.APIError
	var mr *clari.MalformedResponseError
	const manual = "write/ingest scopes cannot be verified through the API: review the service account (docs/check.md#least-privilege)"
	switch {
	case err == nil || errors.Is(err, errStop):
		return result(CheckLeastPrivilege, Warn, fmt.Sprintf("token can read the org's audit log (GET %s answered 200), more than exports need; %s", u, manual))
	case errors.As(err, &mr) && mr.StatusCode >= 200 && mr.StatusCode <= 299:
		// Only the status matters here: a page the client cannot decode
		// was still served to this token.
		return result(CheckLeastPrivilege, Warn, fmt.Sprintf("token can read the org's audit log (GET %s answered %d), more than exports need; %s", u, mr.StatusCode, manual))
	case errors.As(err, &ae) && (ae.StatusCode == 403 || ae.StatusCode == 404 || ae.StatusCode == 401):
		return result(CheckLeastPrivilege, Pass, fmt.Sprintf("token is refused the org's audit log (GET %s: HTTP %d); %s", u, ae.StatusCode, manual))
	}
	return result(CheckLeastPrivilege, Skip, fmt.Sprintf("GET %s failed: %s", u, deadlineDetail(ctx, err)))
}

// checkBaseURL: checklist item 6.
func checkBaseURL(cfg *config.Config) Result {
	base := strings.TrimSuffix(cfg.Clari.BaseURL, "/")
	if base == clari.ProductionBaseURL {
		return result(CheckProductionBaseURL, Pass, fmt.Sprintf("base_url %s (Clari production)", base))
	}
	detail := fmt.Sprintf("base_url %s is not Clari's production API %s", base, clari.ProductionBaseURL)
	if u, err := url.Parse(base); err == nil && u.Scheme == "http" && !isLoopback(u.Hostname()) {
		detail += "; plain http sends the API key unencrypted"
	}
	return result(CheckProductionBaseURL, Warn, detail)
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
