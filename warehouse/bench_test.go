package warehouse

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/clari-exporter/clari_exporter/clari"
	"github.com/clari-exporter/clari_exporter/config"
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

// benchApp tags the benchmark's PostgreSQL sessions so their server CPU
// time can be read from /proc when the server runs on this machine.
const benchApp = "clari_sink_bench"

// benchSink writes benchRows entries into a fresh table per iteration and
// reports rows/s. On a shared, loaded machine wall time says more about
// the neighbours than about the sink, so it also reports the CPU seconds
// spent by this process and (local PostgreSQL only) by the server backends
// serving it. Run:
//
//	go test -run '^$' -bench BenchmarkSink -benchtime 1x ./warehouse/
func benchSink(b *testing.B, be backend, values bool) {
	es := benchEntries(benchRows)
	ctx := context.Background()
	var total int
	var elapsed, clientCPU, serverCPU time.Duration
	serverKnown := be.name != DriverSQLite // PostgreSQL, or Redshift's SQL on it
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		cfg := be.cfg(b, fmt.Sprintf("bench_%d", i))
		if be.name != DriverSQLite {
			sep := "?"
			if strings.Contains(string(cfg.DSN), "?") {
				sep = "&"
			}
			cfg.DSN += config.Secret(sep + "application_name=" + benchApp)
		}
		w, err := New(cfg, cfg.DSN, nil)
		if err != nil {
			b.Fatal(err)
		}
		if err := w.EnsureTable(ctx); err != nil {
			b.Fatal(err)
		}
		s := NewSink(w)
		s.valuesOnPostgres.Store(values)
		var before map[int]time.Duration
		if serverKnown {
			before, serverKnown = backendCPU(ctx, w)
		}
		cpu0 := processCPU()
		b.StartTimer()
		start := time.Now()
		n, err := s.WriteSlice(ctx, "net_arr", es, time.Now())
		elapsed += time.Since(start)
		b.StopTimer()
		clientCPU += processCPU() - cpu0
		if err != nil || n != benchRows {
			b.Fatalf("Write = %d, %v", n, err)
		}
		if serverKnown {
			var after map[int]time.Duration
			after, serverKnown = backendCPU(ctx, w)
			for pid, t := range after {
				serverCPU += t - before[pid]
			}
		}
		total += n
		w.Close()
	}
	b.ReportMetric(float64(total)/elapsed.Seconds(), "rows/s")
	b.ReportMetric(clientCPU.Seconds()/float64(b.N), "client-cpu-s/op")
	if serverKnown {
		b.ReportMetric(serverCPU.Seconds()/float64(b.N), "server-cpu-s/op")
	}
}

// processCPU is this process's user+system CPU time.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// backendCPU reads the CPU time of the server backends of benchApp from
// /proc; ok is false when the server is not local (or /proc unreadable).
func backendCPU(ctx context.Context, w *Warehouse) (map[int]time.Duration, bool) {
	rows, err := w.db.QueryContext(ctx, "SELECT pid FROM pg_stat_activity WHERE application_name = $1", benchApp)
	if err != nil {
		return nil, false
	}
	defer rows.Close()
	out := map[int]time.Duration{}
	for rows.Next() {
		var pid int
		if rows.Scan(&pid) != nil {
			return nil, false
		}
		stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			return nil, false
		}
		// Fields after the command's closing parenthesis; utime and stime
		// are fields 14 and 15 of the whole line, in clock ticks (100 Hz).
		f := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
		if len(f) < 13 {
			return nil, false
		}
		ut, _ := strconv.ParseInt(f[11], 10, 64)
		st, _ := strconv.ParseInt(f[12], 10, 64)
		out[pid] = time.Duration(ut+st) * 10 * time.Millisecond
	}
	return out, rows.Err() == nil
}

func BenchmarkSinkSQLite(b *testing.B)   { benchSink(b, sqliteBackend, false) }
func BenchmarkSinkPostgres(b *testing.B) { benchSink(b, postgresBackend, false) }

// BenchmarkSinkRedshift runs the Redshift loader (multi-row INSERT stage,
// ROW_NUMBER pick, delete+insert) on PostgreSQL: its cost here, not
// Redshift's.
func BenchmarkSinkRedshift(b *testing.B) { benchSink(b, redshiftBackend, false) }

// BenchmarkSinkPostgresValues measures the multi-row VALUES upsert that
// PostgreSQL does not use by default, for comparison with COPY.
func BenchmarkSinkPostgresValues(b *testing.B) { benchSink(b, postgresBackend, true) }
