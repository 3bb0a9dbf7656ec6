package clarisim

import (
	"io"
	"runtime"
	"testing"
	"time"

	"github.com/clari-exporter/clari_exporter/clari"
)

// sampledWriter discards data and samples the heap every ~8 MB.
type sampledWriter struct {
	n, next int64
	maxHeap uint64
}

func (w *sampledWriter) Write(b []byte) (int, error) {
	w.n += int64(len(b))
	if w.n >= w.next {
		w.next = w.n + 8<<20
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		w.maxHeap = max(w.maxHeap, ms.HeapAlloc)
	}
	return len(b), nil
}

// largeTenant gives a JSON document of more than 100 MB with every type.
var largeTenant = TenantSpec{Users: 2500, Fields: 10}

func TestStreamingBoundedHeap(t *testing.T) {
	if testing.Short() {
		t.Skip("generates > 100 MB")
	}
	// 2027_Q3 is the default (February) year's last full quarter at DefaultNow.
	p := ExportParams{ForecastID: "net_arr", Period: "2027_Q3", Types: clari.AllDataTypes, IncludeHistorical: true}
	runtime.GC()
	w := &sampledWriter{}
	if err := WriteResultJSON(w, largeTenant, p, 1); err != nil {
		t.Fatal(err)
	}
	if w.n < 100<<20 {
		t.Fatalf("document is only %d bytes; the test needs > 100 MB", w.n)
	}
	if w.maxHeap > 64<<20 {
		t.Fatalf("heap reached %d MB while streaming %d MB", w.maxHeap>>20, w.n>>20)
	}
	t.Logf("streamed %d MB with heap at most %d MB", w.n>>20, w.maxHeap>>20)
}

// BenchmarkWriteResultJSON measures generation speed (bytes/s) of a
// 1000-user × 10-field × 13-week document with every data type.
func BenchmarkWriteResultJSON(b *testing.B) {
	benchWrite(b, clari.FormatJSON)
}

// BenchmarkWriteResultCSV is the same document as CSV.
func BenchmarkWriteResultCSV(b *testing.B) {
	benchWrite(b, clari.FormatCSV)
}

type countWriter struct{ n int64 }

func (c *countWriter) Write(b []byte) (int, error) { c.n += int64(len(b)); return len(b), nil }

func benchWrite(b *testing.B, f clari.ExportFormat) {
	// A January year's full 2026_Q3: exactly 13 weeks, the documented figures' shape.
	spec := TenantSpec{Users: 1000, Fields: 10, FiscalStartMonth: time.January}
	p := ExportParams{ForecastID: "net_arr", Period: "2026_Q3", Types: clari.AllDataTypes, IncludeHistorical: true, Format: f}
	var c countWriter
	if err := WriteResult(&c, spec, p, 1); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(c.n)
	b.ReportAllocs()
	for b.Loop() {
		if err := WriteResult(io.Discard, spec, p, 1); err != nil {
			b.Fatal(err)
		}
	}
}
