package collector

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/go-kit/log"
	"github.com/go-kit/log/level"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

func get(t *testing.T, h http.Handler, accept string) (string, string) {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	body, _ := io.ReadAll(rec.Body)
	return rec.Header().Get("Content-Type"), string(body)
}

// The handler's pre-encoded export families must serve exactly what the
// registry path serves, follow a new generation at once, and never hand
// one format's cached bytes to a scraper that asked for another.
func TestHandlerPreEncodedExportMatchesRegistry(t *testing.T) {
	var gen atomic.Uint64
	gen.Store(1)
	state := exportState()
	runs := func() float64 { return float64(gen.Load()) }
	source := testSource(func() testState {
		st := state
		st.Generation = gen.Load()
		st.Targets = append([]testTarget(nil), state.Targets...)
		st.Targets[0].RunsTotal = runs()
		return st
	})
	set := NewSet(Options{Export: source, ExportOptions: testExportOptions(ExportOptions{ExposeForecastValues: true})})
	h, err := NewHandler(HandlerOptions{Gatherers: []prometheus.Gatherer{set}})
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewPedanticRegistry()
	if err := NewSet(Options{Export: source, ExportOptions: testExportOptions(ExportOptions{ExposeForecastValues: true})}).Register(reg); err != nil {
		t.Fatal(err)
	}

	for round := 1; round <= 3; round++ {
		if round == 3 {
			gen.Store(2) // an export run changed the state
		}
		_, body := get(t, h, "text/plain; version=0.0.4")
		if err := testutil.GatherAndCompare(reg, strings.NewReader(body)); err != nil {
			t.Fatalf("round %d: handler output differs from the registry path: %v", round, err)
		}
		want := `clari_export_runs_total{forecast="` + state.Targets[0].Forecast + `",period="` + state.Targets[0].Period + `"} ` + model.SampleValue(runs()).String()
		if !strings.Contains(body, want) {
			t.Fatalf("round %d: body lacks %q", round, want)
		}
		ctype, om := get(t, h, "application/openmetrics-text; version=1.0.0")
		if !strings.HasPrefix(ctype, "application/openmetrics-text") || !strings.HasSuffix(om, "# EOF\n") {
			t.Fatalf("round %d: OpenMetrics response %q does not end with # EOF", round, ctype)
		}
		if strings.Count(om, "# EOF") != 1 || !strings.Contains(om, "# TYPE clari_export_runs counter") {
			t.Fatalf("round %d: OpenMetrics body is not OpenMetrics encoding of the export families", round)
		}
		if ctype, txt := get(t, h, ""); expfmt.Format(ctype).FormatType() != expfmt.TypeTextPlain || strings.Contains(txt, "# EOF") {
			t.Fatalf("round %d: a plain scrape got %q (cached OpenMetrics bytes leaked?)", round, ctype)
		}
	}
}

// The gzip response (fresh member + the generation's pre-compressed
// member + OpenMetrics' # EOF member) decompresses to the plain response,
// also after the state changed.
func TestHandlerGzipMatchesPlainAcrossGenerations(t *testing.T) {
	var gen atomic.Uint64
	gen.Store(1)
	state := exportState()
	source := testSource(func() testState {
		st := state
		st.Generation = gen.Load()
		st.Targets = append([]testTarget(nil), state.Targets...)
		st.Targets[0].RunsTotal = float64(gen.Load())
		return st
	})
	set := NewSet(Options{Export: source, API: testVocabulary, ExportOptions: testExportOptions(ExportOptions{ExposeForecastValues: true})})
	h, err := NewHandler(HandlerOptions{Gatherers: []prometheus.Gatherer{set}})
	if err != nil {
		t.Fatal(err)
	}
	fetch := func(accept string, gz bool) string {
		req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
		req.Header.Set("Accept", accept)
		if gz {
			req.Header.Set("Accept-Encoding", "gzip")
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if !gz {
			return rec.Body.String()
		}
		if rec.Header().Get("Content-Encoding") != "gzip" {
			t.Fatalf("no gzip Content-Encoding")
		}
		zr, err := gzip.NewReader(rec.Body)
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(zr)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	for round := 1; round <= 3; round++ {
		if round == 3 {
			gen.Store(2)
		}
		for _, accept := range []string{"text/plain; version=0.0.4", "application/openmetrics-text; version=1.0.0"} {
			plain, zipped := fetch(accept, false), fetch(accept, true)
			if plain != zipped {
				t.Fatalf("round %d %s: gzip body differs from the plain one", round, accept)
			}
			if want := `clari_export_runs_total{forecast="net_arr",period="2026_Q4"} ` + model.SampleValue(gen.Load()).String(); !strings.Contains(plain, want) {
				t.Fatalf("round %d %s: body lacks %q", round, accept, want)
			}
		}
	}
}

// failingWriter is a connection whose peer hung up.
type failingWriter struct{ header http.Header }

func (w *failingWriter) Header() http.Header       { return w.header }
func (w *failingWriter) WriteHeader(int)           {}
func (w *failingWriter) Write([]byte) (int, error) { return 0, syscall.EPIPE }

// A scraper that hangs up is logged at debug, not as an error.
func TestHandlerLogsBrokenPipeAtDebug(t *testing.T) {
	var buf bytes.Buffer
	logger := level.NewFilter(log.NewLogfmtLogger(&buf), level.AllowInfo())
	h, err := NewHandler(HandlerOptions{Gatherers: []prometheus.Gatherer{fullSet()}, Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	for _, gz := range []bool{false, true} {
		req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
		if gz {
			req.Header.Set("Accept-Encoding", "gzip")
		}
		h.ServeHTTP(&failingWriter{header: http.Header{}}, req)
	}
	if buf.Len() != 0 {
		t.Errorf("a scraper hanging up logged above debug:\n%s", buf.String())
	}
	var all bytes.Buffer
	h, _ = NewHandler(HandlerOptions{Gatherers: []prometheus.Gatherer{fullSet()}, Logger: log.NewLogfmtLogger(&all)})
	h.ServeHTTP(&failingWriter{header: http.Header{}}, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if !strings.Contains(all.String(), "level=debug") || !strings.Contains(all.String(), "broken pipe") {
		t.Errorf("the hang-up is not logged at debug: %q", all.String())
	}
}
