package snapshot

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"reflect"
	"runtime"
	"slices"
	"testing"

	"github.com/clari-exporter/clari_exporter/clari"
)

// referenceSnapshot is the builder as it was before keys were packed and
// sorted: one map slot with its value per natural key. The packed builder
// must give the very same counts, latest week and totals.
func referenceSnapshot(target Target, entries []clari.Entry) Snapshot {
	type key struct{ period, tf, user, field, dt, cur string }
	type val struct {
		updatedOn int64
		value     float64
		hasValue  bool
	}
	m := map[key]val{}
	dups := 0
	for _, e := range entries {
		k := key{e.TimePeriodID, e.TimeFrameID, e.UserID, e.FieldID, e.DataType, ""}
		if target.Currency != "" {
			k.cur = e.Currency
		}
		if old, ok := m[k]; ok {
			dups++
			if old.updatedOn > e.UpdatedOn {
				continue
			}
		}
		m[k] = val{e.UpdatedOn, e.Value, e.HasValue}
	}
	s := Snapshot{Rows: len(m), DuplicateRows: dups, RowsByPeriod: map[string]int{}}
	for k := range m {
		s.RowsByPeriod[k.period]++
		if target.Period != "" && k.period == target.Period && k.tf > s.LatestWeek {
			s.LatestWeek = k.tf
		}
	}
	for p := range s.RowsByPeriod {
		s.Periods = append(s.Periods, p)
	}
	sortStrings(s.Periods)
	sums := map[[2]string]*compensatedSum{}
	for k, v := range m {
		if s.LatestWeek == "" || k.period != target.Period || k.tf != s.LatestWeek || !v.hasValue {
			continue
		}
		ft := [2]string{k.field, k.dt}
		if sums[ft] == nil {
			sums[ft] = new(compensatedSum)
		}
		sums[ft].add(v.value)
	}
	for ft, sum := range sums {
		s.Totals = append(s.Totals, Total{ft[0], ft[1], sum.value()})
	}
	SortTotals(s.Totals)
	return s
}

