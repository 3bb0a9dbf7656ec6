package snapshot

import (
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/clari-exporter/clari_exporter/clari"
)

// feed adds entries through one reused Entry, the way the decoders call Add.
func feed(t *testing.T, b *Builder, entries ...clari.Entry) {
	t.Helper()
	var e clari.Entry
	for i := range entries {
		e = entries[i]
		if err := b.Add(&e); err != nil {
			t.Fatal(err)
		}
		e = clari.Entry{UserID: "garbage", FieldID: "garbage", TimePeriodID: "garbage", Value: -1} // reuse
	}
}

func entry(period, week, user, field, dt string, v float64, updated int64) clari.Entry {
	return clari.Entry{TimePeriodID: period, TimeFrameID: week, UserID: user, FieldID: field,
		DataType: dt, Value: v, HasValue: true, UpdatedOn: updated}
}

func TestBuilderTotalsLatestWeekOnly(t *testing.T) {
	b := NewBuilder(Target{Forecast: "net_arr", Period: "2026_Q4"}, "job1")
	feed(t, b,
		entry("2026_Q4", "TF:2026-10-05", "u1", "commit", "forecast", 100, 1),
		entry("2026_Q4", "TF:2026-10-12", "u1", "commit", "forecast", 150, 1),
		entry("2026_Q4", "TF:2026-10-12", "u2", "commit", "forecast", 50, 1),
		entry("2026_Q4", "TF:2026-10-12", "u1", "commit", "quota", 400, 1),
		entry("2026_Q4", "TF:2026-10-12", "u1", "best_case", "forecast", 7, 1),
		// no value: counted as a row, not in totals
		clari.Entry{TimePeriodID: "2026_Q4", TimeFrameID: "TF:2026-10-12", UserID: "u3", FieldID: "commit", DataType: "forecast", Value: 999},
		// a field only in an older week has no latest-week total
		entry("2026_Q4", "TF:2026-10-05", "u1", "pipeline", "forecast", 5, 1),
	)
	s := b.Finish()
	if s.Rows != 7 || s.DuplicateRows != 0 {
		t.Fatalf("rows %d dups %d, want 7, 0", s.Rows, s.DuplicateRows)
	}
	if s.LatestWeek != "TF:2026-10-12" {
		t.Fatalf("latest week %q", s.LatestWeek)
	}
	want := []Total{
		{"best_case", "forecast", 7},
		{"commit", "forecast", 200},
		{"commit", "quota", 400},
	}
	if !reflect.DeepEqual(s.Totals, want) {
		t.Fatalf("totals\n got %v\nwant %v", s.Totals, want)
	}
	if s.Forecast != "net_arr" || s.Period != "2026_Q4" || s.JobID != "job1" || s.CreatedAt.IsZero() {
		t.Fatalf("identity not carried: %+v", s)
	}
	if v, ok := s.Total("commit", "quota"); !ok || v != 400 {
		t.Fatalf("Total(commit, quota) = %v, %v", v, ok)
	}
	if _, ok := s.Total("pipeline", "forecast"); ok {
		t.Fatal("pipeline has no latest-week value but has a total")
	}
	if reason, ok := s.Check(); !ok {
		t.Fatalf("good snapshot fails check: %s", reason)
	}
}

func TestBuilderDedupLatestUpdatedOnWins(t *testing.T) {
	b := NewBuilder(Target{Forecast: "f", Period: "2026_Q4"}, "j")
	wk := "TF:2026-10-12"
	feed(t, b,
		entry("2026_Q4", wk, "u1", "commit", "forecast", 10, 2000),
		entry("2026_Q4", wk, "u1", "commit", "forecast", 99, 1000), // older: dropped
		entry("2026_Q4", wk, "u2", "commit", "forecast", 1, 5),
		entry("2026_Q4", wk, "u2", "commit", "forecast", 2, 5), // tie: later wins
		entry("2026_Q4", wk, "u3", "commit", "forecast", 3, 5),
		entry("2026_Q4", wk, "u3", "commit", "forecast", 4, 9), // newer wins
		entry("2026_Q4", wk, "u3", "commit", "quota", 4, 9),    // other data type: distinct
	)
	s := b.Finish()
	if s.Rows != 4 || s.DuplicateRows != 3 {
		t.Fatalf("rows %d dups %d, want 4, 3", s.Rows, s.DuplicateRows)
	}
	if v, _ := s.Total("commit", "forecast"); v != 10+2+4 {
		t.Fatalf("commit forecast total %v, want 16", v)
	}
}

