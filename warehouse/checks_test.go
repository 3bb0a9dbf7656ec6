package warehouse

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"
)

func TestReconcile(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		w := openWithTable(t, b.cfg(t, "clari_forecast_entries"))
		s := NewSink(w)
		load := time.Now()
		for _, l := range []struct {
			forecast, period string
			n                int
		}{{"net_arr", "2026_Q4", 10}, {"net_arr", "2026_Q3", 5}, {"bookings", "2026_Q4", 3}} {
			if _, err := s.WriteSlice(ctx, l.forecast, entries(l.period, l.n, 1, 1), load); err != nil {
				t.Fatal(err)
			}
		}
		got, err := w.Reconcile(ctx, []Expected{
			{"net_arr", "2026_Q4", 10}, // matching
			{"net_arr", "2026_Q3", 8},  // 3 rows missing in the warehouse
			{"bookings", "2026_Q4", 2}, // 1 extra row
			{"bookings", "2026_Q3", 4}, // period absent
			{"pipeline", "2026_Q4", 0}, // nothing expected, nothing held
			{"net_arr", "2026_Q2", 0},  // nothing expected, nothing held
			{"bookings", "2026_Q4", 0}, // nothing expected, 3 held
		})
		if err != nil {
			t.Fatal(err)
		}
		rec := func(forecast, period string, expected, actual int, ratio float64) Reconciliation {
			return Reconciliation{Forecast: forecast, Period: period, Expected: expected, Actual: actual, MismatchRatio: ratio}
		}
		want := []Reconciliation{
			rec("net_arr", "2026_Q4", 10, 10, 0),
			rec("net_arr", "2026_Q3", 8, 5, 3.0/8),
			rec("bookings", "2026_Q4", 2, 3, 0.5),
			rec("bookings", "2026_Q3", 4, 0, 1),
			rec("pipeline", "2026_Q4", 0, 0, 0),
			rec("net_arr", "2026_Q2", 0, 0, 0),
			rec("bookings", "2026_Q4", 0, 3, 3),
		}
		if !slices.Equal(got, want) {
			t.Errorf("Reconcile:\n got %+v\nwant %+v", got, want)
		}
	})
}

func TestDuplicateKeysOnTableWithoutKey(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		cfg := b.cfg(t, "no_unique_key")
		db := b.raw(t, cfg)
		w := openTest(t, cfg)
		// The user's table without a unique constraint: what the check is for.
		ddl := fmt.Sprintf(`CREATE TABLE %s (forecast_id text, time_period_id text, time_frame_id text,
			user_id text, field_id text, data_type text, value double precision, updated_on bigint, loaded_at bigint)`, w.r.qtable)
		if _, err := db.ExecContext(ctx, ddl); err != nil {
			t.Fatal(err)
		}
		keys, surplus, err := w.DuplicateKeys(ctx)
		if err != nil || keys != 0 || surplus != 0 {
			t.Fatalf("empty table: DuplicateKeys = %d, %d, %v; want 0, 0, nil", keys, surplus, err)
		}
		ins := fmt.Sprintf("INSERT INTO %s VALUES (%s, %s, 'TF:2026-10-05', %s, 'f', %s, 1, 1, 1)",
			w.r.qtable, w.ph(1), w.ph(2), w.ph(3), w.ph(4))
		for _, r := range [][4]string{
			{"net_arr", "2026_Q4", "a", "forecast"}, {"net_arr", "2026_Q4", "a", "forecast"}, {"net_arr", "2026_Q4", "a", "forecast"}, // key A ×3
			{"net_arr", "2026_Q4", "b", "forecast"}, {"net_arr", "2026_Q4", "b", "forecast"}, // key B ×2
			{"net_arr", "2026_Q4", "b", "quota"},     // other data type: its own key
			{"net_arr", "2026_Q3", "a", "forecast"},  // other period: its own key
			{"bookings", "2026_Q4", "a", "forecast"}, // other forecast: its own key
		} {
			if _, err := db.ExecContext(ctx, ins, r[0], r[1], r[2], r[3]); err != nil {
				t.Fatal(err)
			}
		}
		keys, surplus, err = w.DuplicateKeys(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if keys != 2 || surplus != 3 {
			t.Errorf("DuplicateKeys = %d keys, %d surplus rows; want 2, 3", keys, surplus)
		}
	})
}

