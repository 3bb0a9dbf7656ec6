package collector

import (
	"fmt"
	"net/http"

	"github.com/go-kit/log"
	"github.com/prometheus/client_golang/prometheus"
)

// HandlerOptions configures NewHandler.
type HandlerOptions struct {
	// Gatherers serve the metrics: usually the Set and a registry with the
	// process and Go collectors. They are merged without re-checking every
	// series (unlike prometheus.Gatherers); a metric name gathered twice is
	// logged and served once. At least one is required.
	Gatherers []prometheus.Gatherer
	// Logger receives gather errors; nil discards them.
	Logger log.Logger
}

// NewHandler returns the /metrics handler. It gathers and writes the
// metrics; nothing in it waits for Clari (the live probe's reading is
// refreshed in the background). A metric that fails to gather is logged
// and left out rather than failing the whole scrape.
func NewHandler(opts HandlerOptions) (http.Handler, error) {
	if len(opts.Gatherers) == 0 {
		return nil, fmt.Errorf("collector: NewHandler needs at least one Gatherer (the collector.Set)")
	}
	if opts.Logger == nil {
		opts.Logger = log.NewNopLogger()
	}
	return withGzip(encodingHandler{gatherers: opts.Gatherers, logger: opts.Logger}), nil
}
