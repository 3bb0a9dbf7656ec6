package warehouse

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/clari-exporter/clari_exporter/clari"
)

// stage is where a streaming load puts the entries while the export is
// still being decoded: a temporary table on one pinned connection, filled
// by COPY through a pipe (PostgreSQL) or by multi-row INSERTs (SQLite),
// each row numbered by seq in arrival order. Nothing reaches the target
// table until the load is kept; then the stage is merged into it one range
// of sink_batch_size rows per transaction, so a crash leaves whole batches
// behind and the next run's load completes them.
type stage struct {
	w         *Warehouse
	conflicts int // rows left alone: their key is in another currency
	conn      *sql.Conn
	forecast  string
	rows      int64 // staged so far (the last seq)

	// PostgreSQL: the COPY running in its own goroutine, reading pipe.
	pipe    *io.PipeWriter
	copyErr chan error
	buf     []byte
	prefix  []byte // forecast, escaped
	loaded  string // loaded_at as COPY text

	// SQLite: the pending rows as one JSON array, and how many.
	pending  []byte
	npending int
	insert   string
	loadedMs int64
}

// stageCopyBuffer is how much COPY text is built up before it goes down
// the pipe.
const stageCopyBuffer = 64 << 10

// sqliteStageRows is the rows per staging INSERT on SQLite.
const sqliteStageRows = 250

// openStage pins a connection and creates the stage on it. For
// PostgreSQL, errNoTempTable says the role may not create temporary tables.
func (s *Sink) openStage(ctx context.Context, forecast string, loadedAt time.Time) (*stage, error) {
	w := s.w
	if err := w.EnsureTable(ctx); err != nil {
		return nil, err
	}
	conn, err := w.db.Conn(ctx)
	if err != nil {
		return nil, w.t.wrap("sink: connecting", err)
	}
	st := &stage{w: w, conn: conn, forecast: forecast, loadedMs: loadedAt.UnixMilli()}
	if w.r.driver == DriverSQLite {
		err = st.createSQLite(ctx)
	} else {
		err = st.startCopy(ctx, s.stageDDL(), forecast, loadedAt)
	}
	if err != nil {
		st.release()
		if errors.Is(err, errNoTempTable) {
			return nil, err
		}
		return nil, w.t.wrap("sink: creating the stage table", err)
	}
	return st, nil
}

func (st *stage) createSQLite(ctx context.Context) error {
	q := st.w.r.q
	ddl := fmt.Sprintf("CREATE TEMP TABLE %s (%s, seq INTEGER PRIMARY KEY)", quoteIdent(stageTable), strings.Join(q.all(), ", "))
	for _, stmt := range []string{"DROP TABLE IF EXISTS temp." + quoteIdent(stageTable), ddl} {
		if _, err := st.conn.ExecContext(ctx, stmt); err != nil {
			return err
		}
	}
	return nil
}

// startCopy creates the stage and starts COPY … FROM STDIN reading the
// pipe that add writes to. The session's statement_timeout is lifted for
// the COPY, which lasts as long as the download (the runner bounds that);
// each merge sets its own.
func (st *stage) startCopy(ctx context.Context, ddl, forecast string, loadedAt time.Time) error {
	for _, stmt := range []string{"DROP TABLE IF EXISTS pg_temp." + quoteIdent(stageTable), ddl, "SET statement_timeout = 0"} {
		if _, err := st.conn.ExecContext(ctx, stmt); err != nil {
			var pe *pgconn.PgError
			if errors.As(err, &pe) && pe.Code == "42501" { // insufficient_privilege
				return errNoTempTable
			}
			return err
		}
	}
	copySQL := fmt.Sprintf("COPY %s (%s, seq) FROM STDIN", quoteIdent(stageTable), strings.Join(st.w.r.q.all(), ", "))
	pr, pw := io.Pipe()
	st.pipe, st.copyErr = pw, make(chan error, 1)
	st.buf = make([]byte, 0, stageCopyBuffer+1024)
	// The constant part of every row: forecast first, loaded_at later.
	st.prefix = appendCopyText(nil, forecast)
	st.loaded = loadedAt.UTC().Format(time.RFC3339Nano)
	go func() {
		err := st.conn.Raw(func(dc any) error {
			_, err := dc.(*stdlib.Conn).Conn().PgConn().CopyFrom(ctx, pr, copySQL)
			return err
		})
		pr.CloseWithError(err) // unblocks a writer when COPY failed
		st.copyErr <- err
	}()
	return nil
}

