package warehouse

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/clari-exporter/clari_exporter/warehouse/checkstate"
)

// Expected is what the latest Clari export of a (forecast, period) says the
// warehouse should hold: Rows is the number of distinct natural keys
// (forecast, period, time frame, user, field, data type) in the export —
// one per clari.Entry after deduplication, null-valued entries included,
// because the sink writes one row per entry.
type Expected struct {
	Forecast string
	Period   string
	Rows     int
}

// Reconciliation compares one (forecast, period). It is the published
// state's type (an alias), so a check result is published without copying.
type Reconciliation = checkstate.Reconciliation

// MismatchRatio is abs(actual − expected) / max(expected, 1).
func MismatchRatio(expected, actual int) float64 {
	return math.Abs(float64(actual-expected)) / float64(max(expected, 1))
}

// Reconcile counts the table's rows for every expected (forecast, period)
// — every row counts, so duplicates show up as extra rows — and compares.
// The result is in the order of expected.
func (w *Warehouse) Reconcile(ctx context.Context, expected []Expected) ([]Reconciliation, error) {
	out := make([]Reconciliation, 0, len(expected))
	q := w.d.countSQL(w.r)
	err := w.readTx(ctx, "reconciliation", func(ctx context.Context, tx *sql.Tx) error {
		for _, e := range expected {
			var n int64
			if err := tx.QueryRowContext(ctx, q, e.Forecast, e.Period).Scan(&n); err != nil {
				return err
			}
			out = append(out, Reconciliation{
				Forecast: e.Forecast, Period: e.Period,
				Expected: e.Rows, Actual: int(n),
				MismatchRatio: MismatchRatio(e.Rows, int(n)),
			})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// MissingPeriods lists (sorted, once each) the periods inside the
// retention window of `quarters` quarters ending with currentPeriod that a
// successful export says hold rows (Expected > 0) and of which the table
// holds none for that forecast: history lost by a destination rebuilt after
// a failed load or replaced after a transient error. The retention check
// only finds periods beyond the window; this finds holes inside it. With
// no usable current period every such period counts; labels that are not
// YYYY_QN are never beyond the window.
func MissingPeriods(recs []Reconciliation, currentPeriod string, quarters int) []string {
	cur, err := parseRetention(currentPeriod, quarters)
	var out []string
	for _, r := range recs {
		if r.Expected == 0 || r.Actual != 0 || slices.Contains(out, r.Period) {
			continue
		}
		if err == nil && beyondRetention(r.Period, cur, quarters) {
			continue
		}
		out = append(out, r.Period)
	}
	slices.Sort(out)
	return out
}

// DuplicateKeys counts natural keys held by more than one row (keys) and
// the rows beyond one per such key (surplus).
func (w *Warehouse) DuplicateKeys(ctx context.Context) (keys int, surplusRows int, err error) {
	q := w.d.duplicateKeysSQL(w.r)
	err = w.readTx(ctx, "duplicate-key check", func(ctx context.Context, tx *sql.Tx) error {
		var k, s int64
		if err := tx.QueryRowContext(ctx, q).Scan(&k, &s); err != nil {
			return err
		}
		keys, surplusRows = int(k), int(s)
		return nil
	})
	return keys, surplusRows, err
}

// distinctPeriods lists the table's distinct period labels (as rows, or
// as one JSON array where the dialect says so).
func (w *Warehouse) distinctPeriods(ctx context.Context, tx *sql.Tx) ([]string, error) {
	q := w.d.distinctPeriodsSQL(w.r)
	if w.d.periodsAsJSON() {
		var arr sql.NullString
		if err := tx.QueryRowContext(ctx, q).Scan(&arr); err != nil {
			return nil, err
		}
		var out []string
		if arr.Valid {
			if err := json.Unmarshal([]byte(arr.String), &out); err != nil {
				return nil, fmt.Errorf("reading the distinct periods: %w", err)
			}
		}
		return out, nil
	}
	rows, err := tx.QueryContext(ctx, q)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var p sql.NullString
		if err := rows.Scan(&p); err != nil {
			return nil, err
		}
		if p.Valid {
			out = append(out, p.String)
		}
	}
	return out, rows.Err()
}

// PeriodsBeyondRetention lists (sorted) the distinct periods in the table
// older than the window of `quarters` quarters ending with currentPeriod
// (e.g. current 2026_Q4, 8 quarters: 2025_Q1 … 2026_Q4 are kept, 2024_Q4
// and older are beyond). Labels that are not YYYY_QN are ignored.
func (w *Warehouse) PeriodsBeyondRetention(ctx context.Context, currentPeriod string, quarters int) ([]string, error) {
	cur, err := parseRetention(currentPeriod, quarters)
	if err != nil {
		return nil, err
	}
	var old []string
	err = w.readTx(ctx, "retention check", func(ctx context.Context, tx *sql.Tx) error {
		periods, err := w.distinctPeriods(ctx, tx)
		for _, p := range periods {
			if beyondRetention(p, cur, quarters) {
				old = append(old, p)
			}
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	slices.Sort(old)
	return old, nil
}

// LastLoad is the newest loaded_at in the table; the zero time when the
// table is empty. It reads timestamptz/timestamp (PostgreSQL), and for
// SQLite INTEGER unix milliseconds (what the sink writes) or seconds
// (values below 1e11), REAL seconds, and TEXT in RFC 3339 or
// "YYYY-MM-DD HH:MM:SS[.fff]" (UTC).
func (w *Warehouse) LastLoad(ctx context.Context) (time.Time, error) {
	var last time.Time
	q := w.d.newestLoadSQL(w.r)
	err := w.readTx(ctx, "freshness check", func(ctx context.Context, tx *sql.Tx) error {
		var v any
		if err := tx.QueryRowContext(ctx, q).Scan(&v); err != nil {
			return err
		}
		t, err := parseLoadedAt(v)
		if err != nil {
			return fmt.Errorf("column %q: %w", w.r.cols.LoadedAt, err)
		}
		last = t
		return nil
	})
	return last, err
}

var textTimeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02",
}

func parseLoadedAt(v any) (time.Time, error) {
	switch x := v.(type) {
	case nil:
		return time.Time{}, nil
	case time.Time:
		return x, nil
	case int64:
		return unixAuto(x), nil
	case float64:
		return time.UnixMilli(int64(x * 1000)).UTC(), nil
	case []byte:
		return parseLoadedAt(string(x))
	case string:
		s := strings.TrimSpace(x)
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			return unixAuto(n), nil
		}
		for _, l := range textTimeLayouts {
			if t, err := time.Parse(l, s); err == nil {
				return t, nil
			}
		}
		return time.Time{}, fmt.Errorf("cannot read %q as a time: store timestamptz (PostgreSQL), or unix milliseconds or RFC 3339 text (SQLite)", s)
	}
	return time.Time{}, fmt.Errorf("cannot read a %T as a time", v)
}

// unixAuto reads n as unix milliseconds, or seconds when it is below 1e11
// (1e11 ms is March 1973; 1e11 s is year 5138).
func unixAuto(n int64) time.Time {
	if n < 1e11 {
		return time.Unix(n, 0).UTC()
	}
	return time.UnixMilli(n).UTC()
}
