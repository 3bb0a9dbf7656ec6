package collector

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/go-kit/log"
	"github.com/prometheus/client_golang/prometheus"
)

// ScrapeTimeoutHeader is the header in which Prometheus sends the scrape
// timeout, in seconds.
const ScrapeTimeoutHeader = "X-Prometheus-Scrape-Timeout-Seconds"

// How a scrape's timeout header becomes the probe's deadline. These are
// not configuration (no config key sets them), so they are constants.
const (
	// timeoutOffset leaves time to gather and write the response after the
	// probe (blackbox_exporter uses the same offset).
	timeoutOffset = 500 * time.Millisecond
	// maxProbeWait bounds the probe when the scraper sends no timeout
	// header (curl, a browser) or a larger one.
	maxProbeWait = 10 * time.Second
)

// HandlerOptions configures NewHandler.
type HandlerOptions struct {
	// Gatherers serve the metrics: usually the Set and a registry with the
	// process and Go collectors. They are merged without re-checking every
	// series (unlike prometheus.Gatherers); a metric name gathered twice is
	// logged and served once. At least one is required.
	Gatherers []prometheus.Gatherer
	// Probe is refreshed before each gather, within the scrape's timeout
	// less timeoutOffset (at least half of it, at most maxProbeWait); nil
	// for none.
	Probe *Probe
	// Logger receives gather errors; nil discards them.
	Logger log.Logger
}

// NewHandler returns the /metrics handler. On each request it works out the
// scrape's deadline from the X-Prometheus-Scrape-Timeout-Seconds header,
// refreshes the live probe within that deadline (instant when the cached
// result is fresh), then gathers and writes the metrics. A metric that fails
// to gather is logged and left out rather than failing the whole scrape.
func NewHandler(opts HandlerOptions) (http.Handler, error) {
	if len(opts.Gatherers) == 0 {
		return nil, fmt.Errorf("collector: NewHandler needs at least one Gatherer (the collector.Set)")
	}
	if opts.Logger == nil {
		opts.Logger = log.NewNopLogger()
	}
	metrics := withGzip(encodingHandler{gatherers: opts.Gatherers, logger: opts.Logger})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if opts.Probe != nil {
			wait := ProbeDeadline(r.Header.Get(ScrapeTimeoutHeader), timeoutOffset, maxProbeWait)
			ctx, cancel := context.WithTimeout(r.Context(), wait)
			opts.Probe.Refresh(ctx)
			cancel()
		}
		metrics.ServeHTTP(w, r)
	}), nil
}

// ProbeDeadline is how long a scrape may spend on the live probe, given the
// value of the scrape-timeout header: the timeout minus offset, at least half
// the timeout, at most max. A missing or unparsable header gives max.
func ProbeDeadline(header string, offset, max time.Duration) time.Duration {
	secs, err := strconv.ParseFloat(header, 64)
	if err != nil || !(secs > 0) || secs > 2*max.Seconds()+offset.Seconds() {
		return max // also avoids overflowing Duration with a huge value
	}
	timeout := time.Duration(secs * float64(time.Second))
	wait := timeout - offset
	if wait < timeout/2 {
		wait = timeout / 2
	}
	if wait > max {
		wait = max
	}
	return wait
}
