package collector

import (
	"fmt"
	"sort"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// This file builds metric families directly as protobuf structs, the fast
// path for the export state (thousands of series for a large tenant). The
// registry path (const metrics through a channel, one label-pair sort, one
// hash and several allocations per series) costs ~2 µs a series; building
// the families here costs a fraction of that and allocates in chunks.

// family is one metric family under construction.
type family struct {
	desc *prometheus.Desc // for the Collector path
	mf   dto.MetricFamily
}

func newFamily(desc *prometheus.Desc, name, help string, typ dto.MetricType) *family {
	f := &family{desc: desc}
	f.mf.Name = &name
	f.mf.Help = &help
	f.mf.Type = typ.Enum()
	return f
}

// chunk hands out elements of T from chunks allocated n at a time. Elements
// are never moved, so pointers into a chunk stay valid (nothing is copied,
// which protobuf structs forbid).
type chunk[T any] struct {
	buf  []T
	size int
}

func (c *chunk[T]) next() *T {
	if len(c.buf) == cap(c.buf) {
		c.buf = make([]T, 0, max(c.size, 16))
	}
	c.buf = c.buf[:len(c.buf)+1]
	return &c.buf[len(c.buf)-1]
}

// take returns n consecutive elements, capped so appending to the result
// cannot overwrite a neighbour.
func (c *chunk[T]) take(n int) []T {
	if cap(c.buf)-len(c.buf) < n {
		c.buf = make([]T, 0, max(c.size, n))
	}
	s := c.buf[len(c.buf) : len(c.buf)+n : len(c.buf)+n]
	c.buf = c.buf[:len(c.buf)+n]
	return s
}

// builder allocates the parts of metrics in chunks sized for one scrape.
type builder struct {
	metrics  chunk[dto.Metric]
	gauges   chunk[dto.Gauge]
	counters chunk[dto.Counter]
	floats   chunk[float64]
	pairs    chunk[dto.LabelPair]
	labels   chunk[*dto.LabelPair]
	strs     chunk[string]
}

// str returns a pointer to a copy of s, so the families never point into
// the source's state (which the runner may change after handing it over).
func (b *builder) str(s string) *string {
	p := b.strs.next()
	*p = s
	return p
}

// newBuilder sizes the chunks for about n metrics.
func newBuilder(n int) *builder {
	b := &builder{}
	b.metrics.size, b.gauges.size, b.counters.size, b.floats.size = n, n, n, n
	b.pairs.size, b.strs.size = n, n
	b.labels.size = 4 * n
	return b
}

// pair returns a label pair pointing at name and value (neither is copied).
func (b *builder) pair(name, value *string) *dto.LabelPair {
	p := b.pairs.next()
	p.Name, p.Value = name, value
	return p
}

// add appends a metric with value v and the given label pairs (sorted by
// name, as the exposition formats expect) to f.
func (b *builder) add(f *family, v float64, labels ...*dto.LabelPair) {
	m := b.metrics.next()
	if len(labels) > 0 {
		m.Label = b.labels.take(len(labels))
		copy(m.Label, labels)
	}
	val := b.floats.next()
	*val = v
	if f.mf.GetType() == dto.MetricType_COUNTER {
		c := b.counters.next()
		c.Value = val
		m.Counter = c
	} else {
		g := b.gauges.next()
		g.Value = val
		m.Gauge = g
	}
	f.mf.Metric = append(f.mf.Metric, m)
}

// dtoMetric passes a prebuilt metric through the Collector interface.
type dtoMetric struct {
	desc *prometheus.Desc
	m    *dto.Metric
}

func (d dtoMetric) Desc() *prometheus.Desc { return d.desc }

func (d dtoMetric) Write(out *dto.Metric) error {
	out.Label = d.m.Label
	out.Gauge = d.m.Gauge
	out.Counter = d.m.Counter
	return nil
}

// collectFamilies sends every metric of fams to ch.
func collectFamilies(ch chan<- prometheus.Metric, fams []*family) {
	for _, f := range fams {
		for _, m := range f.mf.Metric {
			ch <- dtoMetric{f.desc, m}
		}
	}
}

// mergeGatherers gathers each of gs and returns the union sorted by name.
// Unlike prometheus.Gatherers it does not re-check every series (the fast
// path's whole point); a family name gathered twice is an error, and that
// family's second copy is dropped.
type mergeGatherers []prometheus.Gatherer

func (gs mergeGatherers) Gather() ([]*dto.MetricFamily, error) {
	var all []*dto.MetricFamily
	var errs prometheus.MultiError
	seen := map[string]bool{}
	for _, g := range gs {
		mfs, err := g.Gather()
		if err != nil {
			errs = append(errs, err)
		}
		for _, mf := range mfs {
			if seen[mf.GetName()] {
				errs = append(errs, fmt.Errorf("metric family %s is gathered twice (is a collector both registered and served directly?)", mf.GetName()))
				continue
			}
			seen[mf.GetName()] = true
			all = append(all, mf)
		}
	}
	sort.Slice(all, func(i, j int) bool { return all[i].GetName() < all[j].GetName() })
	return all, errs.MaybeUnwrap()
}
