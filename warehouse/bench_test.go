package warehouse

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/clari-exporter/clari_exporter/clari"
)

// benchEntries is n distinct entries shaped like a large export: users ×
// 13 weeks × 4 fields × 2 data types of one period.
func benchEntries(n int) []clari.Entry {
	out := make([]clari.Entry, n)
	fields := []string{"commit", "best_case", "pipeline", "closed"}
	types := []string{clari.DataForecast, clari.DataQuota}
	for i := range out {
		k := i
		dt := types[k%2]
		k /= 2
		f := fields[k%4]
		k /= 4
		week := k % 13
		user := k / 13
		out[i] = clari.Entry{
			UserID: fmt.Sprintf("005%012d", user), FieldID: f, TimePeriodID: "2026_Q4",
			TimeFrameID: fmt.Sprintf("TF:2026-%02d-%02d", 10+week/5, 1+(week%5)*7), DataType: dt,
			Value: float64(i) * 1.5, HasValue: true, UpdatedOn: 1764200000000 + int64(i),
		}
	}
	return out
}

// benchRows is 1M unless CLARI_BENCH_ROWS says otherwise (quick comparisons).
var benchRows = func() int {
	if n, err := strconv.Atoi(os.Getenv("CLARI_BENCH_ROWS")); err == nil && n > 0 {
		return n
	}
	return 1_000_000
}()

// benchSink writes benchRows entries into a fresh table per iteration and
// reports rows/s. Run: go test -run '^$' -bench BenchmarkSink -benchtime 1x ./warehouse/
func benchSink(b *testing.B, be backend, values bool) {
	es := benchEntries(benchRows)
	ctx := context.Background()
	var total int
	var elapsed time.Duration
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		cfg := be.cfg(b, fmt.Sprintf("bench_%d", i))
		w, err := New(cfg, nil)
		if err != nil {
			b.Fatal(err)
		}
		if err := w.EnsureTable(ctx); err != nil {
			b.Fatal(err)
		}
		s := NewSink(w)
		s.valuesOnPostgres.Store(values)
		b.StartTimer()
		start := time.Now()
		n, err := s.WriteSlice(ctx, "net_arr", es, time.Now())
		elapsed += time.Since(start)
		b.StopTimer()
		if err != nil || n != benchRows {
			b.Fatalf("Write = %d, %v", n, err)
		}
		total += n
		w.Close()
	}
	b.ReportMetric(float64(total)/elapsed.Seconds(), "rows/s")
}

func BenchmarkSinkSQLite(b *testing.B)   { benchSink(b, sqliteBackend, false) }
func BenchmarkSinkPostgres(b *testing.B) { benchSink(b, postgresBackend, false) }

// BenchmarkSinkPostgresValues measures the multi-row VALUES upsert that
// PostgreSQL does not use by default, for comparison with COPY.
func BenchmarkSinkPostgresValues(b *testing.B) { benchSink(b, postgresBackend, true) }
