package collector

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

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
