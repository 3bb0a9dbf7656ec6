package main

import (
	"bufio"
	"database/sql"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/clari-exporter/clari_exporter/clari/clarisim"
	"github.com/clari-exporter/clari_exporter/internal/testtier"
)

// The memory bounds of issue 13, on the built exporter (no -race: the
// race detector's shadow memory would be measured too), exporting from the
// simulator: peak RSS is the child's VmHWM once the export (and its sink
// load) is done.
const (
	memUsers  = 20_000
	memFields = 4
	memWeeks  = 13
	memRows   = memUsers * memFields * memWeeks // 1.04M entries, one data type
	mib       = 1 << 20
)

// quarterEnd is now and noon of the last day of its quarter.
func quarterEnd() (now, end time.Time) {
	now = time.Now().UTC()
	return now, time.Date(now.Year(), time.Month((int(now.Month())-1)/3*3+4), 1, 0, 0, 0, 0, time.UTC).Add(-12 * time.Hour)
}

// memTypes is the export's types_to_export: one data type, so a JSON
// entry is one row (TestPeakRSSFigures may ask for more).
var memTypes = []string{"forecast"}

func memTenant(users int) clarisim.TenantSpec {
	// A January year with quarter-aligned weeks: quarterEnd's quarter, and
	// exactly memWeeks weeks in it.
	return clarisim.TenantSpec{Users: users, Fields: memFields, Weeks: memWeeks, Quarters: 1, FiscalStartMonth: time.January}
}

// countingWriter counts what is written to it.
type countingWriter struct{ n int64 }

func (c *countingWriter) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }

// peakRSSOfExport runs the built exporter against a simulator tenant of
// users × 4 fields, the current quarter complete (13 weeks), one data
// type, until its one export has run, and returns VmHWM in bytes and the
// rows the export reported. sink is "", "sqlite" or "postgres" (dsn).
func peakRSSOfExport(t *testing.T, bin string, users int, sink, dsn string) (peak int64, rows float64) {
	t.Helper()
	// The simulator's clock runs from the last day of the quarter the
	// exporter calls current, so that quarter has all 13 weeks.
	now, qEnd := quarterEnd()
	sim := clarisim.New(clarisim.Options{APIKey: testAPIKey, Seed: 13,
		Clock:    func() time.Time { return qEnd.Add(time.Since(now)) },
		Tenant:   memTenant(users),
		Scenario: clarisim.Scenario{JobDuration: 10 * time.Millisecond}})
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	t.Cleanup(sim.Close)

	dir := t.TempDir()
	cfg := fmt.Sprintf(`
clari:
  base_url: %s
  api_key_file: %%KEYFILE%%
  poll_interval: 50ms
  poll_timeout: 5m
forecasts:
  - id: net_arr
    types_to_export: [%s]
    include_historical: true
    historical_quarters: 0
schedule:
  current_interval: 1h
  monthly_budget: 1000
storage:
  path: %s
`, srv.URL, strings.Join(memTypes, ", "), filepath.Join(dir, "state.db"))
	switch sink {
	case "sqlite":
		cfg += fmt.Sprintf("warehouse:\n  driver: sqlite\n  dsn: %s\n  sink: true\n", filepath.Join(dir, "warehouse.db"))
	case "postgres":
		// A fresh table, so every run loads every row.
		table := fmt.Sprintf("memtest_%d", time.Now().UnixNano())
		cfg += "warehouse:\n  driver: postgres\n  dsn_env: CLARI_MEMTEST_WAREHOUSE_DSN\n  sink: true\n  table: " + table + "\n"
		t.Cleanup(func() {
			if db, err := sql.Open("pgx", dsn); err == nil {
				db.Exec("DROP TABLE IF EXISTS " + table) //nolint:errcheck // best effort
				db.Close()
			}
		})
	}
	addr := freeAddr(t)
	base := "http://" + addr
	cmd := exec.Command(bin, "--config.file="+writeConfig(t, cfg), "--web.listen-address="+addr)
	cmd.Env = append(os.Environ(), "CLARI_MEMTEST_WAREHOUSE_DSN="+dsn)
	logPath := filepath.Join(dir, "exporter.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		logFile.Close()
	}()
	logs := func() string { b, _ := os.ReadFile(logPath); return string(b) }

	wait := 5 * time.Minute
	if v := os.Getenv("CLARI_MEMTEST_TIMEOUT"); v != "" {
		if wait, err = time.ParseDuration(v); err != nil {
			t.Fatalf("CLARI_MEMTEST_TIMEOUT: %v", err)
		}
	}
	deadline := time.Now().Add(wait)
	for {
		if time.Now().After(deadline) {
			t.Fatalf("the export did not finish within %s (CLARI_MEMTEST_TIMEOUT); logs:\n%s", wait, logs())
		}
		if cmd.ProcessState != nil {
			t.Fatalf("the exporter exited; logs:\n%s", logs())
		}
		time.Sleep(250 * time.Millisecond)
		mfs, ok := tryScrape(base)
		if !ok {
			continue
		}
		if sum(mfs, "clari_export_runs_total", nil) < 1 {
			continue
		}
		rows = sum(mfs, "clari_export_rows", nil)
		break
	}
	// The sink load ends before the run is recorded: once the run shows,
	// the peak is in.
	peak = vmHWM(t, cmd.Process.Pid)
	if sink != "" && !strings.Contains(logs(), "warehouse sink load done") {
		t.Fatalf("the sink load did not complete; logs:\n%s", logs())
	}
	return peak, rows
}

