package warehouse

import (
	"context"
	"database/sql"
	"sort"
	"strings"
)

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
		switch w.r.driver {
		case DriverPostgres:
			idx, err = w.pgUniqueIndexes(ctx, tx)
		case DriverSQLite:
			idx, err = w.sqliteUniqueIndexes(ctx, tx)
		}
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

// pgUniqueIndexes maps each valid, non-partial, column-only unique index of
// the table (primary key and UNIQUE constraints are backed by one) to its
// key columns; INCLUDE columns are not key columns and are left out.
func (w *Warehouse) pgUniqueIndexes(ctx context.Context, tx *sql.Tx) (map[string][]string, error) {
	rows, err := tx.QueryContext(ctx, `
SELECT i.relname, a.attname
FROM pg_catalog.pg_index x
JOIN pg_catalog.pg_class i ON i.oid = x.indexrelid
JOIN pg_catalog.pg_attribute a ON a.attrelid = x.indrelid
  AND a.attnum = ANY ((x.indkey::int2[])[0:x.indnkeyatts - 1])
WHERE x.indrelid = to_regclass($1)::oid
  AND x.indisunique AND x.indisvalid
  AND x.indpred IS NULL AND x.indexprs IS NULL
ORDER BY i.relname, a.attnum`, w.r.qtable)
	if err != nil {
		return nil, err
	}
	return collectIndexes(rows)
}

// sqliteUniqueIndexes does the same from SQLite's pragmas (a PRIMARY KEY
// or UNIQUE constraint appears as an sqlite_autoindex_* index, except an
// INTEGER PRIMARY KEY, which is not a natural key here anyway).
func (w *Warehouse) sqliteUniqueIndexes(ctx context.Context, tx *sql.Tx) (map[string][]string, error) {
	schema := w.r.schema
	if schema == "" {
		schema = "main"
	}
	rows, err := tx.QueryContext(ctx, `
SELECT il.name, ii.name
FROM pragma_index_list(?, ?) AS il, pragma_index_info(il.name, ?) AS ii
WHERE il."unique" = 1 AND il.partial = 0
ORDER BY il.name, ii.seqno`, w.r.tableName, schema, schema)
	if err != nil {
		return nil, err
	}
	return collectIndexes(rows)
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
