package collector

import (
	"fmt"

	"github.com/go-kit/log"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
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
// SetForecasts), Exporter to cmd (SetLeader), and serve it with
//
//	NewHandler(HandlerOptions{Gatherers: []prometheus.Gatherer{set, otherReg}, Probe: set.Probe})
//
// The Set is itself a prometheus.Gatherer: the fast path, which builds the
// (large) export families without the registry's per-series overhead.
// Register puts the same collectors into a registry instead (slower, but
// everything in one place; tests and lint use it). Use one or the other.
type Set struct {
	API       *APIMetrics
	Probe     *Probe
	Exporter  *ExporterCollector
	Export    *ExportCollector
	Warehouse *WarehouseCollector
	Readiness *ReadinessCollector

	small *prometheus.Registry // every collector but Export, for Gather
}

// NewSet builds every collector.
func NewSet(opts Options) *Set {
	if opts.Logger == nil {
		opts.Logger = log.NewNopLogger()
	}
	if opts.Probe.Logger == nil {
		opts.Probe.Logger = opts.Logger
	}
	s := &Set{
		API:       NewAPIMetrics(),
		Probe:     NewProbe(opts.Prober, opts.Probe),
		Exporter:  NewExporterCollector(opts.Exporter),
		Export:    NewExportCollector(opts.Export, opts.ExportOptions),
		Warehouse: NewWarehouseCollector(opts.Warehouse),
		Readiness: NewReadinessCollector(opts.Readiness),
		small:     prometheus.NewRegistry(),
	}
	for _, n := range s.collectors() {
		if n.c != s.Export {
			// Fixed, distinct metric names: cannot fail (TestSet* covers it).
			s.small.MustRegister(n.c)
		}
	}
	return s
}

// Gather implements prometheus.Gatherer: every metric of the set.
func (s *Set) Gather() ([]*dto.MetricFamily, error) {
	return mergeGatherers{s.small, s.Export}.Gather()
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
