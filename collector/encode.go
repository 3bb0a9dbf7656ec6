package collector

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
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
// encoded in format (gzip-compressed as one gzip member when gz).
type splitGatherer interface {
	prometheus.Gatherer
	GatherSplit(format expfmt.Format, gz bool) (fresh []*dto.MetricFamily, encoded []byte, err error)
}

// GatherSplit implements splitGatherer: the small collectors and the export
// duration histogram fresh, the export state's families pre-encoded.
func (s *Set) GatherSplit(format expfmt.Format, gz bool) ([]*dto.MetricFamily, []byte, error) {
	fresh, err := mergeGatherers{s.small, s.Export.durationsReg}.Gather()
	var errs prometheus.MultiError
	errs.Append(err)
	encoded, err := s.Export.encoded(format, gz)
	errs.Append(err)
	return fresh, encoded, errs.MaybeUnwrap()
}

// encoding is one way of serving the export families: a format, and
// whether gzip-compressed.
type encoding struct {
	format expfmt.Format
	gzip   bool
}

// encoded returns the export state's families encoded in format (as one
// gzip member when gz), reusing the bytes of an unchanged generation: a
// scrape of an unchanged state neither rebuilds, encodes nor compresses
// them.
func (c *ExportCollector) encoded(format expfmt.Format, gz bool) ([]byte, error) {
	if c.source == nil {
		return nil, nil
	}
	fams, errs, cached := c.buildCached()
	key := encoding{format, gz}
	if cached != nil {
		c.cacheMu.Lock()
		b, ok := cached.encoded[key]
		c.cacheMu.Unlock()
		if ok {
			return b, errs.MaybeUnwrap()
		}
	}
	var buf bytes.Buffer
	var out io.Writer = &buf
	var zw *gzip.Writer
	if gz {
		zw = gzipWriters.Get().(*gzip.Writer)
		zw.Reset(&buf)
		defer gzipWriters.Put(zw)
		out = zw
	}
	enc := expfmt.NewEncoder(out, format)
	for _, f := range fams {
		if len(f.mf.Metric) == 0 {
			continue
		}
		if err := enc.Encode(&f.mf); err != nil {
			errs = append(errs, fmt.Errorf("encoding %s: %w", f.mf.GetName(), err))
		}
	}
	if zw != nil {
		_ = zw.Close() // into a bytes.Buffer: cannot fail
	}
	if cached != nil {
		c.cacheMu.Lock()
		if cached.encoded == nil {
			cached.encoded = map[encoding][]byte{}
		}
		cached.encoded[key] = buf.Bytes()
		c.cacheMu.Unlock()
	}
	return buf.Bytes(), errs.MaybeUnwrap()
}

// encodingHandler serves gatherers like promhttp.HandlerFor with
// ContinueOnError, taking pre-encoded parts from splitGatherers. With gzip
// the body is a series of gzip members (the fresh part, each pre-compressed
// part, OpenMetrics' # EOF), which every gzip reader takes as one stream
// (RFC 1952, 2.2).
type encodingHandler struct {
	gatherers []prometheus.Gatherer
	logger    log.Logger
}

func (h encodingHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	format := expfmt.NegotiateIncludingOpenMetrics(r.Header)
	gz := acceptsGzip(r.Header.Get("Accept-Encoding"))
	var fresh []*dto.MetricFamily
	var encoded [][]byte
	var errs prometheus.MultiError
	for _, g := range h.gatherers {
		if s, ok := g.(splitGatherer); ok {
			mfs, b, err := s.GatherSplit(format, gz)
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

	w.Header().Add("Vary", "Accept-Encoding")
	w.Header().Set("Content-Type", string(format))
	var out io.Writer = w
	var zw *gzip.Writer
	if gz {
		w.Header().Set("Content-Encoding", "gzip")
		zw = gzipWriters.Get().(*gzip.Writer)
		zw.Reset(w)
		defer gzipWriters.Put(zw)
		out = zw
	}
	// A scraper that hangs up (a timeout, a restart) makes every write
	// fail with a broken pipe: not the exporter's error, so debug level.
	writeFailed := func(err error) {
		level.Debug(h.logger).Log("msg", "writing metrics failed (scraper gone?)", "err", err)
	}
	enc := expfmt.NewEncoder(out, format)
	for _, mf := range fresh {
		if err := enc.Encode(mf); err != nil {
			writeFailed(err)
			return
		}
	}
	if zw != nil {
		if err := zw.Close(); err != nil { // ends the fresh part's member
			writeFailed(err)
			return
		}
	}
	for _, b := range encoded {
		if _, err := w.Write(b); err != nil {
			writeFailed(err)
			return
		}
	}
	if closer, ok := enc.(expfmt.Closer); ok {
		if zw != nil {
			zw.Reset(w) // # EOF in a member of its own
		}
		_ = closer.Close() // OpenMetrics' "# EOF"
		if zw != nil {
			_ = zw.Close()
		}
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
