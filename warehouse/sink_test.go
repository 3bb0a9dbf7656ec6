package warehouse

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clari-exporter/clari_exporter/clari"
)

// forEachSink runs f per backend and, for PostgreSQL, per write path
// (COPY + INSERT … SELECT, the default, and multi-row VALUES).
func forEachSink(t *testing.T, f func(t *testing.T, b backend, newSink func(*Warehouse) *Sink)) {
	forEachBackend(t, func(t *testing.T, b backend) {
		f(t, b, NewSink)
		if b.name == DriverPostgres {
			t.Run("values", func(t *testing.T) {
				f(t, b, func(w *Warehouse) *Sink {
					s := NewSink(w)
					s.valuesOnPostgres.Store(true)
					return s
				})
			})
		}
	})
}

func TestSinkFallsBackToValuesWithoutTempPrivilege(t *testing.T) {
	ctx := context.Background()
	cfg := postgresBackend.cfg(t, "clari_forecast_entries")
	cfg.SinkBatchSize = 4
	w := openWithTable(t, cfg)
	s := NewSink(w)
	// What PostgreSQL answers a role without TEMPORARY on the database.
	s.stageDDLForTest = `DO $$ BEGIN RAISE EXCEPTION 'permission denied to create temporary tables' USING ERRCODE = '42501'; END $$`
	n, err := s.WriteSlice(ctx, "net_arr", entries("2026_Q4", 10, 0, 1), time.Now())
	if err != nil || n != 10 {
		t.Fatalf("Write = %d, %v; want 10, nil", n, err)
	}
	if !s.valuesOnPostgres.Load() {
		t.Error("the sink did not switch to the VALUES upsert")
	}
	if got := countRows(t, postgresBackend.raw(t, cfg), w); got != 10 {
		t.Errorf("%d rows, want 10", got)
	}
}

func TestSinkRepeatedExportsKeepOneRowPerKeyWithLatestValues(t *testing.T) {
	forEachSink(t, func(t *testing.T, b backend, NewSink func(*Warehouse) *Sink) {
		ctx := context.Background()
		cfg := b.cfg(t, "clari_forecast_entries")
		cfg.SinkBatchSize = 7 // several batches per export
		w := openWithTable(t, cfg)
		db := b.raw(t, cfg)
		s := NewSink(w)
		load := time.Now()

		// The same period exported three times, values and updatedOn moving on.
		for run := range 3 {
			es := entries("2026_Q4", 20, float64(100*run), int64(1000+run))
			n, err := s.WriteSlice(ctx, "net_arr", es, load.Add(time.Duration(run)*time.Minute))
			if err != nil || n != 20 {
				t.Fatalf("run %d: Write = %d, %v; want 20, nil", run, n, err)
			}
		}
		rows := readRows(t, db, w)
		if len(rows) != 20 {
			t.Fatalf("after three exports of 20 entries: %d rows, want 20", len(rows))
		}
		for _, r := range rows {
			var i int
			if _, err := fmt.Sscanf(r.User, "u%d", &i); err != nil {
				t.Fatal(err)
			}
			if r.Value.Float64 != float64(200+i) || r.UpdatedOn != 1002 {
				t.Errorf("%s: value %v updated_on %d, want the third export's %d, 1002", r.User, r.Value.Float64, r.UpdatedOn, 200+i)
			}
		}

		// Two overlapping exports of another period: u0..u9 (older), then
		// u5..u14 (newer); the overlap u5..u9 takes the newer values.
		if _, err := s.WriteSlice(ctx, "net_arr", entries("2026_Q3", 10, 0, 5000), load); err != nil {
			t.Fatal(err)
		}
		newer := entries("2026_Q3", 15, 1000, 6000)[5:]
		if _, err := s.WriteSlice(ctx, "net_arr", newer, load); err != nil {
			t.Fatal(err)
		}
		// A stale re-send of the first export arrives last: it must not
		// overwrite the newer values (latest updatedOn wins).
		if _, err := s.WriteSlice(ctx, "net_arr", entries("2026_Q3", 10, 0, 5000), load); err != nil {
			t.Fatal(err)
		}
		rows = readRows(t, db, w)
		q3 := 0
		for _, r := range rows {
			if r.Period != "2026_Q3" {
				continue
			}
			q3++
			var i int
			fmt.Sscanf(r.User, "u%d", &i) //nolint:errcheck
			want, wantUpd := float64(i), int64(5000)
			if i >= 5 {
				want, wantUpd = float64(1000+i), 6000
			}
			if r.Value.Float64 != want || r.UpdatedOn != wantUpd {
				t.Errorf("2026_Q3 %s: value %v updated_on %d, want %v, %d", r.User, r.Value.Float64, r.UpdatedOn, want, wantUpd)
			}
		}
		if q3 != 15 {
			t.Errorf("2026_Q3 holds %d rows, want 15 (u0..u14)", q3)
		}
		if k, sur, err := w.DuplicateKeys(ctx); err != nil || k != 0 || sur != 0 {
			t.Errorf("DuplicateKeys after sink loads = %d, %d, %v; want 0, 0", k, sur, err)
		}
	})
}

