package collector

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// benchState is a large tenant: 10 forecasts × 5 periods × 20 fields, with
// values for the three required data types and a swing per field.
func benchState() testState {
	var st testState
	st.CoverageMissing = map[string]int{}
	dataTypes := []string{"forecast", "quota", "crm_closed"}
	for f := 0; f < 10; f++ {
		forecast := fmt.Sprintf("forecast_%02d", f)
		st.CoverageMissing[forecast] = 0
		for p := 0; p < 5; p++ {
			t := testTarget{
				Forecast: forecast, Period: fmt.Sprintf("%d_Q%d", 2025+p/4, p%4+1),
				RunsTotal: 12, FailuresByReason: map[string]float64{"timeout": 1},
				SkipsByReason: map[string]float64{}, HasRun: true, LastRun: t0,
				LastRunSuccess: true, LastSuccess: t0, LastDuration: time.Minute,
				HasSnapshot: true, Rows: 5000, DuplicateRows: 3,
			}
			for i := 0; i < 20; i++ {
				field := fmt.Sprintf("field_%02d", i)
				for _, dt := range dataTypes {
					t.Values = append(t.Values, testValue{Field: field, DataType: dt, Value: float64(i) * 1000})
				}
				t.Swings = append(t.Swings, testSwing{Field: field, Ratio: 0.05})
			}
			st.Targets = append(st.Targets, t)
		}
	}
	return st
}

func benchSet(b *testing.B, generation uint64) (*prometheus.Registry, *Set) {
	st := benchState()
	st.Generation = generation
	s := NewSet(Options{
		Probe:         probeOf(sampleProbe),
		Export:        testSource(func() testState { return st }),
		ExportOptions: testExportOptions(ExportOptions{ExposeForecastValues: true}),
		Exporter:      ExporterOptions{Reload: fakeReload{ok: true, at: t0}},
	})
	reg := prometheus.NewRegistry()
	if err := s.Register(reg); err != nil {
		b.Fatal(err)
	}
	return reg, s
}

// benchHandler serves the set the way internal/app does: the fast path,
// beside a registry with the process and Go collectors, instrumented with
// promhttp's handler metrics.
func benchHandler(b *testing.B, s *Set) http.Handler {
	processReg := prometheus.NewRegistry()
	processReg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	h, err := NewHandler(HandlerOptions{Gatherers: []prometheus.Gatherer{s, processReg}, Instrument: processReg})
	if err != nil {
		b.Fatal(err)
	}
	return h
}

// BenchmarkScrape is one whole /metrics request (the state source, the
// process and Go collectors, promhttp's instrumentation, text encoding, no
// gzip) of the large tenant whose state has not changed since
// the previous scrape: the usual case, as the state changes once per export
// run and Prometheus scrapes every 15-60 s.
func BenchmarkScrape(b *testing.B) { benchScrape(b, 1, "") }

// BenchmarkScrapeGzip is BenchmarkScrape as Prometheus asks for it by
// default: gzip-compressed.
func BenchmarkScrapeGzip(b *testing.B) { benchScrape(b, 1, "gzip") }

// BenchmarkScrapeNewState is the same when every scrape sees a new state
// (or a source that leaves Generation 0): the families are rebuilt.
func BenchmarkScrapeNewState(b *testing.B) { benchScrape(b, 0, "") }

// BenchmarkScrapeSetOnly is BenchmarkScrape without the process and Go
// collectors: the set alone, as the benchmark measured before the handler
// was the real one (for comparison with older figures).
func BenchmarkScrapeSetOnly(b *testing.B) {
	_, s := benchSet(b, 1)
	h, err := NewHandler(HandlerOptions{Gatherers: []prometheus.Gatherer{s}})
	if err != nil {
		b.Fatal(err)
	}
	runScrapes(b, h, 1, "")
}

func benchScrape(b *testing.B, generation uint64, encoding string) {
	_, s := benchSet(b, generation)
	runScrapes(b, benchHandler(b, s), generation, encoding)
}

func runScrapes(b *testing.B, h http.Handler, generation uint64, encoding string) {
	req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
	if encoding != "" {
		req.Header.Set("Accept-Encoding", encoding)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if generation == 1 && encoding == "" {
		b.Logf("response: %d lines, %d bytes", countLines(rec.Body.Bytes()), rec.Body.Len())
	}
	b.ReportAllocs()
	b.ResetTimer()
	w := &discardWriter{header: http.Header{}}
	for i := 0; i < b.N; i++ {
		w.n = 0
		h.ServeHTTP(w, req)
		// The process/Go metrics change between scrapes: only the export
		// families' size is fixed, so only a gross mismatch is an error.
		if generation == 1 && (w.n < rec.Body.Len()/2 || w.n > 2*rec.Body.Len()) {
			b.Fatalf("wrote %d bytes, want about %d", w.n, rec.Body.Len())
		}
	}
}

// discardWriter is a ResponseWriter that counts and drops the body, like a
// network connection would take it, so the benchmark measures the handler
// rather than a growing in-memory buffer.
type discardWriter struct {
	header http.Header
	n      int
}

func (w *discardWriter) Header() http.Header { return w.header }
func (w *discardWriter) WriteHeader(int)     {}
func (w *discardWriter) Write(p []byte) (int, error) {
	w.n += len(p)
	return len(p), nil
}

// BenchmarkGather is Set.Gather alone (no HTTP, no encoding), rebuilding
// the export families each time.
func BenchmarkGather(b *testing.B) {
	_, s := benchSet(b, 0)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := s.Gather(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkGatherRegistry is the same through a registry (Set.Register),
// for comparison: what the fast path saves.
func BenchmarkGatherRegistry(b *testing.B) {
	reg, _ := benchSet(b, 0)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := reg.Gather(); err != nil {
			b.Fatal(err)
		}
	}
}

func countLines(b []byte) int {
	n := 0
	for _, c := range b {
		if c == '\n' {
			n++
		}
	}
	return n
}