func sortStrings(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

// randomEntries draws entries over a small key space, so that duplicates
// with older, newer and equal updatedOn, null values, other periods and
// currencies all occur, in random order, spread over many chunks.
func randomEntries(r *rand.Rand, n int) []clari.Entry {
	periods := []string{"2026_Q4", "2026_Q4", "2026_Q4", "2026_Q3"}
	weeks := []string{"TF:2026-10-05", "TF:2026-10-12", "TF:2026-10-19", "TF:2026-10-26"}
	out := make([]clari.Entry, n)
	for i := range out {
		e := clari.Entry{
			TimePeriodID: periods[r.IntN(len(periods))],
			TimeFrameID:  weeks[r.IntN(len(weeks))],
			UserID:       fmt.Sprintf("u%d", r.IntN(400)),
			FieldID:      fmt.Sprintf("f%d", r.IntN(5)),
			DataType:     clari.AllDataTypes[r.IntN(3)],
			Value:        float64(r.IntN(1_000_000)) / 100,
			HasValue:     r.IntN(10) > 0,
			UpdatedOn:    int64(r.IntN(4)),
			Currency:     []string{"USD", "EUR"}[r.IntN(2)],
		}
		out[i] = e
	}
	return out
}

func TestBuilderMatchesReferenceAcrossChunks(t *testing.T) {
	defer func(n, m int) { chunkKeys, latestChunk = n, m }(chunkKeys, latestChunk)
	chunkKeys = 1000 // many sealed runs to merge
	latestChunk = 97 // and many chunks of the latest week, duplicates across them
	r := rand.New(rand.NewPCG(1, 2))
	for _, target := range []Target{
		{Forecast: "f", Period: "2026_Q4"},
		{Forecast: "f", Period: "2026_Q4", Currency: "USD"},
		{Forecast: "f", Period: "2026_Q3"},
		{Forecast: "f", Period: ""},
		{Forecast: "f", Period: "2025_Q1"},
	} {
		for _, n := range []int{0, 1, 999, 1000, 1001, 30_000} {
			entries := randomEntries(r, n)
			b := NewBuilder(target, "j")
			feed(t, b, entries...)
			got := b.Finish()
			want := referenceSnapshot(target, entries)
			if got.Rows != want.Rows || got.DuplicateRows != want.DuplicateRows || got.LatestWeek != want.LatestWeek ||
				!reflect.DeepEqual(got.RowsByPeriod, want.RowsByPeriod) || !reflect.DeepEqual(got.Periods, want.Periods) ||
				!reflect.DeepEqual(got.Totals, want.Totals) {
				t.Fatalf("target %+v, %d entries:\n got rows %d dups %d week %q by period %v totals %v\nwant rows %d dups %d week %q by period %v totals %v",
					target, n, got.Rows, got.DuplicateRows, got.LatestWeek, got.RowsByPeriod, got.Totals,
					want.Rows, want.DuplicateRows, want.LatestWeek, want.RowsByPeriod, want.Totals)
			}
			// Finish only reads: a second call gives the same numbers.
			if again := b.Finish(); again.Rows != got.Rows || again.DuplicateRows != got.DuplicateRows || !reflect.DeepEqual(again.Totals, got.Totals) {
				t.Fatalf("second Finish differs: %+v vs %+v", again, got)
			}
		}
	}
}

func TestRadixSortValuesIsStable(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, n := range []int{0, 1, 2, 1000, 50_000} {
		vals := make([]latestValue, n)
		for i := range vals {
			vals[i] = latestValue{key: uint64(r.IntN(50))<<32 | uint64(r.IntN(3000)), updatedOn: int64(i)}
			if r.IntN(2) == 0 {
				vals[i].key |= hasValueBit // not part of the order
			}
		}
		want := slices.Clone(vals)
		slices.SortStableFunc(want, func(a, b latestValue) int { return cmp.Compare(a.naturalKey(), b.naturalKey()) })
		radixSortValues(vals, make([]latestValue, n))
		if !slices.Equal(vals, want) {
			t.Fatalf("%d values: radix sort differs from a stable sort by natural key", n)
		}
	}
}

func TestRadixSort(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{0, 1, 2, 63, 64, 65, 1000, 100_000} {
		for _, gen := range []func() uint64{
			r.Uint64,
			func() uint64 { return uint64(r.IntN(300))<<32 | uint64(r.IntN(20_000)) },
			func() uint64 { return 7 },
		} {
			keys := make([]uint64, n)
			for i := range keys {
				keys[i] = gen()
			}
			want := slices.Clone(keys)
			slices.Sort(want)
			radixSort(keys, make([]uint64, n))
			if !slices.Equal(keys, want) {
				t.Fatalf("%d keys: radix sort differs from slices.Sort", n)
			}
		}
	}
}

// TestBuilderMemoryPerRow: what the builder holds after the last entry is
// at most 16 bytes per distinct row plus the latest week's values (24
// bytes each) and a fixed few MiB (the radix sort's scratch chunk, maps of
// users and columns), measured as live heap after a GC.
func TestBuilderMemoryPerRow(t *testing.T) {
	const users, fields, weeks = 20_000, 4, 13 // 1.04M entries, one data type
	ids := make([]string, users)
	for u := range ids {
		ids[u] = fmt.Sprintf("0057Q%08d", u)
	}
	weekIDs := make([]string, weeks)
	for w := range weekIDs {
		weekIDs[w] = fmt.Sprintf("TF:2026-10-%02d", w+1)
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	b := NewBuilder(Target{Forecast: "f", Period: "2026_Q4"}, "j")
	e := clari.Entry{TimePeriodID: "2026_Q4", DataType: clari.DataForecast, HasValue: true}
	for u := range users {
		for f := range fields {
			for w := range weeks {
				e.UserID, e.FieldID, e.TimeFrameID, e.Value = ids[u], clari.AllDataTypes[f], weekIDs[w], float64(u)
				if err := b.Add(&e); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	held := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	rows := users * fields * weeks
	latest := users * fields
	limit := int64(16*rows + 24*latest + 4<<20)
	t.Logf("builder holds %d bytes for %d rows: %.1f B/row (limit %d)", held, rows, float64(held)/float64(rows), limit)
	if held > limit {
		t.Errorf("builder holds %d bytes for %d rows (%d of the latest week), over %d", held, rows, latest, limit)
	}
	if s := b.Finish(); s.Rows != rows || s.DuplicateRows != 0 {
		t.Fatalf("rows %d dups %d", s.Rows, s.DuplicateRows)
	}
	runtime.KeepAlive(ids)
}