func TestSinkMergesDuplicatesWithinABatchAndWritesNulls(t *testing.T) {
	forEachSink(t, func(t *testing.T, b backend, NewSink func(*Warehouse) *Sink) {
		cfg := b.cfg(t, "clari_forecast_entries")
		w := openWithTable(t, cfg)
		db := b.raw(t, cfg)
		es := entries("2026_Q4", 3, 10, 100)
		dupNewer := es[1]
		dupNewer.Value, dupNewer.UpdatedOn = 99, 200
		dupOlder := es[2]
		dupOlder.Value, dupOlder.UpdatedOn = -1, 50
		null := es[0]
		null.DataType, null.HasValue, null.Value = clari.DataQuota, false, 0
		rows := loadAndRead(t, NewSink(w), db, w, append(es, dupNewer, dupOlder, null), 4, "3 keys + the quota entry", 4)
		for _, r := range rows {
			switch {
			case r.DataType == clari.DataQuota:
				if r.Value.Valid {
					t.Errorf("entry without value stored %v, want NULL", r.Value.Float64)
				}
			case r.User == "u1" && (r.Value.Float64 != 99 || r.UpdatedOn != 200):
				t.Errorf("u1 = %v/%d, want the newer duplicate 99/200", r.Value.Float64, r.UpdatedOn)
			case r.User == "u2" && r.Value.Float64 != 12:
				t.Errorf("u2 = %v, want 12: an older duplicate must not win", r.Value.Float64)
			}
		}
	})
}

