package collector

import (
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

func TestAcceptsGzip(t *testing.T) {
	for header, want := range map[string]bool{
		"":                      false,
		"identity":              false,
		"gzip":                  true,
		"GZIP":                  true,
		"deflate, gzip;q=0.8":   true,
		"gzip;q=0":              false,
		"gzip; q=0.000":         false,
		"*":                     true,
		"zstd,gzip":             true,
		"br;q=1.0, identity":    false,
		"gzip;q=0.001, deflate": true,
	} {
		if got := acceptsGzip(header); got != want {
			t.Errorf("acceptsGzip(%q) = %v, want %v", header, got, want)
		}
	}
}

func TestHandlerCompressesWhenAsked(t *testing.T) {
	reg := prometheus.NewRegistry()
	if err := fullSet().Register(reg); err != nil {
		t.Fatal(err)
	}
	h, err := NewHandler(HandlerOptions{Gatherers: []prometheus.Gatherer{reg}})
	if err != nil {
		t.Fatal(err)
	}
	plain := scrape(t, h, "")

	req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
	req.Header.Set("Accept-Encoding", "gzip")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if got := rec.Header().Get("Content-Encoding"); got != "gzip" {
		t.Fatalf("Content-Encoding = %q, want gzip", got)
	}
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Errorf("Content-Type = %q, want the text format", ct)
	}
	zr, err := gzip.NewReader(rec.Body)
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(zr)
	if err != nil {
		t.Fatalf("decompressing: %v", err)
	}
	if string(body) != plain {
		t.Errorf("decompressed body differs from the uncompressed scrape")
	}
	if !strings.Contains(plain, "clari_export_runs_total") {
		t.Errorf("uncompressed scrape lacks the export metrics:\n%s", plain)
	}
}
