package collector

import (
	"fmt"

	"github.com/go-kit/log"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/clari-exporter/clari_exporter/checklist/readiness"
	"github.com/clari-exporter/clari_exporter/fiscal/calendar"
	"github.com/clari-exporter/clari_exporter/health/probe"
	"github.com/clari-exporter/clari_exporter/warehouse/checkstate"
)

// Options are the sources of every collector. Nil sources are allowed: the
// collector is still registered and exposes nothing (or only what needs no
// source), so a missing warehouse section costs no special casing.
type Options struct {
	Logger log.Logger

	// API is the Clari client's label-value lists.
	API APIVocabulary
	// APIMetrics is the client's instrumentation when it was built before
	// the set (the client is built before the producers it serves); nil
	// builds one from API.
	APIMetrics *APIMetrics
	// Probe returns the Clari health monitor's latest reading.
	Probe func() probe.Reading

	Exporter ExporterOptions

	Export        ExportSource
	ExportOptions ExportOptions

	// Warehouse returns the warehouse side's latest published state.
	Warehouse func() checkstate.State
	// Readiness returns the readiness audit's latest results.
	Readiness func() []readiness.Check

	// Calendar returns the fiscal calendar in use.
	Calendar func() calendar.State

	// Pipeline is the pipeline watch's published state.
	Pipeline        PipelineSource
	PipelineOptions PipelineOptions
}

// Set holds every collector of the exporter. Build it once with NewSet, hand
// API to the clari client, Export's ObserveDuration to the runner, call
// Exporter.SetLeader, and serve it with
//
//	NewHandler(HandlerOptions{Set: set})
//
// The Set is itself a prometheus.Gatherer: the fast path, which builds the
// (large) export families without the registry's per-series overhead.
// Register puts the same collectors into a registry instead (slower, but
// everything in one place; tests and lint use it). Use one or the other.
type Set struct {
	API       *APIMetrics
	Probe     *ProbeCollector
	Exporter  *ExporterCollector
	Export    *ExportCollector
	Warehouse *WarehouseCollector
	Readiness *ReadinessCollector
	Pipeline  *PipelineCollector
	Calendar  *CalendarCollector

	small *prometheus.Registry // every collector but Export, for Gather
}

// NewSet builds every collector.
func NewSet(opts Options) *Set {
	if opts.Logger == nil {
		opts.Logger = log.NewNopLogger()
	}
	if opts.APIMetrics == nil {
		opts.APIMetrics = NewAPIMetrics(opts.API)
	}
	s := &Set{
		API:       opts.APIMetrics,
		Probe:     NewProbeCollector(opts.Probe),
		Exporter:  NewExporterCollector(opts.Exporter),
		Export:    NewExportCollector(opts.Export, opts.ExportOptions),
		Warehouse: NewWarehouseCollector(opts.Warehouse),
		Readiness: NewReadinessCollector(opts.Readiness),
		Pipeline:  NewPipelineCollector(opts.Pipeline, opts.PipelineOptions),
		Calendar:  NewCalendarCollector(opts.Calendar),
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
		{"pipeline", s.Pipeline},
		{"calendar", s.Calendar},
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
