package collector

import (
	"compress/gzip"
	"strconv"
	"strings"
	"sync"
)

// promhttp compresses with gzip's default level, which costs about three
// times the CPU of the whole uncompressed scrape for a large tenant (600 KB of
// text). BestSpeed compresses the repetitive exposition text nearly as well
// for a fraction of the CPU, so the handler does the compression itself, and
// keeps the export families compressed per generation (encode.go).

var gzipWriters = sync.Pool{New: func() any {
	w, _ := gzip.NewWriterLevel(nil, gzip.BestSpeed) // a valid level: cannot fail
	return w
}}

// acceptsGzip reports whether an Accept-Encoding header value allows gzip
// (listed, or "*", without q=0).
func acceptsGzip(header string) bool {
	for _, part := range strings.Split(header, ",") {
		coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		coding = strings.ToLower(strings.TrimSpace(coding))
		if coding != "gzip" && coding != "*" {
			continue
		}
		if q, ok := strings.CutPrefix(strings.TrimSpace(params), "q="); ok {
			if v, err := strconv.ParseFloat(q, 64); err == nil && v == 0 {
				return false
			}
		}
		return true
	}
	return false
}