// add stages one entry.
func (st *stage) add(ctx context.Context, e *clari.Entry) error {
	st.rows++
	if st.pipe == nil {
		st.appendJSONRow(e)
		if st.npending == sqliteStageRows {
			return st.insertPending(ctx)
		}
		return nil
	}
	b := appendCopyEntry(st.buf, st.prefix, e, st.loaded)
	b = append(b, '\t')
	b = strconv.AppendInt(b, st.rows, 10)
	b = append(b, '\n')
	st.buf = b
	if len(b) >= stageCopyBuffer {
		return st.flushCopy()
	}
	return nil
}

// appendCopyEntry appends e as COPY text in the table's column order:
// forecast (prefix, already encoded), the rest of the natural key, value,
// updated_on, loaded_at and currency. The caller ends the row.
func appendCopyEntry(b, prefix []byte, e *clari.Entry, loaded string) []byte {
	b = append(b, prefix...)
	for _, f := range [...]string{e.TimePeriodID, e.TimeFrameID, e.UserID, e.FieldID, e.DataType} {
		b = append(b, '\t')
		b = appendCopyText(b, f)
	}
	b = append(b, '\t')
	b = appendCopyFloat(b, e.Value, e.HasValue)
	b = append(b, '\t')
	b = strconv.AppendInt(b, e.UpdatedOn, 10)
	b = append(b, '\t')
	b = append(b, loaded...)
	b = append(b, '\t')
	return appendCopyText(b, e.Currency)
}

func (st *stage) flushCopy() error {
	if len(st.buf) == 0 {
		return nil
	}
	_, err := st.pipe.Write(st.buf)
	st.buf = st.buf[:0]
	if err != nil {
		return st.w.t.wrap("sink: staging (COPY)", err)
	}
	return nil
}

// appendJSONRow adds e to the pending rows as a JSON array: SQLite stages
// sqliteStageRows rows from one BLOB parameter through json_each. Binding ten
// parameters per row instead costs database/sql a driver.NamedValue per
// parameter: hundreds of bytes of garbage per row, which doubles the
// heap of a large export between collections.
func (st *stage) appendJSONRow(e *clari.Entry) {
	b := st.pending
	if st.npending == 0 {
		b = append(b[:0], '[')
	} else {
		b = append(b, ',')
	}
	b = append(b, '[')
	for _, f := range [...]string{e.TimePeriodID, e.TimeFrameID, e.UserID, e.FieldID, e.DataType} {
		b = appendJSONString(b, f)
		b = append(b, ',')
	}
	switch {
	case !e.HasValue || math.IsNaN(e.Value):
		b = append(b, "null"...)
	case math.IsInf(e.Value, 1):
		b = append(b, "9e999"...) // SQLite reads it as +Inf
	case math.IsInf(e.Value, -1):
		b = append(b, "-9e999"...)
	default:
		b = strconv.AppendFloat(b, e.Value, 'g', -1, 64)
	}
	b = append(b, ',')
	b = strconv.AppendInt(b, e.UpdatedOn, 10)
	b = append(b, ',')
	b = appendJSONString(b, e.Currency)
	b = append(b, ']')
	st.pending = b
	st.npending++
}

func (st *stage) insertPending(ctx context.Context) error {
	if st.npending == 0 {
		return nil
	}
	if st.insert == "" {
		cols := strings.Join(st.w.r.q.all(), ", ")
		st.insert = fmt.Sprintf("INSERT INTO temp.%s (%s, seq) SELECT ?1, value->>0, value->>1, value->>2, value->>3, value->>4, value->>5, value->>6, ?2, value->>7, ?3 + key FROM json_each(CAST(?4 AS TEXT))",
			quoteIdent(stageTable), cols)
	}
	st.pending = append(st.pending, ']')
	first := st.rows - int64(st.npending) + 1
	st.npending = 0
	if _, err := st.conn.ExecContext(ctx, st.insert, st.forecast, st.loadedMs, first, st.pending); err != nil {
		return st.w.t.wrap("sink: staging", err)
	}
	return nil
}