func TestPeriodsBeyondRetentionAndEnforcement(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		cfg := b.cfg(t, "clari_forecast_entries")
		w := openWithTable(t, cfg)
		s := NewSink(w)
		rowsPer := map[string]int{"2024_Q3": 2, "2024_Q4": 3, "2025_Q1": 4, "2026_Q4": 5, "2027_Q1": 1, "FY2024": 2}
		for p, n := range rowsPer {
			if _, err := s.WriteSlice(ctx, "net_arr", entries(p, n, 0, 1), time.Now()); err != nil {
				t.Fatal(err)
			}
		}
		for _, c := range []struct {
			quarters int
			want     []string
		}{
			{8, []string{"2024_Q3", "2024_Q4"}}, // window 2025_Q1 … 2026_Q4
			{9, []string{"2024_Q3"}},
			{1, []string{"2024_Q3", "2024_Q4", "2025_Q1"}},
			{20, nil},
		} {
			got, err := w.PeriodsBeyondRetention(ctx, "2026_Q4", c.quarters)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, c.want) {
				t.Errorf("quarters %d: beyond retention = %v, want %v", c.quarters, got, c.want)
			}
		}
		if _, err := w.PeriodsBeyondRetention(ctx, "Q4-2026", 8); err == nil {
			t.Error("a malformed current period was accepted")
		}
		if _, err := w.PeriodsBeyondRetention(ctx, "2026_Q4", 0); err == nil {
			t.Error("retention of 0 quarters was accepted")
		}

		db := b.raw(t, cfg)
		would, deleted, err := w.EnforceRetention(ctx, "2026_Q4", 8, false)
		if err != nil || would != 5 || deleted != 0 {
			t.Fatalf("dry run: EnforceRetention = %d, %d, %v; want 5, 0, nil", would, deleted, err)
		}
		total := 0
		for _, n := range rowsPer {
			total += n
		}
		if n := countRows(t, db, w); n != total {
			t.Fatalf("dry run deleted rows: %d left, want %d", n, total)
		}
		would, deleted, err = w.EnforceRetention(ctx, "2026_Q4", 8, true)
		if err != nil || would != 5 || deleted != 5 {
			t.Fatalf("enforce: EnforceRetention = %d, %d, %v; want 5, 5, nil", would, deleted, err)
		}
		if n := countRows(t, db, w); n != total-5 {
			t.Errorf("after enforcement %d rows left, want %d", n, total-5)
		}
		if got, err := w.PeriodsBeyondRetention(ctx, "2026_Q4", 8); err != nil || len(got) != 0 {
			t.Errorf("after enforcement beyond retention = %v, %v; want none", got, err)
		}
	})
}

func TestLastLoadReadsNewestLoad(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		w := openWithTable(t, b.cfg(t, "clari_forecast_entries"))
		got, err := w.LastLoad(ctx)
		if err != nil || !got.IsZero() {
			t.Fatalf("empty table: LastLoad = %v, %v; want zero time", got, err)
		}
		s := NewSink(w)
		older := time.Date(2026, 11, 26, 6, 0, 0, 123_000_000, time.UTC)
		newer := older.Add(90 * time.Minute)
		// The newer load goes in first: max, not insertion order, must win.
		if _, err := s.WriteSlice(ctx, "bookings", entries("2026_Q4", 3, 0, 1), newer); err != nil {
			t.Fatal(err)
		}
		if _, err := s.WriteSlice(ctx, "net_arr", entries("2026_Q4", 3, 0, 1), older); err != nil {
			t.Fatal(err)
		}
		got, err = w.LastLoad(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !got.Equal(newer) {
			t.Errorf("LastLoad = %v, want %v", got, newer)
		}
	})
}

func TestParseLoadedAt(t *testing.T) {
	want := time.Date(2026, 11, 26, 6, 30, 15, 0, time.UTC)
	for _, v := range []any{
		want.UnixMilli(), want.Unix(), float64(want.Unix()), want,
		"2026-11-26T06:30:15Z", "2026-11-26 06:30:15", []byte("2026-11-26T07:30:15+01:00"),
		fmt.Sprint(want.UnixMilli()),
	} {
		got, err := parseLoadedAt(v)
		if err != nil || !got.Equal(want) {
			t.Errorf("parseLoadedAt(%T %v) = %v, %v; want %v", v, v, got, err, want)
		}
	}
	if got, err := parseLoadedAt(nil); err != nil || !got.IsZero() {
		t.Errorf("parseLoadedAt(nil) = %v, %v; want zero", got, err)
	}
	if _, err := parseLoadedAt("yesterday"); err == nil {
		t.Error("parseLoadedAt accepted text that is no time")
	}
}

func TestQuarterArithmetic(t *testing.T) {
	a, ok1 := quarterIndex("2025_Q4")
	b, ok2 := quarterIndex("2026_Q1")
	if !ok1 || !ok2 || b-a != 1 {
		t.Errorf("2025_Q4 → 2026_Q1 should be one quarter apart: %d %d", a, b)
	}
	for _, bad := range []string{"2026_Q5", "2026_Q0", "2026-Q1", "26_Q1", "FY2026", "", "2026_Q12"} {
		if _, ok := quarterIndex(bad); ok {
			t.Errorf("quarterIndex(%q) accepted", bad)
		}
	}
	cur, _ := quarterIndex("2026_Q4")
	if beyondRetention("2025_Q1", cur, 8) || !beyondRetention("2024_Q4", cur, 8) {
		t.Error("8-quarter window ending 2026_Q4 must keep 2025_Q1 and drop 2024_Q4")
	}
}

func TestMismatchRatio(t *testing.T) {
	for _, c := range []struct {
		exp, act int
		want     float64
	}{{100, 100, 0}, {100, 90, 0.1}, {100, 120, 0.2}, {0, 0, 0}, {0, 4, 4}, {1, 0, 1}} {
		if got := MismatchRatio(c.exp, c.act); got != c.want {
			t.Errorf("MismatchRatio(%d, %d) = %v, want %v", c.exp, c.act, got, c.want)
		}
	}
}
