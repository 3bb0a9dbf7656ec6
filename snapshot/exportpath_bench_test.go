//go:build unix

package snapshot_test

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/clari-exporter/clari_exporter/clari"
	"github.com/clari-exporter/clari_exporter/clari/clarisim"
	"github.com/clari-exporter/clari_exporter/snapshot"
)

// BenchmarkExportPath measures what an export really does with its
// result: decode plus the snapshot builder (the runner's visitor), next to
// the decoder alone on the same simulator document, read from a file (page
// cache: memory speed, but streamed). Run:
//
//	go test ./snapshot -run '^$' -bench BenchmarkExportPath -benchtime 2x
//
// CLARI_BENCH_SIZES_MB lists the document sizes (default "100"; the 1 GB
// figure: "100,1000"). Metrics: MB/s (wall), cpu-MB/s (per CPU second of
// the process, steadier on a shared machine), and for the builder
// heap-B/row, the live heap the builder holds after the last entry divided
// by the distinct rows.
func BenchmarkExportPath(b *testing.B) {
	sizes := []int{100}
	if v := os.Getenv("CLARI_BENCH_SIZES_MB"); v != "" {
		sizes = nil
		for _, f := range bytes.Split([]byte(v), []byte(",")) {
			var mb int
			if _, err := fmt.Sscan(string(f), &mb); err != nil || mb <= 0 {
				b.Fatalf("CLARI_BENCH_SIZES_MB=%q: want sizes in MB separated by commas", v)
			}
			sizes = append(sizes, mb)
		}
	}
	for _, mb := range sizes {
		path := simulatorDocument(b, mb)
		b.Run(fmt.Sprintf("%dMB/decode", mb), func(b *testing.B) {
			runExportPath(b, path, false)
		})
		b.Run(fmt.Sprintf("%dMB/decode+snapshot", mb), func(b *testing.B) {
			runExportPath(b, path, true)
		})
	}
}

// simulatorDocument writes a JSON result of about mb megabytes: every week
// of 2026_Q4 so far, all six data types, 10 fields, users scaled to the size.
func simulatorDocument(b *testing.B, mb int) string {
	params := clarisim.ExportParams{ForecastID: "net_arr", Period: "2026_Q4", Types: clari.AllDataTypes, IncludeHistorical: true}
	spec := clarisim.TenantSpec{Users: 10, Fields: 10, Weeks: 13, Quarters: 2}
	var probe bytes.Buffer
	if err := clarisim.WriteResultJSON(&probe, spec, params, 1); err != nil {
		b.Fatal(err)
	}
	spec.Users = (mb<<20)/(probe.Len()/spec.Users) + 1
	path := filepath.Join(b.TempDir(), fmt.Sprintf("sim-%dMB.json", mb))
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	if err := clarisim.WriteResultJSON(f, spec, params, 1); err != nil {
		b.Fatal(err)
	}
	return path
}

func runExportPath(b *testing.B, path string, build bool) {
	f, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(st.Size())
	b.ReportAllocs()
	var rows, heapPerRow float64
	cpu0 := processCPU(b)
	b.ResetTimer()
	for range b.N {
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			b.Fatal(err)
		}
		v := clari.Visitor{Entry: func(*clari.Entry) error { return nil }}
		var bl *snapshot.Builder
		if build {
			bl = snapshot.NewBuilder(snapshot.Target{Forecast: "net_arr", Period: "2026_Q4"}, "job")
			v = bl.Visitor()
		}
		if err := clari.DecodeJSON(f, v); err != nil {
			b.Fatal(err)
		}
		if build {
			b.StopTimer()
			var ms runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&ms)
			held := float64(ms.HeapAlloc)
			b.StartTimer()
			s := bl.Finish()
			rows = float64(s.Rows)
			heapPerRow = held / rows
			runtime.KeepAlive(bl)
		}
	}
	b.StopTimer()
	if cpu := processCPU(b) - cpu0; cpu > 0 {
		b.ReportMetric(float64(st.Size())*float64(b.N)/cpu.Seconds()/1e6, "cpu-MB/s")
	}
	if build {
		b.ReportMetric(rows, "rows")
		b.ReportMetric(heapPerRow, "heap-B/row")
	}
}

func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
