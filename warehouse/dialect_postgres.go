package warehouse

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
)

// postgresDialect is PostgreSQL through pgx: the table is found with
// to_regclass (so an unqualified name follows search_path as the checks'
// queries do), a load is staged with COPY and merged with ON CONFLICT.
type postgresDialect struct{ pgFamily }

func (postgresDialect) textType() string { return "text" }

func (postgresDialect) createTableSQL(r resolved) string {
	return createTable(r, postgresDialect{}.textType(), "double precision", "timestamptz")
}

// columns returns the table's columns, or nil and a case-folding hint
// when it does not exist.
func (postgresDialect) columns(ctx context.Context, tx *sql.Tx, r resolved) (map[string]bool, string, error) {
	var oid sql.NullInt64
	if err := tx.QueryRowContext(ctx, "SELECT to_regclass($1)::oid", r.qtable).Scan(&oid); err != nil {
		return nil, "", err
	}
	if !oid.Valid {
		hint := ""
		if lower := strings.ToLower(r.table); lower != r.table {
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

// uniqueIndexes maps each valid, non-partial, column-only unique index of
// the table (primary key and UNIQUE constraints are backed by one) to its
// key columns; INCLUDE columns are not key columns and are left out.
func (postgresDialect) uniqueIndexes(ctx context.Context, tx *sql.Tx, r resolved) (map[string][]string, error) {
	rows, err := tx.QueryContext(ctx, `
SELECT i.relname, a.attname
FROM pg_catalog.pg_index x
JOIN pg_catalog.pg_class i ON i.oid = x.indexrelid
JOIN pg_catalog.pg_attribute a ON a.attrelid = x.indrelid
  AND a.attnum = ANY ((x.indkey::int2[])[0:x.indnkeyatts - 1])
WHERE x.indrelid = to_regclass($1)::oid
  AND x.indisunique AND x.indisvalid
  AND x.indpred IS NULL AND x.indexprs IS NULL
ORDER BY i.relname, a.attnum`, r.qtable)
	if err != nil {
		return nil, err
	}
	return collectIndexes(rows)
}

// openStage stages with COPY through a pipe (see stage).
func (postgresDialect) openStage(ctx context.Context, s *Sink, forecast string, loadedAt time.Time) (stager, error) {
	st, err := s.openStage(ctx, forecast, loadedAt)
	if err != nil {
		return nil, err
	}
	return st, nil
}
