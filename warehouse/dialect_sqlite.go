package warehouse

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// sqliteDialect is SQLite through modernc.org/sqlite: no statement
// timeout (the context deadline interrupts a statement), the catalog
// through pragmas, a load staged by JSON batches and merged with ON
// CONFLICT.
type sqliteDialect struct{ ansi }

func (sqliteDialect) textType() string { return "TEXT" }

func (sqliteDialect) createTableSQL(r resolved) string {
	return createTable(r, sqliteDialect{}.textType(), "REAL", "INTEGER")
}

// distinctPeriodsSQL returns the periods as one JSON array from a single
// aggregate row: modernc.org/sqlite interrupts a statement on context end
// only until its first row, so every SQLite check does all its work before
// returning one row.
func (sqliteDialect) distinctPeriodsSQL(r resolved) string {
	return fmt.Sprintf("SELECT json_group_array(DISTINCT %s) FROM %s WHERE %s IS NOT NULL", r.q.period, r.source, r.q.period)
}

func (sqliteDialect) periodsAsJSON() bool { return true }

// rawEntriesSQL: the document is JSON text; json_type is NULL only for a
// missing member ('null' for a JSON null, which counts as present).
func (sqliteDialect) rawEntriesSQL(r resolved) string {
	return rawEntries(r,
		fmt.Sprintf("%s t, json_each(t.%s, '$.entries') e", r.qtable, r.q.document),
		func(key string) string { return fmt.Sprintf("json_extract(e.value, '$.%s')", key) },
		"json_type(e.value, '$.' || k.json_key) IS NOT NULL")
}

func (sqliteDialect) setTimeout(context.Context, *sql.Tx, time.Duration) error { return nil }

func (sqliteDialect) backstop() time.Duration { return 0 }

func (sqliteDialect) isTimeout(err error) bool { return errors.Is(err, context.DeadlineExceeded) }

func (sqliteDialect) isCreateRace(error) bool { return false }

func (r resolved) sqliteSchema() string {
	if r.schema == "" {
		return "main"
	}
	return r.schema
}

// columns returns the table's columns, or nil when it does not exist.
func (sqliteDialect) columns(ctx context.Context, tx *sql.Tx, r resolved) (map[string]bool, string, error) {
	rows, err := tx.QueryContext(ctx, "SELECT name FROM pragma_table_info(?, ?)", r.tableName, r.sqliteSchema())
	if err != nil {
		return nil, "", err
	}
	cols, err := collectNames(rows)
	if err != nil || len(cols) == 0 {
		return nil, "", err
	}
	return cols, "", nil
}

// uniqueIndexes reads SQLite's pragmas (a PRIMARY KEY or UNIQUE
// constraint appears as an sqlite_autoindex_* index, except an INTEGER
// PRIMARY KEY, which is not a natural key here anyway).
func (sqliteDialect) uniqueIndexes(ctx context.Context, tx *sql.Tx, r resolved) (map[string][]string, error) {
	schema := r.sqliteSchema()
	rows, err := tx.QueryContext(ctx, `
SELECT il.name, ii.name
FROM pragma_index_list(?, ?) AS il, pragma_index_info(il.name, ?) AS ii
WHERE il."unique" = 1 AND il.partial = 0
ORDER BY il.name, ii.seqno`, r.tableName, schema, schema)
	if err != nil {
		return nil, err
	}
	return collectIndexes(rows)
}

// openStage stages JSON batches into a temporary table (see stage).
func (sqliteDialect) openStage(ctx context.Context, s *Sink, forecast string, loadedAt time.Time) (stager, error) {
	st, err := s.openStage(ctx, forecast, loadedAt)
	if err != nil {
		return nil, err
	}
	return st, nil
}