// tryScrape is scrape that reports a child not answering yet.
func tryScrape(base string) (map[string]*dto.MetricFamily, bool) {
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		return nil, false
	}
	defer resp.Body.Close()
	p := expfmt.NewTextParser(model.UTF8Validation)
	mfs, err := p.TextToMetricFamilies(resp.Body)
	return mfs, err == nil
}

// vmHWM reads the peak resident set size of pid from /proc.
func vmHWM(t *testing.T, pid int) int64 {
	t.Helper()
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Skipf("no /proc: peak RSS cannot be read here (%v)", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return kb << 10
		}
	}
	t.Fatal("no VmHWM in /proc/<pid>/status")
	return 0
}

// TestPeakRSSOfA1MEntryExport: a 1.04M-entry export (20,000 users, 13
// weeks) peaks at ≤ 40 MiB + 16 B/row without the sink and ≤ 56 MiB + 16
// B/row with the SQLite sink, and a document four times as large (80,000
// users, 4.16M entries, no sink) raises peak RSS by at most 16 B per extra
// row. The 4× export is the soak tier's (CLARI_SOAK=1): its child exports
// 4.16M entries, about a minute on the loaded 2-core machine.
func TestPeakRSSOfA1MEntryExport(t *testing.T) {
	t.Parallel()
	bin := exporterBinary(t)
	for _, c := range []struct {
		sink  string
		fixed int64
	}{{"", 40 * mib}, {"sqlite", 56 * mib}} {
		name := c.sink
		if name == "" {
			name = "no_sink"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			peak, rows := peakRSSOfExport(t, bin, memUsers, c.sink, "")
			if rows != memRows {
				t.Fatalf("the export reported %v rows, want %d", rows, memRows)
			}
			limit := c.fixed + 16*memRows
			t.Logf("peak RSS %.1f MiB for %d rows (limit %.1f MiB)", float64(peak)/mib, memRows, float64(limit)/mib)
			if peak > limit {
				t.Errorf("peak RSS %.1f MiB, over %.1f MiB (%d MiB + 16 B × %d rows)", float64(peak)/mib, float64(limit)/mib, c.fixed>>20, memRows)
			}
		})
	}
	t.Run("4x_growth", func(t *testing.T) {
		testtier.Soak(t, "the 4× (4.16M-entry) export's peak RSS growth per row")
		// Its own 1× baseline: the subtests above run in parallel.
		noSink, _ := peakRSSOfExport(t, bin, memUsers, "", "")
		large, rows4 := peakRSSOfExport(t, bin, 4*memUsers, "", "")
		if rows4 != 4*memRows {
			t.Fatalf("the export reported %v rows, want %d", rows4, 4*memRows)
		}
		perRow := float64(large-noSink) / (rows4 - memRows)
		t.Logf("peak RSS %.1f MiB (%d rows) → %.1f MiB (%v rows): %.1f B per extra row", float64(noSink)/mib, memRows, float64(large)/mib, rows4, perRow)
		if perRow > 16 {
			t.Errorf("%.1f B of peak RSS per extra row, want ≤ 16", perRow)
		}
	})
}

// TestPeakRSSFigures prints the peak RSS table of docs/performance.md:
//
//	CLARI_MEMTEST_USERS=500,5000,50000 CLARI_MEMTEST_SINKS=none,sqlite,postgres CLARI_MEMTEST_TYPES=forecast,quota,… \
//	  CLARI_MEMTEST_PG_DSN=postgres://… CLARI_MEMTEST_TIMEOUT=60m go test -count=1 -run TestPeakRSSFigures -v -timeout 3h ./cmd/clari_exporter
//
// (500, 5000 and 50000 users of all six data types: documents of 10 MB,
// 100 MB and 1 GB.)
func TestPeakRSSFigures(t *testing.T) {
	usersList, sinks := os.Getenv("CLARI_MEMTEST_USERS"), os.Getenv("CLARI_MEMTEST_SINKS")
	if usersList == "" || sinks == "" {
		t.Skip("set CLARI_MEMTEST_USERS and CLARI_MEMTEST_SINKS to print the figures")
	}
	if v := os.Getenv("CLARI_MEMTEST_TYPES"); v != "" {
		defer func(old []string) { memTypes = old }(memTypes)
		memTypes = strings.Split(v, ",")
	}
	bin := exporterBinary(t)
	for _, u := range strings.Split(usersList, ",") {
		users, err := strconv.Atoi(u)
		if err != nil {
			t.Fatalf("CLARI_MEMTEST_USERS: %v", err)
		}
		for _, sink := range strings.Split(sinks, ",") {
			if sink == "none" {
				sink = ""
			}
			_, end := quarterEnd()
			var doc countingWriter
			if err := clarisim.WriteResultJSON(&doc, memTenant(users), clarisim.ExportParams{ForecastID: "net_arr",
				Types: memTypes, IncludeHistorical: true, Now: end}, 13); err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			peak, rows := peakRSSOfExport(t, bin, users, sink, os.Getenv("CLARI_MEMTEST_PG_DSN"))
			t.Logf("document %.1f MB, users %d rows %v sink %q: peak RSS %.1f MiB (%.1f B/row over the idle 25 MiB), %s",
				float64(doc.n)/1e6, users, rows, sink, float64(peak)/mib, (float64(peak)-25*mib)/rows, time.Since(start).Round(time.Second))
		}
	}
}
