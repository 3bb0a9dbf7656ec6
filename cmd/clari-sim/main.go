// Command clari-sim serves the Clari API simulator (clari/clarisim) as a
// standalone HTTP server, for the compose stack, the --demo and manual
// tests. The API is served at / and at /v4 (so a base URL of
// http://host:8931/v4 mirrors https://api.clari.com/v4); /-/healthy answers
// 200 without a key for health checks; /-/stats, /-/jobs, /-/scenario and
// /-/faults (same key) steer a running simulator (see adminHandler).
//
// SIGHUP re-reads --scenario.file; SIGINT/SIGTERM shut down gracefully.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/go-kit/log"
	"github.com/go-kit/log/level"

	"github.com/clari-exporter/clari_exporter/clari/clarisim"
	"github.com/clari-exporter/clari_exporter/internal/logging"
)

// defaultListenAddress: loopback only, port 8931 (not used by any other
// component of the stack).
const defaultListenAddress = "127.0.0.1:8931"

func main() {
	os.Exit(run(os.Args[1:], os.Stderr))
}

// run parses flags, builds the simulator and serves until a signal.
func run(args []string, stderr io.Writer) int {
	f, err := parseFlags(args, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "clari-sim: %v\n", err)
		return 2
	}
	logger, err := logging.New(stderr, f.logLevel, f.logFormat)
	if err != nil {
		fmt.Fprintf(stderr, "clari-sim: %v\n", err)
		return 2
	}
	sim, key, err := newSim(f, logger)
	if err != nil {
		level.Error(logger).Log("msg", "cannot start the simulator", "err", err)
		return 1
	}
	ln, err := net.Listen("tcp", f.listenAddress)
	if err != nil {
		level.Error(logger).Log("msg", "cannot listen", "address", f.listenAddress, "err", err)
		return 1
	}
	srv := &http.Server{Handler: handler(sim, key), ReadHeaderTimeout: 10 * time.Second}

	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGHUP, syscall.SIGINT, syscall.SIGTERM)
	defer signal.Stop(sigs)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	tenant := sim.Tenant()
	level.Info(logger).Log("msg", "serving the Clari API simulator", "address", ln.Addr().String(),
		"seed", f.seed, "users", tenant.Users, "fields", tenant.Fields, "forecasts", fmt.Sprint(tenant.Forecasts),
		"key_source", f.keySource())
	for {
		select {
		case err := <-errc:
			level.Error(logger).Log("msg", "server stopped", "err", err)
			return 1
		case sig := <-sigs:
			if sig == syscall.SIGHUP {
				if err := reloadScenario(sim, f); err != nil {
					level.Error(logger).Log("msg", "scenario reload failed, keeping the old one", "err", err)
				} else {
					level.Info(logger).Log("msg", "scenario reloaded", "file", f.scenarioFile)
				}
				continue
			}
			level.Info(logger).Log("msg", "shutting down", "signal", sig.String())
			sim.Close() // release hung requests so Shutdown can finish
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := srv.Shutdown(ctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
				level.Warn(logger).Log("msg", "shutdown", "err", err)
			}
			return 0
		}
	}
}

// handler adds the key-less health endpoint and the admin routes (same
// key as the API) in front of the simulator.
func handler(sim *clarisim.Sim, apiKey string) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /-/healthy", func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, "OK\n")
	})
	mux.Handle("/-/", adminHandler(sim, apiKey))
	mux.Handle("/", sim)
	return mux
}

// newSim builds the simulator from the flags and the scenario file; it
// also returns the API key for the admin routes.
func newSim(f *flags, logger log.Logger) (*clarisim.Sim, string, error) {
	key, err := f.apiKey()
	if err != nil {
		return nil, "", err
	}
	sc, err := f.scenario()
	if err != nil {
		return nil, "", err
	}
	sim := clarisim.New(clarisim.Options{APIKey: key, Seed: f.seed, Tenant: f.tenant, Logger: logger})
	if err := sim.SetScenario(sc); err != nil {
		return nil, "", err
	}
	return sim, key, nil
}

func reloadScenario(sim *clarisim.Sim, f *flags) error {
	sc, err := f.scenario()
	if err != nil {
		return err
	}
	return sim.SetScenario(sc)
}
