package warehouse

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// TestConformance is the one suite every backend runs (backends: SQLite,
// PostgreSQL, and the Redshift dialect on PostgreSQL): the checks (counts,
// duplicate keys, retention, freshness) and the sink (first load, an
// identical re-export, changed values, a stale duplicate in one batch, a
// crash between batches and the rerun). A new dialect joins by adding its
// backend to backends. It ends with a period lost inside the retention
// window (missing periods).
func TestConformance(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		cfg := b.cfg(t, "clari_forecast_entries")
		cfg.SinkBatchSize = 4
		w := openWithTable(t, cfg)
		db := b.raw(t, cfg)
		first := time.Date(2027, 2, 10, 8, 0, 0, 0, time.UTC) // FY2028 Q1 of a February tenant

		// Sink, first load: two periods, 10 + 3 keys, several batches.
		es := append(entries("2028_Q1", 10, 0, 5), entries("2026_Q1", 3, 0, 5)...)
		if n, err := NewSink(w).WriteSlice(ctx, "net_arr", es, first); err != nil || n != 13 {
			t.Fatalf("first load: %d, %v; want 13 rows", n, err)
		}
		t.Run("counts", func(t *testing.T) {
			got, err := w.Reconcile(ctx, []Expected{{"net_arr", "2028_Q1", 10}, {"net_arr", "2026_Q1", 3}, {"bookings", "2028_Q1", 2}})
			if err != nil {
				t.Fatal(err)
			}
			for i, want := range []int{10, 3, 0} {
				if got[i].Actual != want {
					t.Errorf("%s %s: %d rows, want %d", got[i].Forecast, got[i].Period, got[i].Actual, want)
				}
			}
		})
		t.Run("freshness", func(t *testing.T) {
			last, err := w.LastLoad(ctx)
			if err != nil || !last.Equal(first) {
				t.Errorf("LastLoad = %v, %v; want %v", last, err, first)
			}
		})

		// Identical re-export, an hour later: nothing is rewritten.
		if _, err := NewSink(w).WriteSlice(ctx, "net_arr", es, first.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		t.Run("sink/identical_re-export", func(t *testing.T) {
			for u, at := range loadedAtByUser(t, db, w) {
				if !at.Equal(first) {
					t.Errorf("%s rewritten by an identical re-export: loaded_at %v, want %v", u, at, first)
				}
			}
			if n := countRows(t, db, w); n != 13 {
				t.Errorf("%d rows, want 13", n)
			}
		})

		// Changed values, and a stale duplicate in the same batch: u1's
		// newer entry wins over an older one that arrives after it.
		changed := entries("2028_Q1", 4, 0, 5)
		changed[1].Value, changed[1].UpdatedOn = 99, 9
		stale := changed[1]
		stale.Value, stale.UpdatedOn = -1, 7
		changed[2].Value = 42 // same updated_on, new value: the later load wins
		if _, err := NewSink(w).WriteSlice(ctx, "net_arr", append(changed[:3], stale), first.Add(2*time.Hour)); err != nil {
			t.Fatal(err)
		}
		t.Run("sink/changed_values_and_stale_duplicate", func(t *testing.T) {
			rows := readRows(t, db, w)
			if len(rows) != 13 {
				t.Errorf("%d rows, want 13", len(rows))
			}
			for _, r := range rows {
				switch {
				case r.Period != "2028_Q1":
				case r.User == "u1" && (r.Value.Float64 != 99 || r.UpdatedOn != 9):
					t.Errorf("u1 = %v/%d, want the newer entry 99/9, not the stale duplicate", r.Value.Float64, r.UpdatedOn)
				case r.User == "u2" && r.Value.Float64 != 42:
					t.Errorf("u2 = %v, want 42", r.Value.Float64)
				case r.User == "u0" && r.Value.Float64 != 0:
					t.Errorf("u0 = %v, want 0 (unchanged)", r.Value.Float64)
				}
			}
			if last, err := w.LastLoad(ctx); err != nil || !last.Equal(first.Add(2*time.Hour)) {
				t.Errorf("LastLoad = %v, %v; want the changed rows' load", last, err)
			}
		})

		t.Run("sink/crash_between_batches_and_rerun", func(t *testing.T) {
			crash := errors.New("injected crash")
			s := NewSink(w)
			s.beforeCommit = func(batch int) error {
				if batch == 2 {
					return crash
				}
				return nil
			}
			q3 := entries("2027_Q4", 10, 0, 1)
			n, err := s.WriteSlice(ctx, "bookings", q3, first)
			if err == nil || !strings.Contains(err.Error(), "injected crash") || n != 4 {
				t.Fatalf("crashing load: %d, %v; want 4 rows and the crash", n, err)
			}
			if got, _ := w.Reconcile(ctx, []Expected{{"bookings", "2027_Q4", 10}}); got[0].Actual != 4 {
				t.Errorf("after a crash in batch 2: %d rows, want 4 (one whole batch)", got[0].Actual)
			}
			if n, err := NewSink(w).WriteSlice(ctx, "bookings", q3, first); err != nil || n != 10 {
				t.Errorf("rerun: %d, %v; want 10", n, err)
			}
			if got, _ := w.Reconcile(ctx, []Expected{{"bookings", "2027_Q4", 10}}); got[0].Actual != 10 {
				t.Errorf("after the rerun: %d rows, want 10", got[0].Actual)
			}
		})

		t.Run("duplicate_keys", func(t *testing.T) {
			keys, surplus, err := w.DuplicateKeys(ctx)
			if err != nil || keys != 0 || surplus != 0 {
				t.Errorf("DuplicateKeys = %d, %d, %v; the sink keeps one row per key", keys, surplus, err)
			}
			// A table without a key, as a user's may be: the check finds them.
			dcfg := b.cfg(t, "no_key")
			dw := openTest(t, dcfg)
			ddb := b.raw(t, dcfg)
			ddl := strings.Replace(dw.CreateTableSQL(), ",\n  PRIMARY KEY ("+dw.r.q.keyList()+")", "", 1)
			if _, err := ddb.ExecContext(ctx, ddl); err != nil {
				t.Fatal(err)
			}
			ins := fmt.Sprintf("INSERT INTO %s (%s) VALUES ('net_arr', '2028_Q1', 'TF', %s, 'f', 'forecast', 1, 1, '2027-02-10 08:00:00+00', 'USD')",
				dw.r.qtable, strings.Join(dw.r.q.all(), ", "), dw.ph(1))
			for _, u := range []string{"u0", "u0", "u1"} {
				if _, err := ddb.ExecContext(ctx, ins, u); err != nil {
					t.Fatal(err)
				}
			}
			if keys, surplus, err := dw.DuplicateKeys(ctx); err != nil || keys != 1 || surplus != 1 {
				t.Errorf("DuplicateKeys = %d, %d, %v; want 1 key, 1 surplus row", keys, surplus, err)
			}
		})

		t.Run("retention", func(t *testing.T) {
			old, err := w.PeriodsBeyondRetention(ctx, "2028_Q1", 8)
			if err != nil || strings.Join(old, ",") != "2026_Q1" {
				t.Fatalf("PeriodsBeyondRetention = %v, %v; want [2026_Q1]", old, err)
			}
			would, deleted, err := w.EnforceRetention(ctx, "2028_Q1", 8, true)
			if err != nil || would != 3 || deleted != 3 {
				t.Errorf("EnforceRetention = %d, %d, %v; want 3, 3", would, deleted, err)
			}
			if got, _ := w.Reconcile(ctx, []Expected{{"net_arr", "2026_Q1", 0}, {"net_arr", "2028_Q1", 10}}); got[0].Actual != 0 || got[1].Actual != 10 {
				t.Errorf("after retention: %+v", got)
			}
		})

		t.Run("currency_change_is_reported", func(t *testing.T) {
			usd := entries("2027_Q3", 3, 0, 1)
			for i := range usd {
				usd[i].Currency = "USD"
			}
			if _, err := NewSink(w).WriteSlice(ctx, "fx", usd, first); err != nil {
				t.Fatal(err)
			}
			// The same keys, newer, in EUR (u0, u1) and without a currency (u2).
			later := entries("2027_Q3", 3, 100, 2)
			later[0].Currency, later[1].Currency = "EUR", "EUR"
			if _, err := NewSink(w).WriteSlice(ctx, "fx", later, first.Add(time.Hour)); err != nil {
				t.Fatal(err)
			}
			got := map[string]string{}
			rows, err := db.QueryContext(ctx, fmt.Sprintf("SELECT %s, %s, %s FROM %s WHERE %s = 'fx'", w.r.q.user, w.r.q.currency, w.r.q.value, w.r.qtable, w.r.q.forecast))
			if err != nil {
				t.Fatal(err)
			}
			for rows.Next() {
				var u, c string
				var v float64
				if err := rows.Scan(&u, &c, &v); err != nil {
					t.Fatal(err)
				}
				got[u] = fmt.Sprintf("%s %g", c, v)
			}
			rows.Close()
			want := map[string]string{"u0": "USD 0", "u1": "USD 1", "u2": "USD 102"}
			for u, s := range want {
				if got[u] != s {
					t.Errorf("%s = %q, want %q (a key in another currency is not overwritten; a row without one keeps the stored currency)", u, got[u], s)
				}
			}
			if c := w.SinkLoadsByForecast()["fx"].CurrencyConflicts; c != 2 {
				t.Errorf("currency conflicts = %d, want 2", c)
			}
		})

		t.Run("missing_periods", func(t *testing.T) {
			// A rebuilt destination: net_arr's newest quarter is gone.
			del := fmt.Sprintf("DELETE FROM %s WHERE %s = 'net_arr' AND %s = '2028_Q1'", w.r.qtable, w.r.q.forecast, w.r.q.period)
			if _, err := db.ExecContext(ctx, del); err != nil {
				t.Fatal(err)
			}
			res := w.RunChecks(ctx, CheckInput{CurrentPeriod: "2028_Q1", Expected: []Expected{
				{"net_arr", "2028_Q1", 10},  // lost: inside the window
				{"bookings", "2027_Q4", 10}, // still there
				{"net_arr", "2025_Q4", 5},   // beyond the window: retention's business
				{"net_arr", "2027_Q3", 0},   // an empty export: nothing to miss
			}})
			if err := res.Errors[CheckReconciliation]; err != nil {
				t.Fatal(err)
			}
			if strings.Join(res.MissingPeriods, ",") != "2028_Q1" {
				t.Errorf("MissingPeriods = %v, want [2028_Q1]", res.MissingPeriods)
			}
			if st := publish(res, "t", 0, nil, 0, 0); st.MissingPeriods != 1 || !st.Reconciled {
				t.Errorf("published MissingPeriods = %d, reconciled %v; want 1, true", st.MissingPeriods, st.Reconciled)
			}
		})
	})
}