func TestSinkCrashBetweenBatchesLeavesWholeBatchesAndRerunCompletes(t *testing.T) {
	forEachSink(t, func(t *testing.T, b backend, NewSink func(*Warehouse) *Sink) {
		ctx := context.Background()
		cfg := b.cfg(t, "clari_forecast_entries")
		cfg.SinkBatchSize = 10
		w := openWithTable(t, cfg)
		db := b.raw(t, cfg)
		es := entries("2026_Q4", 45, 0, 1)

		crash := errors.New("injected crash")
		s := NewSink(w)
		s.beforeCommit = func(batch int) error {
			if batch == 3 {
				// The batch's rows are written but not committed: another
				// connection still sees only the committed batches.
				if n := countRows(t, db, w); n != 20 {
					t.Errorf("before the failing commit another connection sees %d rows, want 20", n)
				}
				return crash
			}
			return nil
		}
		n, err := s.WriteSlice(ctx, "net_arr", es, time.Now())
		if !errors.Is(err, crash) && !strings.Contains(errText(err), "injected crash") {
			t.Fatalf("Write error = %v, want the injected crash", err)
		}
		if n != 20 {
			t.Errorf("Write reported %d rows committed, want 20", n)
		}
		if got := countRows(t, db, w); got != 20 {
			t.Errorf("after a crash in batch 3 of 10 rows: %d rows, want exactly 20 (batches 1-2)", got)
		}

		// A cancelled context in the middle of batch 2 of a new load.
		cctx, cancel := context.WithCancel(ctx)
		s2 := NewSink(w)
		s2.beforeCommit = func(batch int) error {
			if batch == 2 {
				cancel()
				return cctx.Err()
			}
			return nil
		}
		if _, err := s2.WriteSlice(cctx, "net_arr", entries("2026_Q3", 25, 0, 1), time.Now()); !errors.Is(err, context.Canceled) {
			t.Errorf("cancelled load: error %v, want context.Canceled", err)
		}
		if got := countRows(t, db, w); got != 30 {
			t.Errorf("after cancelling batch 2: %d rows, want 30 (20 + one batch)", got)
		}

		// The next run completes the load.
		n, err = NewSink(w).WriteSlice(ctx, "net_arr", es, time.Now())
		if err != nil || n != 45 {
			t.Fatalf("re-run: Write = %d, %v; want 45, nil", n, err)
		}
		if got := countRows(t, db, w); got != 55 {
			t.Errorf("after the re-run: %d rows, want 55 (45 + 10)", got)
		}
	})
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func TestCustomColumnNamesAndQualifiedTable(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		cfg := b.cfg(t, "custom")
		if b.name == DriverSQLite {
			cfg.Table = "main.custom"
		}
		cfg.Columns.Forecast, cfg.Columns.Period, cfg.Columns.User = "fc", "quarter", "owner"
		cfg.Columns.Value, cfg.Columns.LoadedAt = "amount", "ingested_at"
		cfg.Sink = true
		w, err := Open(ctx, cfg, cfg.DSN, nil) // sink: creates the table
		if err != nil {
			t.Fatal(err)
		}
		defer w.Close()
		if !strings.Contains(w.CreateTableSQL(), `"ingested_at"`) {
			t.Errorf("DDL does not use the configured names:\n%s", w.CreateTableSQL())
		}
		load := time.Date(2026, 11, 27, 8, 0, 0, 0, time.UTC)
		if _, err := NewSink(w).WriteSlice(ctx, "net_arr", entries("2026_Q4", 6, 0, 1), load); err != nil {
			t.Fatal(err)
		}
		res := w.RunChecks(ctx, CheckInput{CurrentPeriod: "2026_Q4", Expected: []Expected{{"net_arr", "2026_Q4", 6}}})
		if !res.OK() || res.Reconciliations[0].Actual != 6 || !res.LastLoad.Equal(load) {
			t.Errorf("checks on custom names: %+v", res)
		}
	})
}

func TestPostgresCaseFoldingHint(t *testing.T) {
	ctx := context.Background()
	cfg := postgresBackend.cfg(t, "clari_entries")
	db := postgresBackend.raw(t, cfg)
	schema := strings.Split(cfg.Table, ".")[0]
	// Created without quotes: PostgreSQL stores clari_entries.
	if _, err := db.ExecContext(ctx, "CREATE TABLE "+schema+".Clari_Entries (x int)"); err != nil {
		t.Fatal(err)
	}
	cfg.Table = schema + ".Clari_Entries"
	_, err := Open(ctx, cfg, cfg.DSN, nil)
	if err == nil || !strings.Contains(err.Error(), "did you mean") || !strings.Contains(err.Error(), schema+".clari_entries") {
		t.Errorf("error %v: want a hint naming %s.clari_entries", err, schema)
	}
}

// TestEnsureTableRacesWithItself: warehouses on one database creating the
// same table at once (the sink's first load and the checks, two replicas)
// all succeed, where the loser of two CREATE TABLE IF NOT EXISTS used to
// fail on PostgreSQL's catalog index and give up the load.
func TestEnsureTableRacesWithItself(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		cfg := b.cfg(t, "raced")
		ws := make([]*Warehouse, 8)
		for i := range ws {
			w, err := New(cfg, cfg.DSN, nil)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { w.Close() })
			ws[i] = w
		}
		errs := make(chan error, 2*len(ws))
		var start sync.WaitGroup
		start.Add(1)
		for _, w := range ws {
			for range 2 { // twice per warehouse: in-process turns too
				go func() {
					start.Wait()
					errs <- w.EnsureTable(context.Background())
				}()
			}
		}
		start.Done()
		for range 2 * len(ws) {
			if err := <-errs; err != nil {
				t.Errorf("EnsureTable: %v", err)
			}
		}
	})
}