func TestBuilderCurrencyInKeyOnlyWhenTargetHasCurrency(t *testing.T) {
	usd := entry("2026_Q4", "TF:2026-10-12", "u1", "commit", "forecast", 1, 1)
	usd.Currency = "USD"
	eur := usd
	eur.Currency = "EUR"

	plain := NewBuilder(Target{Forecast: "f", Period: "2026_Q4"}, "j")
	feed(t, plain, usd, eur)
	if s := plain.Finish(); s.Rows != 1 || s.DuplicateRows != 1 {
		t.Fatalf("unconverted export: rows %d dups %d, want 1, 1", s.Rows, s.DuplicateRows)
	}
	converted := NewBuilder(Target{Forecast: "f", Period: "2026_Q4", Currency: "USD"}, "j")
	feed(t, converted, usd, eur)
	if s := converted.Finish(); s.Rows != 2 || s.DuplicateRows != 0 {
		t.Fatalf("converted export: rows %d dups %d, want 2, 0", s.Rows, s.DuplicateRows)
	}
}

func TestBuilderCopiesReusedEntry(t *testing.T) {
	b := NewBuilder(Target{Forecast: "f", Period: "P"}, "j")
	buf := []byte("user-A")
	e := clari.Entry{TimePeriodID: "P", TimeFrameID: "TF:1", FieldID: "x", DataType: "forecast", HasValue: true, Value: 1}
	e.UserID = string(buf)
	if err := b.Add(&e); err != nil {
		t.Fatal(err)
	}
	e.UserID, e.Value = "user-B", 2
	if err := b.Add(&e); err != nil {
		t.Fatal(err)
	}
	e.Value = 100 // mutate after Add: must not change what was kept
	s := b.Finish()
	if s.Rows != 2 {
		t.Fatalf("rows %d, want 2", s.Rows)
	}
	if v, _ := s.Total("x", "forecast"); v != 3 {
		t.Fatalf("total %v, want 3", v)
	}
}

func TestBuilderNilEntry(t *testing.T) {
	if err := NewBuilder(Target{}, "").Add(nil); err == nil {
		t.Fatal("nil entry accepted")
	}
}

func TestBuilderVisitorFeedsEntries(t *testing.T) {
	b := NewBuilder(Target{Forecast: "f", Period: "P"}, "j")
	v := b.Visitor()
	e := entry("P", "TF:1", "u", "x", "forecast", 5, 0)
	if err := v.Entry(&e); err != nil {
		t.Fatal(err)
	}
	if s := b.Finish(); s.Rows != 1 {
		t.Fatalf("rows %d", s.Rows)
	}
}

func TestGuards(t *testing.T) {
	cases := []struct {
		name    string
		period  string
		entries []clari.Entry
		reason  string
	}{
		{"empty", "2026_Q4", nil, ReasonEmpty},
		{"exact period", "2026_Q4", []clari.Entry{entry("2026_Q4", "TF:1", "u", "f", "forecast", 1, 0)}, ""},
		{"silent fallback to another quarter", "2025_Q1",
			[]clari.Entry{entry("2026_Q4", "TF:1", "u", "f", "forecast", 1, 0)}, ReasonPeriodMismatch},
		{"requested plus another", "2026_Q4", []clari.Entry{
			entry("2026_Q4", "TF:1", "u", "f", "forecast", 1, 0),
			entry("2026_Q3", "TF:1", "u", "f", "forecast", 1, 0)}, ReasonPeriodMismatch},
		{"no period requested", "", []clari.Entry{entry("2026_Q4", "TF:1", "u", "f", "forecast", 1, 0)}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := NewBuilder(Target{Forecast: "f", Period: c.period}, "j")
			feed(t, b, c.entries...)
			s := b.Finish()
			reason, ok := s.Check()
			if reason != c.reason || ok != (c.reason == "") {
				t.Fatalf("Check() = %q, %v; want %q", reason, ok, c.reason)
			}
			if s.Empty() != (c.reason == ReasonEmpty) {
				t.Fatalf("Empty() = %v", s.Empty())
			}
		})
	}
}