// statementLog records every statement pgx sends.
type statementLog struct {
	mu   sync.Mutex
	stmt []string
}

func (l *statementLog) TraceQueryStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceQueryStartData) context.Context {
	l.mu.Lock()
	l.stmt = append(l.stmt, d.SQL)
	l.mu.Unlock()
	return ctx
}

func (*statementLog) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

// redshiftForbidden are constructs PostgreSQL accepts and Redshift does
// not.
var redshiftForbidden = regexp.MustCompile(`(?i)\bON\s+CONFLICT\b|\bCOPY\b|\bDISTINCT\s+ON\b|\bIS\s+(NOT\s+)?DISTINCT\s+FROM\b|\bSAVEPOINT\b|\bto_regclass\b|\bpg_temp\b|\bsynchronous_commit\b`)

// TestRedshiftSendsOnlyRedshiftSQL runs the conformance suite on the
// Redshift dialect with every statement recorded, and fails on any that
// Redshift would refuse.
func TestRedshiftSendsOnlyRedshiftSQL(t *testing.T) {
	if !redshiftForbidden.MatchString("INSERT INTO t VALUES (1) ON CONFLICT (k) DO NOTHING") {
		t.Fatal("the pattern misses ON CONFLICT")
	}
	log := &statementLog{}
	tracerForTest = log
	t.Cleanup(func() { tracerForTest = nil })
	old := backends
	backends = []backend{redshiftBackend}
	t.Cleanup(func() { backends = old })
	TestConformance(t)
	if t.Skipped() {
		return
	}
	// The checks too, through RunChecks and the readiness audit's lookup.
	cfg := redshiftBackend.cfg(t, "audit")
	w := openWithTable(t, cfg)
	w.RunChecks(context.Background(), CheckInput{CurrentPeriod: "2028_Q1", Expected: []Expected{{"net_arr", "2028_Q1", 1}}})
	if _, _, err := w.UniqueKeyIndex(context.Background()); err != nil {
		t.Error(err)
	}
	log.mu.Lock()
	defer log.mu.Unlock()
	var merged bool
	for _, s := range log.stmt {
		if m := redshiftForbidden.FindString(s); m != "" {
			t.Errorf("the Redshift dialect sent %q, which Redshift refuses:\n%s", m, s)
		}
		merged = merged || strings.Contains(s, "ROW_NUMBER() OVER")
	}
	if !merged || len(log.stmt) < 20 {
		t.Errorf("only %d statements recorded, none a ROW_NUMBER() merge: the trace missed the load", len(log.stmt))
	}
}

