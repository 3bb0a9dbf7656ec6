package clari

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Benchmarks decode a generated document from a temporary file (os.File,
// the page cache makes it memory speed), so the decoder streams as it does
// from an HTTP body: the document is never in the heap. Run:
//
//	go test ./clari -run '^$' -bench 'BenchmarkDecode' -benchmem -benchtime 3x
//
// peak-heap-MB is the largest heap (live + not yet collected objects,
// runtime/metrics /memory/classes/heap/objects:bytes) seen by a sampler
// every millisecond during the timed loop; it must not grow with the size.
// cpu-MB/s is the throughput per CPU second of the process, which stays
// meaningful when other work shares the machine (MB/s is wall clock).

var benchSizesMB = []int{10, 100}

// benchDocs generates each document once per benchmark function and removes
// them when it ends.
type benchDocs struct {
	dir   string
	mu    sync.Mutex
	paths map[string]string
}

func newBenchDocs(b *testing.B) *benchDocs {
	dir, err := os.MkdirTemp("", "clari-decode-bench-")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { os.RemoveAll(dir) })
	return &benchDocs{dir: dir, paths: map[string]string{}}
}

func (d *benchDocs) path(b *testing.B, format string, mb int) string {
	d.mu.Lock()
	defer d.mu.Unlock()
	name := fmt.Sprintf("%dMB.%s", mb, format)
	if p, ok := d.paths[name]; ok {
		return p
	}
	p := filepath.Join(d.dir, name)
	f, err := os.Create(p)
	if err != nil {
		b.Fatal(err)
	}
	g := genSpecForMB(format, mb)
	if format == "json" {
		err = writeGenJSON(f, g)
	} else {
		err = writeGenCSV(f, g)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		b.Fatal(err)
	}
	d.paths[name] = p
	return p
}

// heapSampler records the peak heap while it runs.
type heapSampler struct {
	peak atomic.Uint64
	stop chan struct{}
	done chan struct{}
}

func startHeapSampler() *heapSampler {
	runtime.GC()
	h := &heapSampler{stop: make(chan struct{}), done: make(chan struct{})}
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	read := func() {
		metrics.Read(sample)
		if v := sample[0].Value.Uint64(); v > h.peak.Load() {
			h.peak.Store(v)
		}
	}
	read()
	go func() {
		defer close(h.done)
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-h.stop:
				read()
				return
			case <-t.C:
				read()
			}
		}
	}()
	return h
}

func (h *heapSampler) peakMB() float64 {
	close(h.stop)
	<-h.done
	return float64(h.peak.Load()) / (1 << 20)
}

func benchDecodeFile(b *testing.B, path string, decode func(io.Reader, Visitor) error) {
	f, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		b.Fatal(err)
	}
	var entries, sum float64
	v := Visitor{Entry: func(e *Entry) error {
		entries++
		sum += e.Value // use the value, as a consumer would
		return nil
	}}
	b.SetBytes(st.Size())
	b.ReportAllocs()
	heap := startHeapSampler()
	cpu0 := processCPU(b)
	b.ResetTimer()
	for range b.N {
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			b.Fatal(err)
		}
		if err := decode(f, v); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	// Throughput per CPU second: what one idle core does, whatever else
	// shares the machine (decoding is single-threaded; this includes GC
	// and the heap sampler, so it is slightly pessimistic).
	if cpu := processCPU(b) - cpu0; cpu > 0 {
		b.ReportMetric(float64(st.Size())*float64(b.N)/cpu.Seconds()/1e6, "cpu-MB/s")
	}
	b.ReportMetric(heap.peakMB(), "peak-heap-MB")
	b.ReportMetric(entries/float64(b.N), "entries/op")
	if sum == 0 {
		b.Fatal("no values decoded")
	}
}

func BenchmarkDecodeJSON(b *testing.B) {
	docs := newBenchDocs(b)
	for _, mb := range benchSizesMB {
		b.Run(fmt.Sprintf("%dMB", mb), func(b *testing.B) {
			benchDecodeFile(b, docs.path(b, "json", mb), DecodeJSON)
		})
	}
}

func BenchmarkDecodeCSV(b *testing.B) {
	docs := newBenchDocs(b)
	for _, mb := range benchSizesMB {
		b.Run(fmt.Sprintf("%dMB", mb), func(b *testing.B) {
			benchDecodeFile(b, docs.path(b, "csv", mb), DecodeCSV)
		})
	}
}

// BenchmarkDecodeJSONBaselineEncodingJSON is the yardstick DecodeJSON must
// beat: the straightforward streaming decoder on encoding/json (Token to
// walk the top level, Decode per entry into a struct), same documents.
func BenchmarkDecodeJSONBaselineEncodingJSON(b *testing.B) {
	docs := newBenchDocs(b)
	for _, mb := range benchSizesMB {
		b.Run(fmt.Sprintf("%dMB", mb), func(b *testing.B) {
			benchDecodeFile(b, docs.path(b, "json", mb), decodeJSONWithEncodingJSON)
		})
	}
}

func decodeJSONWithEncodingJSON(r io.Reader, v Visitor) error {
	dec := json.NewDecoder(r)
	if _, err := dec.Token(); err != nil {
		return err
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		if tok != "entries" {
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return err
			}
			continue
		}
		if _, err := dec.Token(); err != nil {
			return err
		}
		for dec.More() {
			var in struct {
				UserID, FieldID, TimePeriodID, TimeFrameID string
				ForecastValue, QuotaValue, AdjustmentValue *float64
				CRMTotalValue                              *float64 `json:"crmTotalValue"`
				CRMClosedValue                             *float64 `json:"crmClosedValue"`
				IsUpdated                                  *bool
				UpdatedOn                                  int64
				Currency                                   struct{ Code string }
			}
			if err := dec.Decode(&in); err != nil {
				return err
			}
			e := Entry{UserID: in.UserID, FieldID: in.FieldID, TimePeriodID: in.TimePeriodID, TimeFrameID: in.TimeFrameID, UpdatedOn: in.UpdatedOn, Currency: in.Currency.Code}
			upd := (*float64)(nil)
			if in.IsUpdated != nil {
				f := 0.0
				if *in.IsUpdated {
					f = 1
				}
				upd = &f
			}
			for i, p := range [...]*float64{in.ForecastValue, in.QuotaValue, upd, in.AdjustmentValue, in.CRMTotalValue, in.CRMClosedValue} {
				if p == nil {
					continue
				}
				e.DataType, e.Value, e.HasValue = AllDataTypes[i], *p, true
				if err := v.Entry(&e); err != nil {
					return err
				}
			}
		}
		if _, err := dec.Token(); err != nil {
			return err
		}
	}
	return nil
}