func TestPeriodsAndRowsByPeriod(t *testing.T) {
	b := NewBuilder(Target{Forecast: "f", Period: "2026_Q3"}, "j")
	feed(t, b,
		entry("2026_Q4", "TF:2026-10-05", "u", "f", "forecast", 1, 0),
		entry("2026_Q3", "TF:2026-07-06", "u", "f", "forecast", 1, 0),
		entry("2026_Q3", "TF:2026-07-13", "u", "f", "forecast", 2, 0),
	)
	s := b.Finish()
	if !reflect.DeepEqual(s.Periods, []string{"2026_Q3", "2026_Q4"}) {
		t.Fatalf("periods %v", s.Periods)
	}
	if !reflect.DeepEqual(s.RowsByPeriod, map[string]int{"2026_Q3": 2, "2026_Q4": 1}) {
		t.Fatalf("rows by period %v", s.RowsByPeriod)
	}
	// The latest week is taken from the requested period only, although
	// the other period has a later week.
	if s.LatestWeek != "TF:2026-07-13" {
		t.Fatalf("latest week %q", s.LatestWeek)
	}
	if v, _ := s.Total("f", "forecast"); v != 2 {
		t.Fatalf("total %v, want 2", v)
	}
}

func TestFinishCreatedAtIsNowUTC(t *testing.T) {
	b := NewBuilder(Target{Forecast: "f", Period: "P"}, "j")
	fixed := time.Date(2026, 11, 27, 10, 0, 0, 0, time.FixedZone("X", 3600))
	b.now = func() time.Time { return fixed }
	s := b.Finish()
	if !s.CreatedAt.Equal(fixed) || s.CreatedAt.Location() != time.UTC {
		t.Fatalf("created at %v", s.CreatedAt)
	}
}

// BenchmarkBuilder100k measures dedup and totals for an export of 100k
// entries (500 users × 4 fields × 13 weeks × 4 data types ≈ 104k) with 10%
// duplicates.
func BenchmarkBuilder100k(b *testing.B) {
	var entries []clari.Entry
	for u := range 500 {
		for f := range 4 {
			for w := range 13 {
				for _, dt := range []string{"forecast", "quota", "forecast_updated", "adjustment"} {
					entries = append(entries, entry("2026_Q4", fmt.Sprintf("TF:2026-10-%02d", w+1),
						fmt.Sprintf("user-%04d", u), fmt.Sprintf("field-%d", f), dt, float64(u), int64(w)))
				}
			}
		}
	}
	entries = append(entries, entries[:len(entries)/10]...)
	b.ReportAllocs()
	for b.Loop() {
		bl := NewBuilder(Target{Forecast: "f", Period: "2026_Q4"}, "j")
		var e clari.Entry
		for i := range entries {
			e = entries[i]
			_ = bl.Add(&e)
		}
		if s := bl.Finish(); s.Rows != 104000 {
			b.Fatalf("rows %d", s.Rows)
		}
	}
}

// Totals of the same entries are identical whatever the (random) map order:
// money values like 0.1 do not sum exactly in floating point.
func TestTotalsDeterministic(t *testing.T) {
	var first float64
	for i := range 20 {
		b := NewBuilder(Target{Forecast: "f", Period: "P"}, "j")
		for u := range 1000 {
			v := 0.1 + float64(u%7)*1e6 + float64(u%3)*0.01
			feed(t, b, entry("P", "TF:1", fmt.Sprintf("u%d", u), "commit", "forecast", v, 0))
		}
		got, _ := b.Finish().Total("commit", "forecast")
		if i == 0 {
			first = got
		} else if got != first {
			t.Fatalf("run %d: total %v, first run %v", i, got, first)
		}
	}
}
