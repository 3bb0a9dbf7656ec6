package collector

import (
	"fmt"
	"net/http"

	"github.com/go-kit/log"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// HandlerOptions configures NewHandler.
type HandlerOptions struct {
	// Gatherers serve the metrics: usually the Set and a registry with the
	// process and Go collectors. They are merged without re-checking every
	// series (unlike prometheus.Gatherers); a metric name gathered twice is
	// logged and served once. At least one is required.
	Gatherers []prometheus.Gatherer
	// Instrument, when set, gets promhttp's own handler metrics
	// (promhttp_metric_handler_requests_total, _in_flight); it should be
	// one of Gatherers' registries so they are served too.
	Instrument prometheus.Registerer
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
	var h http.Handler = encodingHandler{gatherers: opts.Gatherers, logger: opts.Logger}
	if opts.Instrument != nil {
		h = promhttp.InstrumentMetricHandler(opts.Instrument, h)
	}
	return h, nil
}