// appendJSONString appends s as a JSON string. Bytes from 0x80 up pass
// as they are (SQLite's JSON parser does not judge UTF-8).
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c < 0x20:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&15])
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}

// endStaging completes the COPY (or the last INSERT).
func (st *stage) endStaging(ctx context.Context) error {
	if st.pipe == nil {
		return st.insertPending(ctx)
	}
	err := st.flushCopy()
	st.pipe.Close()
	st.pipe = nil
	if cerr := <-st.copyErr; cerr != nil {
		return st.w.t.wrap("sink: staging (COPY)", cerr)
	}
	return err
}

// release drops the stage and gives the connection back. It runs past a
// cancelled context: the connection returns to the pool clean.
func (st *stage) release() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if st.pipe != nil {
		st.pipe.CloseWithError(errors.New("load abandoned"))
		<-st.copyErr
		st.pipe = nil
	}
	if st.w.r.driver == DriverSQLite {
		st.conn.ExecContext(ctx, "DROP TABLE IF EXISTS temp."+quoteIdent(stageTable)) //nolint:errcheck // the connection is reused or closed anyway
	} else {
		st.conn.ExecContext(ctx, "DROP TABLE IF EXISTS pg_temp."+quoteIdent(stageTable)) //nolint:errcheck
		st.conn.ExecContext(ctx, "RESET statement_timeout")                              //nolint:errcheck
	}
	st.conn.Close()
}

// appendCopyText appends s escaped for COPY's text format.
func appendCopyText(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\':
			b = append(b, '\\', '\\')
		case '\t':
			b = append(b, '\\', 't')
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		default:
			b = append(b, c)
		}
	}
	return b
}

// appendCopyFloat appends v in COPY text (\N for no value). PostgreSQL
// spells infinities Infinity.
func appendCopyFloat(b []byte, v float64, has bool) []byte {
	switch {
	case !has:
		return append(b, '\\', 'N')
	case math.IsInf(v, 1):
		return append(b, "Infinity"...)
	case math.IsInf(v, -1):
		return append(b, "-Infinity"...)
	}
	return strconv.AppendFloat(b, v, 'g', -1, 64)
}

// merge moves the stage into the target, one transaction per range of
// batchSize rows in arrival order. hook (tests) runs before each commit.
// It returns the rows merged (distinct keys per range) and the batches
// committed.
func (st *stage) merge(ctx context.Context, forecast string, batchSize int, hook func(batch int) error) (rows, batches int, err error) {
	w := st.w
	pg := w.r.driver == DriverPostgres
	if pg && st.rows > int64(batchSize) {
		// Ranges of seq are index scans, not one scan of the stage each.
		if _, err := st.conn.ExecContext(ctx, "CREATE INDEX ON pg_temp."+quoteIdent(stageTable)+" (seq)"); err != nil {
			return 0, 0, w.t.wrap("sink: indexing the stage", err)
		}
	}
	mergeSQL, countSQL := st.mergeSQL()
	stage, ph := "temp."+quoteIdent(stageTable), numbered
	if pg {
		stage, ph = "pg_temp."+quoteIdent(stageTable), dollar
	}
	conflictSQL := currencyConflictsSQL(w.r, stagedRange(w.r, stage, ph))
	// plainSQL is the first-load fast path: while the target holds none
	// of a range's keys and the range repeats none, a bare INSERT … SELECT
	// does what the merge does without its sort and its conflict checks.
	// It needs the key's unique index to say otherwise (23505). It is not
	// tried when the export's first or last key is already there (a
	// re-export or a resumed load: its failed INSERT would leave dead
	// tuples behind); the first range it fails on rolls back to its
	// savepoint and merges, and so do all ranges after it.
	var plainSQL string
	if pg && st.firstLoad(ctx) {
		plainSQL = st.plainSQL()
	}
	return mergeRanges(ctx, w, st.conn, forecast, st.rows, batchSize, func(ctx context.Context, tx *sql.Tx, lo, hi int64, n int) (merged int, err error) {
		last := hi >= st.rows
		if pg {
			if !last {
				// Every batch but the last commits without waiting for
				// its WAL flush (half the merge time on a disk with slow
				// fsync). A server crash can then lose only whole
				// batches, the newest ones, which the next run loads
				// again; the last batch's synchronous commit flushes
				// the WAL of all before it, so a load that ended is
				// durable.
				if _, err := tx.ExecContext(ctx, "SET LOCAL synchronous_commit = off"); err != nil {
					return 0, err
				}
			}
			if plainSQL != "" {
				ok, inserted, err := tryPlain(ctx, tx, plainSQL, lo, hi)
				if err != nil {
					return 0, err
				}
				if ok {
					return inserted, runHook(hook, n)
				}
				plainSQL = ""
			}
			if err := st.countConflicts(ctx, tx, conflictSQL, lo, hi); err != nil {
				return 0, err
			}
			var changed int
			if err := tx.QueryRowContext(ctx, mergeSQL, lo, hi).Scan(&merged, &changed); err != nil {
				return 0, keyHint(w, err)
			}
		} else {
			if err := tx.QueryRowContext(ctx, countSQL, lo, hi).Scan(&merged); err != nil {
				return 0, err
			}
			if err := st.countConflicts(ctx, tx, conflictSQL, lo, hi); err != nil {
				return 0, err
			}
			if _, err := tx.ExecContext(ctx, mergeSQL, lo, hi); err != nil {
				return 0, keyHint(w, err)
			}
		}
		return merged, runHook(hook, n)
	})
}

