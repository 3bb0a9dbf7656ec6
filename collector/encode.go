package collector

import (
	"bytes"
	"fmt"
	"net/http"
	"sort"

	"github.com/go-kit/log"
	"github.com/go-kit/log/level"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
)

// Encoding the exposition text is most of a scrape's cost for a large
// tenant (~0.35 µs a series), and the export state only changes once per
// export run. So the export families are kept encoded, per format, for as
// long as their generation lasts; a scrape then encodes only the few small
// families (API counters, probe, process) and copies the rest.

// splitGatherer is a Gatherer that can hand part of its metrics already
// encoded in format.
type splitGatherer interface {
	prometheus.Gatherer
	GatherSplit(format expfmt.Format) (fresh []*dto.MetricFamily, encoded []byte, err error)
}

// GatherSplit implements splitGatherer: the small collectors and the export
// duration histogram fresh, the export state's families pre-encoded.
func (s *Set) GatherSplit(format expfmt.Format) ([]*dto.MetricFamily, []byte, error) {
	fresh, err := mergeGatherers{s.small, s.Export.durationsReg}.Gather()
	var errs prometheus.MultiError
	errs.Append(err)
	encoded, err := s.Export.encoded(format)
	errs.Append(err)
	return fresh, encoded, errs.MaybeUnwrap()
}

// encoded returns the export state's families encoded in format, reusing
// the encoding of an unchanged generation.
func (c *ExportCollector) encoded(format expfmt.Format) ([]byte, error) {
	if c.source == nil {
		return nil, nil
	}
	fams, errs, cached := c.buildCached()
	if cached != nil {
		c.cacheMu.Lock()
		b, ok := cached.encoded[format]
		c.cacheMu.Unlock()
		if ok {
			return b, errs.MaybeUnwrap()
		}
	}
	var buf bytes.Buffer
	enc := expfmt.NewEncoder(&buf, format)
	for _, f := range fams {
		if len(f.mf.Metric) == 0 {
			continue
		}
		if err := enc.Encode(&f.mf); err != nil {
			errs = append(errs, fmt.Errorf("encoding %s: %w", f.mf.GetName(), err))
		}
	}
	if cached != nil {
		c.cacheMu.Lock()
		if cached.encoded == nil {
			cached.encoded = map[expfmt.Format][]byte{}
		}
		cached.encoded[format] = buf.Bytes()
		c.cacheMu.Unlock()
	}
	return buf.Bytes(), errs.MaybeUnwrap()
}

// encodingHandler serves gatherers like promhttp.HandlerFor with
// ContinueOnError, taking pre-encoded parts from splitGatherers.
type encodingHandler struct {
	gatherers []prometheus.Gatherer
	logger    log.Logger
}

func (h encodingHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	format := expfmt.NegotiateIncludingOpenMetrics(r.Header)
	var fresh []*dto.MetricFamily
	var encoded [][]byte
	var errs prometheus.MultiError
	for _, g := range h.gatherers {
		if s, ok := g.(splitGatherer); ok {
			mfs, b, err := s.GatherSplit(format)
			errs.Append(err)
			fresh = append(fresh, mfs...)
			encoded = append(encoded, b)
			continue
		}
		mfs, err := g.Gather()
		errs.Append(err)
		fresh = append(fresh, mfs...)
	}
	fresh = uniqueFamilies(fresh, &errs)
	for _, err := range errs {
		level.Error(h.logger).Log("msg", "gathering metrics failed; serving the rest", "err", err)
	}

	w.Header().Set("Content-Type", string(format))
	enc := expfmt.NewEncoder(w, format)
	for _, mf := range fresh {
		if err := enc.Encode(mf); err != nil {
			level.Error(h.logger).Log("msg", "writing metrics failed", "family", mf.GetName(), "err", err)
			return
		}
	}
	for _, b := range encoded {
		if _, err := w.Write(b); err != nil {
			return
		}
	}
	if closer, ok := enc.(expfmt.Closer); ok {
		_ = closer.Close() // OpenMetrics' "# EOF"
	}
}

// uniqueFamilies sorts mfs by name and drops a repeated name with an error.
func uniqueFamilies(mfs []*dto.MetricFamily, errs *prometheus.MultiError) []*dto.MetricFamily {
	sort.SliceStable(mfs, func(i, j int) bool { return mfs[i].GetName() < mfs[j].GetName() })
	out := mfs[:0]
	for i, mf := range mfs {
		if i > 0 && mf.GetName() == mfs[i-1].GetName() {
			errs.Append(fmt.Errorf("metric family %s is gathered twice (is a collector both registered and served directly?)", mf.GetName()))
			continue
		}
		out = append(out, mf)
	}
	return out
}
