package collector

import (
	"fmt"

	"github.com/go-kit/log"
	"github.com/prometheus/client_golang/prometheus"
)

// Options are the sources of every collector. Nil sources are allowed: the
// collector is still registered and exposes nothing (or only what needs no
// source), so a missing warehouse section costs no special casing.
type Options struct {
	Logger log.Logger

	// Prober is the live /admin/limits probe (the clari client).
	Prober LimitsProber
	Probe  ProbeOptions

	Exporter ExporterOptions

	Export        ExportSource
	ExportOptions ExportOptions

	Warehouse WarehouseSource
	Readiness ReadinessSource
}

// Set holds every collector of the exporter. Build it once with NewSet, hand
// API to the clari client, Export to the runner (ObserveDuration,
// SetForecasts), Exporter to cmd (SetLeader), register it with Register, and
// serve it with NewHandler(HandlerOptions{Gatherer: reg, Probe: set.Probe}).
type Set struct {
	API       *APIMetrics
	Probe     *Probe
	Exporter  *ExporterCollector
	Export    *ExportCollector
	Warehouse *WarehouseCollector
	Readiness *ReadinessCollector
}

// NewSet builds every collector.
func NewSet(opts Options) *Set {
	if opts.Logger == nil {
		opts.Logger = log.NewNopLogger()
	}
	if opts.Probe.Logger == nil {
		opts.Probe.Logger = opts.Logger
	}
	return &Set{
		API:       NewAPIMetrics(),
		Probe:     NewProbe(opts.Prober, opts.Probe),
		Exporter:  NewExporterCollector(opts.Exporter),
		Export:    NewExportCollector(opts.Export, opts.ExportOptions),
		Warehouse: NewWarehouseCollector(opts.Warehouse),
		Readiness: NewReadinessCollector(opts.Readiness),
	}
}

// namedCollector pairs a collector with the name used in errors.
type namedCollector struct {
	name string
	c    prometheus.Collector
}

// collectors lists the set's collectors: the one place that says what
// /metrics is made of.
func (s *Set) collectors() []namedCollector {
	return []namedCollector{
		{"api", s.API},
		{"probe", s.Probe},
		{"exporter", s.Exporter},
		{"export", s.Export},
		{"warehouse", s.Warehouse},
		{"readiness", s.Readiness},
	}
}

// Register registers every collector with reg. It stops at the first error,
// naming the collector.
func (s *Set) Register(reg prometheus.Registerer) error {
	for _, n := range s.collectors() {
		if err := reg.Register(n.c); err != nil {
			return fmt.Errorf("registering the %s collector: %w", n.name, err)
		}
	}
	return nil
}
