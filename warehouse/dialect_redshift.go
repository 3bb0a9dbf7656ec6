package warehouse

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/clari-exporter/clari_exporter/clari"
)

// redshiftDialect is Amazon Redshift through pgx (Redshift speaks the
// PostgreSQL wire protocol). It sends only SQL Redshift accepts: no ON
// CONFLICT, COPY FROM STDIN, DISTINCT ON, IS DISTINCT FROM, savepoints or
// to_regclass. A load is staged by multi-row INSERTs into a temporary
// table and merged by delete+insert, ROW_NUMBER() keeping the newest row
// per key. Redshift does not enforce primary keys or unique constraints:
// the sink is what keeps one row per key.
type redshiftDialect struct{ pgFamily }

// createTableSQL: Redshift's text is varchar(256), too short for a
// forecast name; varchar(65535) is its longest. The primary key is
// informational on Redshift.
func (redshiftDialect) textType() string { return "varchar(65535)" }

func (redshiftDialect) createTableSQL(r resolved) string {
	return createTable(r, redshiftDialect{}.textType(), "double precision", "timestamptz")
}

// columns reads information_schema (Redshift has no to_regclass): the
// table's schema, or the first schema on search_path when unqualified.
func (redshiftDialect) columns(ctx context.Context, tx *sql.Tx, r resolved) (map[string]bool, string, error) {
	var schema any
	if r.schema != "" {
		schema = r.schema
	}
	rows, err := tx.QueryContext(ctx, "SELECT column_name FROM information_schema.columns WHERE table_schema = coalesce($1, current_schema()) AND table_name = $2", schema, r.tableName)
	if err != nil {
		return nil, "", err
	}
	cols, err := collectNames(rows)
	if err != nil || len(cols) == 0 {
		hint := ""
		if lower := strings.ToLower(r.tableName); err == nil && lower != r.tableName {
			hint = fmt.Sprintf("Redshift folds names to lower case: did you mean %q?", strings.ToLower(r.table))
		}
		return nil, hint, err
	}
	return cols, "", nil
}

// uniqueIndexes: Redshift enforces no unique constraint, so none counts.
func (redshiftDialect) uniqueIndexes(context.Context, *sql.Tx, resolved) (map[string][]string, error) {
	return nil, nil
}

func (redshiftDialect) enforcesUnique() bool { return false }

func (redshiftDialect) openStage(ctx context.Context, s *Sink, forecast string, loadedAt time.Time) (stager, error) {
	st, err := openInsertStage(ctx, s.w, forecast, loadedAt)
	if err != nil {
		return nil, err // not a nil *insertStage in a non-nil stager
	}
	return st, nil
}

// insertStageRows is the rows per staging INSERT: 10 parameters a row,
// well inside Redshift's 32767 and its 16 MB statement.
const insertStageRows = 500

// insertStage is the Redshift loader: a temporary table on one pinned
// connection filled by multi-row INSERTs of insertStageRows rows (memory
// stays at one such statement), each row numbered by seq in arrival order;
// merge moves it into the table one range of sink_batch_size rows per
// transaction.
type insertStage struct {
	w         *Warehouse
	conn      *sql.Conn
	forecast  string
	loadedAt  time.Time
	stage     string // quoted temp table names, unique per load
	pick      string
	rows      int64
	conflicts int
	args      []any
	n         int
}

func openInsertStage(ctx context.Context, w *Warehouse, forecast string, loadedAt time.Time) (*insertStage, error) {
	if err := w.EnsureTable(ctx); err != nil {
		return nil, err
	}
	conn, err := w.db.Conn(ctx)
	if err != nil {
		return nil, w.t.wrap("sink: connecting", err)
	}
	// A unique name, so the stage never meets a permanent table of the
	// same name (a temporary table cannot be schema-qualified portably).
	var b [6]byte
	rand.Read(b[:]) //nolint:errcheck // never fails
	suffix := hex.EncodeToString(b[:])
	st := &insertStage{w: w, conn: conn, forecast: forecast, loadedAt: loadedAt.UTC(),
		stage: quoteIdent(stageTable + "_" + suffix), pick: quoteIdent("clari_sink_pick_" + suffix)}
	q := w.r.q
	cols := fmt.Sprintf("%s varchar(65535), %s varchar(65535), %s varchar(65535), %s varchar(65535), %s varchar(65535), %s varchar(65535), %s double precision, %s bigint, %s timestamptz, %s varchar(65535)",
		q.forecast, q.period, q.timeFrame, q.user, q.field, q.dataType, q.value, q.updatedOn, q.loadedAt, q.currency)
	for _, ddl := range []string{
		fmt.Sprintf("CREATE TEMP TABLE %s (%s, seq bigint)", st.stage, cols),
		fmt.Sprintf("CREATE TEMP TABLE %s (%s)", st.pick, cols),
	} {
		if _, err := conn.ExecContext(ctx, ddl); err != nil {
			st.release()
			return nil, w.t.wrap("sink: creating the stage table", err)
		}
	}
	st.args = make([]any, 0, insertStageRows*(paramsPerRow+1))
	return st, nil
}

func (st *insertStage) add(ctx context.Context, e *clari.Entry) error {
	st.rows++
	var v any
	if e.HasValue {
		v = e.Value
	}
	st.args = append(st.args, st.forecast, e.TimePeriodID, e.TimeFrameID, e.UserID, e.FieldID, e.DataType, v, e.UpdatedOn, st.loadedAt, e.Currency, st.rows)
	st.n++
	if st.n == insertStageRows {
		return st.insertPending(ctx)
	}
	return nil
}