// mergeRanges runs batch for each range of batchSize rows of a stage of
// total rows in arrival order ($1 < seq <= $2), one transaction each on
// conn, so a crash leaves whole batches. batch returns the rows it merged.
// It returns the rows merged and the batches committed.
func mergeRanges(ctx context.Context, w *Warehouse, conn *sql.Conn, forecast string, total int64, batchSize int,
	batch func(ctx context.Context, tx *sql.Tx, lo, hi int64, n int) (int, error)) (rows, batches int, err error) {
	for lo := int64(0); lo < total; lo += int64(batchSize) {
		hi := lo + int64(batchSize)
		n := batches + 1
		var merged int
		err := w.tx(ctx, fmt.Sprintf("sink batch %d of forecast %q", n, forecast), false, w.r.statementTimeout, func(ctx context.Context, tx *sql.Tx) error {
			var err error
			merged, err = batch(ctx, tx, lo, hi, n)
			return err
		}, conn)
		if err != nil {
			return rows, batches, err
		}
		rows += merged
		batches = n
	}
	return rows, batches, nil
}

// countConflicts adds the range's rows whose key the table holds in
// another currency.
func (st *stage) countConflicts(ctx context.Context, tx *sql.Tx, conflictSQL string, lo, hi int64) error {
	var n int
	if err := tx.QueryRowContext(ctx, conflictSQL, lo, hi).Scan(&n); err != nil {
		return err
	}
	st.conflicts += n
	return nil
}

func (st *stage) currencyConflicts() int { return st.conflicts }

func runHook(hook func(batch int) error, n int) error {
	if hook != nil {
		return hook(n)
	}
	return nil
}

// tryPlain runs plainSQL for one range inside a savepoint. ok says it
// inserted the range (n rows); on a database error (a key already there
// or repeated, or anything the merge will report in its own words) it
// rolls back to the savepoint and the caller merges the range instead.
func tryPlain(ctx context.Context, tx *sql.Tx, plainSQL string, lo, hi int64) (ok bool, n int, err error) {
	if _, err := tx.ExecContext(ctx, "SAVEPOINT clari_sink_plain"); err != nil {
		return false, 0, err
	}
	res, err := tx.ExecContext(ctx, plainSQL, lo, hi)
	if err == nil {
		if _, err := tx.ExecContext(ctx, "RELEASE SAVEPOINT clari_sink_plain"); err != nil {
			return false, 0, err
		}
		rows, err := res.RowsAffected()
		return err == nil, int(rows), err
	}
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		return false, 0, err
	}
	if _, err := tx.ExecContext(ctx, "ROLLBACK TO SAVEPOINT clari_sink_plain"); err != nil {
		return false, 0, err
	}
	return false, 0, nil
}

