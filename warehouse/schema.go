package warehouse

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
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
// exist, through the dialect's catalog lookup.
func (w *Warehouse) ValidateSchema(ctx context.Context) error {
	var cols map[string]bool
	var hint string
	err := w.readTx(ctx, "cannot read the table's columns", func(ctx context.Context, tx *sql.Tx) error {
		var err error
		cols, hint, err = w.d.columns(ctx, tx, w.r)
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
func (w *Warehouse) CreateTableSQL() string { return w.d.createTableSQL(w.r) }

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
			raced = w.d.isCreateRace(err)
			return err
		})
	}
	err := create()
	if raced {
		err = create()
	}
	if err == nil {
		err = w.ensureCurrencyColumn(ctx)
	}
	if err != nil {
		return err
	}
	w.mu.Lock()
	w.ensured = true
	w.mu.Unlock()
	return nil
}

// ensureCurrencyColumn adds the currency column to a sink table made
// before the sink stored currency (an existing table is otherwise used as
// it is): text, NOT NULL, ” for the rows already there, which the next
// load of each key fills in.
func (w *Warehouse) ensureCurrencyColumn(ctx context.Context) error {
	var cols map[string]bool
	err := w.readTx(ctx, "cannot read the table's columns", func(ctx context.Context, tx *sql.Tx) error {
		var err error
		cols, _, err = w.d.columns(ctx, tx, w.r)
		return err
	})
	if err != nil || cols == nil || cols[w.r.cols.Currency] {
		return err
	}
	alter := fmt.Sprintf("ALTER TABLE %s ADD COLUMN %s %s NOT NULL DEFAULT ''", w.r.qtable, w.r.q.currency, w.d.textType())
	return w.tx(ctx, fmt.Sprintf("cannot add column %q (warehouse.columns.currency) to table %q", w.r.cols.Currency, w.r.table), false, w.r.statementTimeout, func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, alter)
		return err
	})
}