func (st *insertStage) insertPending(ctx context.Context) error {
	if st.n == 0 {
		return nil
	}
	var b strings.Builder
	fmt.Fprintf(&b, "INSERT INTO %s (%s, seq) VALUES ", st.stage, strings.Join(st.w.r.q.all(), ", "))
	p := 1
	for i := range st.n {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('(')
		for j := range paramsPerRow + 1 {
			if j > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, "$%d", p)
			p++
		}
		b.WriteByte(')')
	}
	_, err := st.conn.ExecContext(ctx, b.String(), st.args...)
	st.args, st.n = st.args[:0], 0
	if err != nil {
		return st.w.t.wrap("sink: staging", err)
	}
	return nil
}

func (st *insertStage) endStaging(ctx context.Context) error { return st.insertPending(ctx) }

// mergeSQL returns the statements of one batch ($1 < seq <= $2): fill
// pick with the newest row per key (ROW_NUMBER, ties: the later entry),
// give pick's rows without a currency the stored one, delete the table's
// rows that pick replaces (an older or equal updated_on, the same currency
// or none, and a different value, updated_on or currency: an identical
// row is left alone, so an identical re-export writes nothing, and a row
// in another currency is not overwritten), insert pick's rows whose key
// the table no longer holds.
func (st *insertStage) mergeSQL() (fill, keepCurrency, del, ins string) {
	q := st.w.r.q
	cols := strings.Join(q.all(), ", ")
	fill = fmt.Sprintf("INSERT INTO %s (%s) SELECT %s FROM (SELECT %s, ROW_NUMBER() OVER (PARTITION BY %s ORDER BY %s DESC, seq DESC) AS rn FROM %s WHERE seq > $1 AND seq <= $2) r WHERE rn = 1",
		st.pick, cols, cols, cols, q.keyList(), q.updatedOn, st.stage)
	var on []string
	for _, k := range q.keys() {
		on = append(on, fmt.Sprintf("%s.%s = p.%s", st.w.r.qtable, k, k))
	}
	t := st.w.r.qtable
	// A pick row without a currency keeps the stored one.
	keepCurrency = fmt.Sprintf("UPDATE %s SET %s = w.%s FROM %s w WHERE %s AND %s.%s = ''",
		st.pick, q.currency, q.currency, t, strings.Join(pickOn(q, st.pick, "w"), " AND "), st.pick, q.currency)
	del = fmt.Sprintf("DELETE FROM %s USING %s p WHERE %s AND p.%s >= %s.%s AND %s AND NOT (p.%s = %s.%s AND p.%s = %s.%s AND (p.%s = %s.%s OR (p.%s IS NULL AND %s.%s IS NULL)))",
		t, st.pick, strings.Join(on, " AND "), q.updatedOn, t, q.updatedOn, sameCurrency("p", t, q.currency),
		q.updatedOn, t, q.updatedOn, q.currency, t, q.currency, q.value, t, q.value, q.value, t, q.value)
	var join []string
	for _, k := range q.keys() {
		join = append(join, fmt.Sprintf("w.%s = p.%s", k, k))
	}
	var pcols []string
	for _, c := range q.all() {
		pcols = append(pcols, "p."+c)
	}
	ins = fmt.Sprintf("INSERT INTO %s (%s) SELECT %s FROM %s p LEFT JOIN %s w ON %s WHERE w.%s IS NULL",
		t, cols, strings.Join(pcols, ", "), st.pick, t, strings.Join(join, " AND "), q.forecast)
	return fill, keepCurrency, del, ins
}

// pickOn matches the natural key of tables a and b.
func pickOn(q quotedColumns, a, b string) []string {
	on := make([]string, 0, 6)
	for _, k := range q.keys() {
		on = append(on, fmt.Sprintf("%s.%s = %s.%s", a, k, b, k))
	}
	return on
}

func (st *insertStage) merge(ctx context.Context, forecast string, batchSize int, hook func(batch int) error) (rows, batches int, err error) {
	w := st.w
	fill, keepCurrency, del, ins := st.mergeSQL()
	conflictSQL := currencyConflictsSQL(w.r, st.pick)
	empty := "DELETE FROM " + st.pick
	count := "SELECT count(*) FROM " + st.pick
	return mergeRanges(ctx, w, st.conn, forecast, st.rows, batchSize, func(ctx context.Context, tx *sql.Tx, lo, hi int64, n int) (merged int, err error) {
		if _, err := tx.ExecContext(ctx, empty); err != nil {
			return 0, err
		}
		if _, err := tx.ExecContext(ctx, fill, lo, hi); err != nil {
			return 0, err
		}
		if err := tx.QueryRowContext(ctx, count).Scan(&merged); err != nil {
			return 0, err
		}
		var conflicts int
		if err := tx.QueryRowContext(ctx, conflictSQL).Scan(&conflicts); err != nil {
			return 0, err
		}
		st.conflicts += conflicts
		for _, stmt := range []string{keepCurrency, del, ins} {
			if _, err := tx.ExecContext(ctx, stmt); err != nil {
				return 0, err
			}
		}
		return merged, runHook(hook, n)
	})
}

func (st *insertStage) currencyConflicts() int { return st.conflicts }

// release drops the stage and gives the connection back, past a cancelled
// context.
func (st *insertStage) release() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, t := range []string{st.stage, st.pick} {
		st.conn.ExecContext(ctx, "DROP TABLE IF EXISTS "+t) //nolint:errcheck // temporary: gone with the session anyway
	}
	st.conn.Close()
}
