package warehouse

import (
	"context"
	"database/sql"
	"sort"
	"strings"
)

// EnforcesUniqueKeys says whether the backend enforces unique constraints
// at all: Redshift does not (its keys are informational), so there only
// the sink and the duplicate-key check keep one row per key.
func (w *Warehouse) EnforcesUniqueKeys() bool { return w.d.enforcesUnique() }

// UniqueKeyIndex returns the name of a unique index or constraint (a
// primary key counts) whose columns are exactly the natural key columns
// (forecast, period, time frame, user, field, data type) in any order, or
// "" when the table has none. Partial and expression indexes do not count:
// they do not stop every duplicate, and an upsert (ON CONFLICT) cannot use
// them as its arbiter. The readiness audit uses it (checklist item 17).
//
// others lists the table's other unique indexes as "name(col, col)" so a
// failing check can say what exists instead.
func (w *Warehouse) UniqueKeyIndex(ctx context.Context) (name string, others []string, err error) {
	var idx map[string][]string
	err = w.readTx(ctx, "cannot read the table's indexes", func(ctx context.Context, tx *sql.Tx) error {
		var err error
		idx, err = w.d.uniqueIndexes(ctx, tx, w.r)
		return err
	})
	if err != nil {
		return "", nil, err
	}
	c := w.r.cols
	want := []string{c.Forecast, c.Period, c.TimeFrame, c.User, c.Field, c.DataType}
	sort.Strings(want)
	names := make([]string, 0, len(idx))
	for n := range idx {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		cols := append([]string(nil), idx[n]...)
		sort.Strings(cols)
		if strings.Join(cols, "\x00") == strings.Join(want, "\x00") {
			return n, nil, nil
		}
		others = append(others, n+"("+strings.Join(idx[n], ", ")+")")
	}
	return "", others, nil
}

func collectIndexes(rows *sql.Rows) (map[string][]string, error) {
	defer rows.Close()
	idx := map[string][]string{}
	expr := map[string]bool{}
	for rows.Next() {
		var name string
		var col sql.NullString
		if err := rows.Scan(&name, &col); err != nil {
			return nil, err
		}
		if !col.Valid {
			expr[name] = true // an expression column (SQLite): not a plain key
			continue
		}
		idx[name] = append(idx[name], col.String)
	}
	for name := range expr {
		delete(idx, name)
	}
	return idx, rows.Err()
}
