package warehouse

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/clari-exporter/clari_exporter/clari"
)

// TestSinkStreamsIntoAStageAndKeepsOrDiscards: entries added to a load are
// staged, not visible in the table until the load is kept; a discarded
// load leaves nothing; a kept one holds every row. The entries go through
// one reused Entry, as the decoder passes them.
func TestSinkStreamsIntoAStageAndKeepsOrDiscards(t *testing.T) {
	forEachSink(t, func(t *testing.T, b backend, NewSink func(*Warehouse) *Sink) {
		ctx := context.Background()
		cfg := b.cfg(t, "clari_forecast_entries")
		cfg.SinkBatchSize = 10
		w := openWithTable(t, cfg)
		db := b.raw(t, cfg)
		s := NewSink(w)
		staged := !s.valuesOnPostgres.Load()

		for _, keep := range []bool{false, true} {
			add, end := s.Begin(ctx, "net_arr", time.Now())
			var e clari.Entry
			for _, src := range entries("2026_Q4", 25, 0, 1) {
				e = src
				if err := add(&e); err != nil {
					t.Fatal(err)
				}
				e = clari.Entry{UserID: "garbage"}
			}
			if got := countRows(t, db, w); staged && got != 0 {
				t.Errorf("while staging (keep=%v), the table holds %d rows, want 0", keep, got)
			}
			n, err := end(ctx, keep)
			if err != nil {
				t.Fatal(err)
			}
			want := 0
			if keep {
				want = 25
			}
			if staged && (n != want || countRows(t, db, w) != want) {
				t.Errorf("keep=%v: end = %d rows, table %d, want %d", keep, n, countRows(t, db, w), want)
			}
		}
		rows := readRows(t, db, w)
		if r := rows["net_arr|2026_Q4|TF:2026-10-05|u7|f|forecast"]; r.Value.Float64 != 7 {
			t.Errorf("u7 = %+v, want value 7 (entries copied, not aliased)", r)
		}
		// The stage is gone, and a second load on the same pool works.
		if _, err := s.WriteSlice(ctx, "net_arr", entries("2026_Q4", 3, 100, 2), time.Now()); err != nil {
			t.Fatal(err)
		}
	})
}

// TestSinkIdenticalReExportWritesNothing: loading the same export again,
// later, leaves every row as it was (loaded_at included: the row was not
// rewritten); a changed value is written.
func TestSinkIdenticalReExportWritesNothing(t *testing.T) {
	forEachSink(t, func(t *testing.T, b backend, NewSink func(*Warehouse) *Sink) {
		ctx := context.Background()
		cfg := b.cfg(t, "clari_forecast_entries")
		cfg.SinkBatchSize = 7
		w := openWithTable(t, cfg)
		db := b.raw(t, cfg)
		first := time.Date(2026, 11, 27, 8, 0, 0, 0, time.UTC)
		es := entries("2026_Q4", 20, 0, 5)
		if _, err := NewSink(w).WriteSlice(ctx, "net_arr", es, first); err != nil {
			t.Fatal(err)
		}
		es[3].Value = 1e6
		if _, err := NewSink(w).WriteSlice(ctx, "net_arr", es, first.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		loaded := loadedAtByUser(t, db, w)
		for u, at := range loaded {
			want := first
			if u == "u3" {
				want = first.Add(time.Hour)
			}
			if !at.Equal(want) {
				t.Errorf("%s: loaded_at %v, want %v (only the changed row is rewritten)", u, at, want)
			}
		}
		if len(loaded) != 20 {
			t.Errorf("%d rows, want 20", len(loaded))
		}
	})
}

func loadedAtByUser(t *testing.T, db *sql.DB, w *Warehouse) map[string]time.Time {
	t.Helper()
	rows, err := db.Query(fmt.Sprintf("SELECT %s, %s FROM %s", w.r.q.user, w.r.q.loadedAt, w.r.qtable))
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]time.Time{}
	for rows.Next() {
		var u string
		var at any
		if err := rows.Scan(&u, &at); err != nil {
			t.Fatal(err)
		}
		switch v := at.(type) {
		case time.Time:
			out[u] = v.UTC()
		case int64:
			out[u] = time.UnixMilli(v).UTC()
		default:
			t.Fatalf("loaded_at of type %T", at)
		}
	}
	return out
}

