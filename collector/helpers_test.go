package collector

import (
	"bytes"
	"flag"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
)

// -update rewrites testdata/*.prom from what the collectors produce. Review
// the diff by hand before committing: the files are the expected output.
var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// t0 is the fixed time every test state is built around.
var t0 = time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)

// compareGolden compares what c exposes for the named metrics (all when none
// are named) with testdata/<name>.prom.
func compareGolden(t *testing.T, c prometheus.Collector, golden string, names ...string) {
	t.Helper()
	path := filepath.Join("testdata", golden+".prom")
	if *update {
		writeGolden(t, c, path, names)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("golden file: %v (run go test -run %s -update to create it, then review it)", err, t.Name())
	}
	defer f.Close()
	if err := testutil.CollectAndCompare(c, f, names...); err != nil {
		t.Errorf("%s differs from %s:\n%v", golden, path, err)
	}
}

func writeGolden(t *testing.T, c prometheus.Collector, path string, names []string) {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	if err := reg.Register(c); err != nil {
		t.Fatal(err)
	}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{}
	for _, n := range names {
		want[n] = true
	}
	var buf bytes.Buffer
	for _, mf := range mfs {
		if len(want) > 0 && !want[mf.GetName()] {
			continue
		}
		if _, err := expfmt.MetricFamilyToText(&buf, mf); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// lintClean fails when promlint finds any problem in what c exposes.
func lintClean(t *testing.T, c prometheus.Collector) {
	t.Helper()
	problems, err := testutil.CollectAndLint(c)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("lint: %s: %s", p.Metric, p.Text)
	}
}

// onlyEndpoint is the request-duration histogram of one endpoint, as a
// collector of its own, so a golden need not list every endpoint's buckets.
func onlyEndpoint(m *APIMetrics, endpoint string) prometheus.Collector {
	return labelFilter{m.duration, "endpoint", endpoint}
}

// labelFilter passes on the metrics of c whose label name has value.
type labelFilter struct {
	c           prometheus.Collector
	name, value string
}

func (f labelFilter) Describe(ch chan<- *prometheus.Desc) { f.c.Describe(ch) }

func (f labelFilter) Collect(ch chan<- prometheus.Metric) {
	all := make(chan prometheus.Metric)
	go func() { f.c.Collect(all); close(all) }()
	for m := range all {
		var pb dto.Metric
		if err := m.Write(&pb); err != nil {
			continue
		}
		for _, l := range pb.GetLabel() {
			if l.GetName() == f.name && l.GetValue() == f.value {
				ch <- m
			}
		}
	}
}

// nameFilter passes on the metrics of c with the given fully-qualified name.
type nameFilter struct {
	c    prometheus.Collector
	name string
}

func (f nameFilter) Describe(ch chan<- *prometheus.Desc) { f.c.Describe(ch) }

func (f nameFilter) Collect(ch chan<- prometheus.Metric) {
	all := make(chan prometheus.Metric)
	go func() { f.c.Collect(all); close(all) }()
	for m := range all {
		if strings.Contains(m.Desc().String(), `fqName: "`+f.name+`"`) {
			ch <- m
		}
	}
}

// scrape is one GET of h; it fails the test unless the status is 200.
func scrape(t *testing.T, h http.Handler, _ string) string {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		t.Errorf("scrape: status %d", rec.Code)
	}
	b, _ := io.ReadAll(rec.Body)
	return string(b)
}
