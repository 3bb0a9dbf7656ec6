package warehouse

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
)

// SchemaError says the configured table or one of its columns is missing.
type SchemaError struct {
	Table     string // as configured
	Column    string // "" when the table itself is missing
	ConfigKey string // e.g. warehouse.columns.loaded_at
	Hint      string // optional, e.g. a case-folding hint
}

func (e *SchemaError) Error() string {
	var s string
	if e.Column == "" {
		s = fmt.Sprintf("warehouse: table %q not found", e.Table)
	} else {
		s = fmt.Sprintf("warehouse: table %q has no column %q (%s)", e.Table, e.Column, e.ConfigKey)
	}
	if e.Hint != "" {
		s += "; " + e.Hint
	}
	return s
}

// ValidateSchema checks the configured table and every configured column
// exist. PostgreSQL: the table is resolved with to_regclass, so an
// unqualified name follows search_path like the checks' queries do, and its
// columns come from pg_attribute. SQLite: pragma_table_info.
func (w *Warehouse) ValidateSchema(ctx context.Context) error {
	var cols map[string]bool
	var hint string
	err := w.readTx(ctx, "cannot read the table's columns", func(ctx context.Context, tx *sql.Tx) error {
		var err error
		switch w.r.driver {
		case DriverPostgres:
			cols, hint, err = w.pgColumns(ctx, tx)
		case DriverSQLite:
			cols, err = w.sqliteColumns(ctx, tx)
		}
		return err
	})
	if err != nil {
		return err
	}
	if cols == nil {
		return &SchemaError{Table: w.r.table, Hint: hint}
	}
	for _, c := range w.r.columnsWithKeys() {
		if !cols[c.name] {
			e := &SchemaError{Table: w.r.table, Column: c.name, ConfigKey: c.key}
			if cols[strings.ToLower(c.name)] {
				e.Hint = fmt.Sprintf("PostgreSQL folds unquoted names to lower case: did you mean %q?", strings.ToLower(c.name))
			}
			return e
		}
	}
	w.mu.Lock()
	w.schemaKnown = true
	w.mu.Unlock()
	return nil
}

// pgColumns returns the table's columns, or nil when it does not exist.
func (w *Warehouse) pgColumns(ctx context.Context, tx *sql.Tx) (map[string]bool, string, error) {
	var oid sql.NullInt64
	if err := tx.QueryRowContext(ctx, "SELECT to_regclass($1)::oid", w.r.qtable).Scan(&oid); err != nil {
		return nil, "", err
	}
	if !oid.Valid {
		hint := ""
		if lower := strings.ToLower(w.r.table); lower != w.r.table {
			var alt sql.NullInt64
			if err := tx.QueryRowContext(ctx, "SELECT to_regclass($1)::oid", lower).Scan(&alt); err == nil && alt.Valid {
				hint = fmt.Sprintf("PostgreSQL folds unquoted names to lower case: did you mean %q?", lower)
			}
		}
		return nil, hint, nil
	}
	rows, err := tx.QueryContext(ctx, "SELECT attname FROM pg_catalog.pg_attribute WHERE attrelid = $1 AND attnum > 0 AND NOT attisdropped", oid.Int64)
	if err != nil {
		return nil, "", err
	}
	cols, err := collectNames(rows)
	return cols, "", err
}

// sqliteColumns returns the table's columns, or nil when it does not exist.
func (w *Warehouse) sqliteColumns(ctx context.Context, tx *sql.Tx) (map[string]bool, error) {
	schema := w.r.schema
	if schema == "" {
		schema = "main"
	}
	rows, err := tx.QueryContext(ctx, "SELECT name FROM pragma_table_info(?, ?)", w.r.tableName, schema)
	if err != nil {
		return nil, err
	}
	cols, err := collectNames(rows)
	if err != nil || len(cols) == 0 {
		return nil, err
	}
	return cols, nil
}

func collectNames(rows *sql.Rows) (map[string]bool, error) {
	defer rows.Close()
	cols := map[string]bool{}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		cols[n] = true
	}
	return cols, rows.Err()
}

// CreateTableSQL is the DDL EnsureTable runs for the configured table and
// column names (see docs/warehouse.md).
func (w *Warehouse) CreateTableSQL() string {
	q := w.r.q
	text, real, loaded := "text", "double precision", "timestamptz"
	if w.r.driver == DriverSQLite {
		text, real, loaded = "TEXT", "REAL", "INTEGER"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "CREATE TABLE IF NOT EXISTS %s (\n", w.r.qtable)
	for _, c := range q.keys() {
		fmt.Fprintf(&b, "  %s %s NOT NULL,\n", c, text)
	}
	fmt.Fprintf(&b, "  %s %s,\n", q.value, real)
	fmt.Fprintf(&b, "  %s bigint NOT NULL DEFAULT 0,\n", q.updatedOn)
	fmt.Fprintf(&b, "  %s %s NOT NULL,\n", q.loadedAt, loaded)
	fmt.Fprintf(&b, "  PRIMARY KEY (%s)\n)", q.keyList())
	return b.String()
}

// EnsureTable creates the sink's table if it does not exist, with the
// natural key (forecast, period, time frame, user, field, data type) as
// primary key so the sink's ON CONFLICT upsert has its arbiter. An existing
// table is left as it is (ValidateSchema checks its columns; the sink then
// needs a unique constraint on exactly the key columns).
func (w *Warehouse) EnsureTable(ctx context.Context) error {
	// Two CREATE TABLE IF NOT EXISTS racing (the sink's first load and the
	// checks, or two replicas) can both miss the table, and the loser then
	// fails on the catalog's unique index instead of finding it: in this
	// process they take turns, and a loss to another process is retried
	// once, when IF NOT EXISTS sees the table.
	w.ensureMu.Lock()
	defer w.ensureMu.Unlock()
	w.mu.Lock()
	done := w.ensured
	w.mu.Unlock()
	if done {
		return nil
	}
	raced := false
	create := func() error {
		return w.tx(ctx, fmt.Sprintf("cannot create table %q", w.r.table), false, w.r.statementTimeout, func(ctx context.Context, tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, w.CreateTableSQL())
			var pe *pgconn.PgError
			raced = errors.As(err, &pe) && (pe.Code == "23505" || pe.Code == "42P07" || pe.Code == "42710") // unique_violation, duplicate_table, duplicate_object
			return err
		})
	}
	err := create()
	if raced {
		err = create()
	}
	if err != nil {
		return err
	}
	w.mu.Lock()
	w.ensured = true
	w.mu.Unlock()
	return nil
}