// TestSinkFailureIsCounted: a load the database refuses (here the pool is
// closed under it, the "sql: database is closed" of an HA replica's second
// term) is counted for its forecast and marks its last load failed; the
// next good load clears the mark, not the count.
func TestSinkFailureIsCounted(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		cfg := b.cfg(t, "clari_forecast_entries")
		w := openWithTable(t, cfg)
		if _, err := NewSink(w).WriteSlice(ctx, "net_arr", entries("2028_Q1", 3, 0, 1), time.Now()); err != nil {
			t.Fatal(err)
		}
		if got := w.SinkLoadsByForecast()["net_arr"]; got != (SinkLoads{Failures: 0, LastSucceeded: true}) {
			t.Errorf("after a good load: %+v", got)
		}
		closed := openWithTable(t, cfg)
		closed.Close()
		if _, err := NewSink(closed).WriteSlice(ctx, "net_arr", entries("2028_Q1", 3, 0, 2), time.Now()); err == nil {
			t.Fatal("a load on a closed pool succeeded")
		}
		if got := closed.SinkLoadsByForecast()["net_arr"]; got != (SinkLoads{Failures: 1, LastSucceeded: false}) {
			t.Errorf("after a refused load: %+v, want 1 failure, last failed", got)
		}
		// A load that fails its guards is discarded, not failed.
		add, end := NewSink(w).Begin(ctx, "bookings", time.Now())
		e := entries("2028_Q1", 1, 0, 1)[0]
		if err := add(&e); err != nil {
			t.Fatal(err)
		}
		if _, err := end(ctx, false); err != nil {
			t.Fatal(err)
		}
		if _, seen := w.SinkLoadsByForecast()["bookings"]; seen {
			t.Error("a discarded load was counted")
		}
	})
}

