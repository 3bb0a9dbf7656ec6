package app

import (
	"net/http"
	"sync/atomic"

	"github.com/go-kit/log"
	"github.com/go-kit/log/level"
)

// routes are the exporter's HTTP endpoints, in the model exporters' layout.
type routes struct {
	metricsPath string
	metrics     http.Handler
	landing     http.Handler // the exporter's own page (package landing)
	ready       *atomic.Bool // set once persisted state is loaded
	reload      func() error // POST /-/reload
	logger      log.Logger
}

func (r routes) handler() (http.Handler, error) {
	mux := http.NewServeMux()
	mux.Handle(r.metricsPath, r.metrics)
	mux.HandleFunc("/-/healthy", func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte("Healthy\n"))
	})
	mux.HandleFunc("/-/ready", func(w http.ResponseWriter, _ *http.Request) {
		if r.ready == nil || !r.ready.Load() {
			http.Error(w, "Not ready: loading state", http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write([]byte("Ready\n"))
	})
	mux.HandleFunc("/-/reload", func(w http.ResponseWriter, req *http.Request) {
		if req.Method != http.MethodPost && req.Method != http.MethodPut {
			w.Header().Set("Allow", "POST, PUT")
			http.Error(w, "This endpoint requires a POST request.", http.StatusMethodNotAllowed)
			return
		}
		if err := r.reload(); err != nil {
			level.Error(r.logger).Log("msg", "reload via /-/reload failed", "err", err)
			http.Error(w, "failed to reload config: "+err.Error(), http.StatusInternalServerError)
			return
		}
		_, _ = w.Write([]byte("config reloaded\n"))
	})
	if r.metricsPath != "/" && r.metricsPath != "" {
		mux.Handle("/", r.landing)
	}
	return mux, nil
}