// TestSinkIdenticalReExportLeavesNoDeadTuples reads PostgreSQL's own
// counters: re-loading 3000 unchanged rows updates none of them and leaves
// no dead tuples; a load that changes 10 rows (the control, which also
// shows the statistics have caught up) updates exactly those 10.
func TestSinkIdenticalReExportLeavesNoDeadTuples(t *testing.T) {
	ctx := context.Background()
	cfg := postgresBackend.cfg(t, "clari_forecast_entries")
	db := postgresBackend.raw(t, cfg)
	const rows, changed = 3000, 10
	es := entries("2026_Q4", rows, 0, 5)
	// Each load on a warehouse of its own, closed after it: a backend
	// flushes its table statistics when it exits.
	load := func(es []clari.Entry) {
		w := openWithTable(t, cfg)
		if _, err := NewSink(w).WriteSlice(ctx, "net_arr", es, time.Now()); err != nil {
			t.Fatal(err)
		}
		w.Close()
	}
	load(es)
	load(es) // identical
	for i := range changed {
		es[i].Value = -1
	}
	load(es)

	schema, table, _ := strings.Cut(cfg.Table, ".")
	var ins, upd, dead int64
	deadline := time.Now().Add(30 * time.Second)
	for {
		err := db.QueryRowContext(ctx, "SELECT n_tup_ins, n_tup_upd, n_dead_tup FROM pg_stat_user_tables WHERE schemaname = $1 AND relname = $2",
			schema, table).Scan(&ins, &upd, &dead)
		if err != nil && err != sql.ErrNoRows {
			t.Fatal(err)
		}
		if (ins >= rows && upd >= changed) || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Logf("pg_stat_user_tables: n_tup_ins %d n_tup_upd %d n_dead_tup %d", ins, upd, dead)
	if ins != rows || upd != changed {
		t.Errorf("n_tup_ins %d, n_tup_upd %d; want %d, %d (the identical re-export must update nothing)", ins, upd, rows, changed)
	}
	if dead > changed {
		t.Errorf("n_dead_tup %d after an identical re-export and %d changed rows, want at most %d", dead, changed, changed)
	}
}

// TestSinkStagesAnyTextAndNumber: ids with quotes, backslashes, tabs,
// newlines, control and non-ASCII characters, negative and large values
// and updated_on survive staging (COPY text, SQLite's JSON rows) intact.
func TestSinkStagesAnyTextAndNumber(t *testing.T) {
	forEachSink(t, func(t *testing.T, b backend, NewSink func(*Warehouse) *Sink) {
		ctx := context.Background()
		cfg := b.cfg(t, "clari_forecast_entries")
		w := openWithTable(t, cfg)
		db := b.raw(t, cfg)
		users := []string{`a"b`, `back\slash`, "tab\there", "new\nline\r", "ctl\x01\x1f", "Zoë 山田", `\N`, "end\\"}
		values := []float64{-1.5, 1e15, 0.1, 123456789.125, -0, 1e-300, 42, 7}
		var es []clari.Entry
		for i, u := range users {
			es = append(es, clari.Entry{UserID: u, FieldID: "f\t" + u, TimePeriodID: "2026_Q4", TimeFrameID: "TF:2026-10-05",
				DataType: clari.DataForecast, Value: values[i], HasValue: i != 7, UpdatedOn: 1_764_000_000_000 + int64(i)})
		}
		if _, err := NewSink(w).WriteSlice(ctx, "net_arr", es, time.Now()); err != nil {
			t.Fatal(err)
		}
		rows := readRows(t, db, w)
		for _, e := range es {
			k := strings.Join([]string{"net_arr", e.TimePeriodID, e.TimeFrameID, e.UserID, e.FieldID, e.DataType}, "|")
			r, ok := rows[k]
			switch {
			case !ok:
				t.Errorf("user %q: no row (rows: %v)", e.UserID, rows)
			case r.Value.Valid != e.HasValue || (e.HasValue && r.Value.Float64 != e.Value) || r.UpdatedOn != e.UpdatedOn:
				t.Errorf("user %q: value %v/%v updated_on %d, want %v/%v %d", e.UserID, r.Value.Float64, r.Value.Valid, r.UpdatedOn, e.Value, e.HasValue, e.UpdatedOn)
			}
		}
		if len(rows) != len(es) {
			t.Errorf("%d rows, want %d", len(rows), len(es))
		}
	})
}

// TestSinkFirstLoadDuplicatesAcrossBatches: on a first load the batches go
// in by plain INSERT until one repeats a key of an earlier batch; that one
// and the rest are merged, the latest updated_on winning either way round.
func TestSinkFirstLoadDuplicatesAcrossBatches(t *testing.T) {
	forEachSink(t, func(t *testing.T, b backend, NewSink func(*Warehouse) *Sink) {
		cfg := b.cfg(t, "clari_forecast_entries")
		cfg.SinkBatchSize = 10
		w := openWithTable(t, cfg)
		db := b.raw(t, cfg)
		es := entries("2026_Q4", 35, 0, 100)
		newer := es[3] // batch 1's u3, repeated newer in batch 3
		newer.Value, newer.UpdatedOn = 99, 200
		older := es[4] // batch 1's u4, repeated older in batch 4
		older.Value, older.UpdatedOn = -1, 50
		load := append(append(append(es[:25:25], newer), es[25:30]...), older)
		load = append(load, es[30:]...)
		rows := loadAndRead(t, NewSink(w), db, w, load, 37, "the distinct keys of each batch, summed", 35)
		for _, r := range rows {
			want := float64(0)
			fmt.Sscanf(r.User, "u%g", &want)
			if r.User == "u3" {
				want = 99
			}
			if !r.Value.Valid || r.Value.Float64 != want {
				t.Errorf("%s = %v, want %v", r.User, r.Value, want)
			}
		}
	})
}