// firstLoad says the target has the key's unique index and holds
// neither the export's first nor its last key. Any error says no: the
// merge then reports it or does the work.
func (st *stage) firstLoad(ctx context.Context) bool {
	if idx, _, err := st.w.UniqueKeyIndex(ctx); err != nil || idx == "" {
		return false
	}
	q := st.w.r.q
	var on []string
	for _, k := range q.keys() {
		on = append(on, fmt.Sprintf("w.%s = s.%s", k, k))
	}
	probe := fmt.Sprintf("SELECT EXISTS (SELECT 1 FROM pg_temp.%s s JOIN %s w ON %s WHERE s.seq IN (1, $1))",
		quoteIdent(stageTable), st.w.r.qtable, strings.Join(on, " AND "))
	var found bool
	if err := st.conn.QueryRowContext(ctx, probe, st.rows).Scan(&found); err != nil {
		return false
	}
	return !found
}

// plainSQL inserts one range ($1 < seq <= $2) of the stage as it is.
func (st *stage) plainSQL() string {
	cols := strings.Join(st.w.r.q.all(), ", ")
	return fmt.Sprintf("INSERT INTO %s (%s) SELECT %s FROM pg_temp.%s WHERE seq > $1 AND seq <= $2",
		st.w.r.qtable, cols, cols, quoteIdent(stageTable))
}

// keyHint adds what an upsert needs to its error.
func keyHint(w *Warehouse, err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return fmt.Errorf("%w (the upsert needs a primary key or unique constraint on exactly %s)", err, strings.ReplaceAll(w.r.q.keyList(), `"`, ""))
}

// mergeSQL is the statement that upserts one range ($1 < seq <= $2) of
// the stage, latest updated_on winning (ties: the later entry), and that
// leaves a row alone when neither its value nor its updated_on changes, so
// an identical re-export writes nothing (no dead tuples). For SQLite, which
// applies an INSERT … SELECT row by row, duplicates of a key in a range
// simply follow each other in seq order and countSQL counts the distinct
// keys; PostgreSQL must see each key once per statement (DISTINCT ON) and
// returns both counts.
func (st *stage) mergeSQL() (merge, count string) {
	w := st.w
	q := w.r.q
	cols := strings.Join(q.all(), ", ")
	if w.r.driver == DriverSQLite {
		stage := "temp." + quoteIdent(stageTable)
		merge = fmt.Sprintf("INSERT INTO %s AS w (%s) SELECT %s FROM %s WHERE seq > ? AND seq <= ? ORDER BY seq %s",
			w.r.qtable, cols, cols, stage, conflictAction(q, "IS NOT"))
		count = fmt.Sprintf("SELECT count(*) FROM (SELECT 1 FROM %s WHERE seq > ? AND seq <= ? GROUP BY %s)", stage, q.keyList())
		return merge, count
	}
	stage := "pg_temp." + quoteIdent(stageTable)
	merge = fmt.Sprintf("WITH src AS (SELECT DISTINCT ON (%s) %s FROM %s WHERE seq > $1 AND seq <= $2 ORDER BY %s, %s DESC, seq DESC), "+
		"up AS (INSERT INTO %s AS w (%s) SELECT %s FROM src %s RETURNING 1) "+
		"SELECT (SELECT count(*) FROM src), (SELECT count(*) FROM up)",
		q.keyList(), cols, stage, q.keyList(), q.updatedOn,
		w.r.qtable, cols, cols, conflictAction(q, "IS DISTINCT FROM"))
	return merge, ""
}

// stageTable is the per-connection temporary table a load is staged in.
const stageTable = "clari_sink_stage"

// errNoTempTable says the role may not create temporary tables; the sink
// then falls back to the multi-row VALUES upsert.
var errNoTempTable = errors.New("warehouse: no privilege to create the temporary stage table")

// stageDDL creates the PostgreSQL stage with the target's column types
// (LIKE: the COPY text is parsed as the target would parse it) plus seq.
func (s *Sink) stageDDL() string {
	if s.stageDDLForTest != "" {
		return s.stageDDLForTest
	}
	return fmt.Sprintf("CREATE TEMP TABLE %s (LIKE %s INCLUDING DEFAULTS, seq bigint NOT NULL)", quoteIdent(stageTable), s.w.r.qtable)
}