// TestSinkAddsTheCurrencyColumn: a sink table made before the sink stored
// currency gets the column, and the sink then writes it.
func TestSinkAddsTheCurrencyColumn(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		cfg := b.cfg(t, "old_sink_table")
		w := openTest(t, cfg)
		db := b.raw(t, cfg)
		old := strings.Replace(w.CreateTableSQL(), fmt.Sprintf("  %s %s NOT NULL DEFAULT '',\n", w.r.q.currency, w.d.textType()), "", 1)
		if old == w.CreateTableSQL() {
			t.Fatal("setup: the DDL has no currency column to leave out")
		}
		if _, err := db.ExecContext(ctx, old); err != nil {
			t.Fatal(err)
		}
		es := entries("2028_Q1", 2, 0, 1)
		es[0].Currency = "JPY"
		if _, err := NewSink(w).WriteSlice(ctx, "net_arr", es, time.Now()); err != nil {
			t.Fatal(err)
		}
		var c string
		q := fmt.Sprintf("SELECT %s FROM %s WHERE %s = 'u0'", w.r.q.currency, w.r.qtable, w.r.q.user)
		if err := db.QueryRowContext(ctx, q).Scan(&c); err != nil || c != "JPY" {
			t.Errorf("currency = %q, %v; want JPY", c, err)
		}
	})
}
