package warehouse

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// BenchmarkSinkPostgresVsPsqlCopy loads the same rows twice into fresh
// tables with the same primary key: once with `psql \copy` (the floor: a
// bulk load with no upsert) and once through the sink (staging COPY, then
// the per-batch merge), then re-loads the identical export through the
// sink (no row changes: nothing is written). Run:
//
//	CLARI_TEST_POSTGRES_DSN=postgres://… go test -run '^$' -bench SinkPostgresVsPsqlCopy -benchtime 1x ./warehouse/
//
// (CLARI_BENCH_ROWS, default 1M.) Metrics: sink-rows/s, psql-rows/s,
// ratio (psql ÷ sink: how many times slower the sink is) and
// reexport-rows/s.
func BenchmarkSinkPostgresVsPsqlCopy(b *testing.B) {
	psql, err := exec.LookPath("psql")
	if err != nil {
		b.Skipf("psql not found: %v", err)
	}
	es := benchEntries(benchRows)
	ctx := context.Background()
	loaded := time.Now()

	// The same rows as COPY text, in the table's column order.
	path := filepath.Join(b.TempDir(), "rows.txt")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	bw := bufio.NewWriter(f)
	var line []byte
	ts := loaded.UTC().Format(time.RFC3339Nano)
	prefix := appendCopyText(nil, "net_arr")
	for i := range es {
		line = append(appendCopyEntry(line[:0], prefix, &es[i], ts), '\n')
		bw.Write(line) //nolint:errcheck // checked at Flush
	}
	if err := bw.Flush(); err != nil {
		b.Fatal(err)
	}
	f.Close()

	var sinkTime, psqlTime, reTime time.Duration
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		// psql \copy into a fresh table with the sink's DDL (same key).
		pcfg := postgresBackend.cfg(b, fmt.Sprintf("psql_%d", i))
		pw, err := New(pcfg, pcfg.DSN, nil)
		if err != nil {
			b.Fatal(err)
		}
		if err := pw.EnsureTable(ctx); err != nil {
			b.Fatal(err)
		}
		copyCmd := fmt.Sprintf(`\copy %s (%s) FROM '%s'`, pw.r.qtable, strings.Join(pw.r.q.all(), ", "), path)
		start := time.Now()
		out, err := exec.CommandContext(ctx, psql, "-X", "-q", "-v", "ON_ERROR_STOP=1", string(pcfg.DSN), "-c", copyCmd).CombinedOutput()
		psqlTime += time.Since(start)
		if err != nil {
			b.Fatalf("psql \\copy: %v\n%s", err, out)
		}
		pw.Close()

		cfg := postgresBackend.cfg(b, fmt.Sprintf("sink_%d", i))
		w, err := New(cfg, cfg.DSN, nil)
		if err != nil {
			b.Fatal(err)
		}
		if err := w.EnsureTable(ctx); err != nil {
			b.Fatal(err)
		}
		s := NewSink(w)
		b.StartTimer()
		start = time.Now()
		n, err := s.WriteSlice(ctx, "net_arr", es, loaded)
		sinkTime += time.Since(start)
		b.StopTimer()
		if err != nil || n != benchRows {
			b.Fatalf("Write = %d, %v", n, err)
		}
		start = time.Now()
		if _, err := s.WriteSlice(ctx, "net_arr", es, loaded.Add(time.Hour)); err != nil {
			b.Fatal(err)
		}
		reTime += time.Since(start)
		w.Close()
	}
	rows := float64(benchRows * b.N)
	b.ReportMetric(rows/sinkTime.Seconds(), "sink-rows/s")
	b.ReportMetric(rows/psqlTime.Seconds(), "psql-rows/s")
	b.ReportMetric(sinkTime.Seconds()/psqlTime.Seconds(), "ratio")
	b.ReportMetric(rows/reTime.Seconds(), "reexport-rows/s")
}
