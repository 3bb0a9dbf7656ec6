package store

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/go-kit/log"
)

// dialect is what differs between the two SQL backends. Everything else —
// every query, the transaction discipline, the guarantees — is shared code,
// so SQLite and PostgreSQL cannot drift apart.
type dialect struct {
	name string
	// numbered: placeholders are $1, $2 (PostgreSQL) instead of ? (SQLite).
	// Queries are written with ? and rebound once per call.
	numbered bool
	// readOpts begins a read transaction. PostgreSQL needs REPEATABLE READ
	// for one consistent view across the statements of a read (READ
	// COMMITTED would give each statement its own snapshot); SQLite's WAL
	// read transactions are snapshots already.
	readOpts *sql.TxOptions
	// lockState is appended to the read of a target's state row inside
	// FinishRun: PostgreSQL writers run concurrently and must lock the row
	// they read-modify-write; SQLite has one writer at a time.
	lockState string
}

var (
	sqliteDialect   = dialect{name: "sqlite", readOpts: &sql.TxOptions{ReadOnly: true}}
	postgresDialect = dialect{name: "postgres", numbered: true, lockState: " FOR UPDATE OF t",
		readOpts: &sql.TxOptions{ReadOnly: true, Isolation: sql.LevelRepeatableRead}}
)

// bind rewrites the ? placeholders of query for the dialect. No query of
// this package has a literal '?'.
func (d *dialect) bind(query string) string {
	if !d.numbered || !strings.Contains(query, "?") {
		return query
	}
	var b strings.Builder
	b.Grow(len(query) + 8)
	n := 0
	for _, r := range query {
		if r == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// core is the SQL implementation of Store shared by *SQLite and *Postgres.
type core struct {
	db            *sql.DB
	d             *dialect
	logger        log.Logger
	runsPerTarget int
	// scrub removes secrets (the PostgreSQL password) from driver errors;
	// identity for SQLite.
	scrub  func(error) error
	closed atomic.Bool
}

// Option tunes OpenSQLite and OpenPostgres.
type Option func(*core)

func newCore(db *sql.DB, d *dialect, logger log.Logger, opts []Option) *core {
	if logger == nil {
		logger = log.NewNopLogger()
	}
	c := &core{db: db, d: d, logger: logger, runsPerTarget: DefaultRunsPerTarget, scrub: func(err error) error { return err }}
	for _, o := range opts {
		o(c)
	}
	return c
}

// txn is a transaction that binds placeholders for its dialect.
type txn struct {
	tx *sql.Tx
	d  *dialect
}

func (t txn) exec(ctx context.Context, q string, args ...any) (sql.Result, error) {
	return t.tx.ExecContext(ctx, t.d.bind(q), args...)
}

func (t txn) query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	return t.tx.QueryContext(ctx, t.d.bind(q), args...)
}

func (t txn) queryRow(ctx context.Context, q string, args ...any) *sql.Row {
	return t.tx.QueryRowContext(ctx, t.d.bind(q), args...)
}

func (t txn) prepare(ctx context.Context, q string) (*sql.Stmt, error) {
	return t.tx.PrepareContext(ctx, t.d.bind(q))
}

// read runs fn in one read-only transaction: a consistent view of the
// database that never blocks a writer.
func (c *core) read(ctx context.Context, fn func(txn) error) error {
	if c.closed.Load() {
		return ErrClosed
	}
	tx, err := c.db.BeginTx(ctx, c.d.readOpts)
	if err != nil {
		return fmt.Errorf("store: begin read: %w", c.scrub(err))
	}
	defer tx.Rollback() //nolint:errcheck // read-only: nothing to commit
	return c.scrub(fn(txn{tx, c.d}))
}

// write runs fn in one write transaction and commits it. Any error rolls
// everything back. The transaction first moves the generation, taking the
// row lock every write transaction takes, and holds it until it commits:
// writers run one at a time (SQLite has one writer anyway), so fn's reads
// see every write committed before it and none can commit in between (a
// read-check-write such as PutIntent's slot guard holds on PostgreSQL's
// READ COMMITTED too), and writers always take their locks in the same
// order. When some writers took the generation lock last, a read-check-
// write holding it and a plain write holding an intents row deadlocked
// (SQLSTATE 40P01) between two replicas.
func (c *core) write(ctx context.Context, fn func(txn) error) error {
	if c.closed.Load() {
		return ErrClosed
	}
	tx, err := c.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: begin: %w", c.scrub(err))
	}
	defer tx.Rollback() //nolint:errcheck // no-op after Commit
	t := txn{tx, c.d}
	if _, err := t.exec(ctx, `UPDATE state_generation SET value = value + 1 WHERE id = 1`); err != nil {
		return fmt.Errorf("store: bump the state generation: %w", c.scrub(err))
	}
	if err := fn(t); err != nil {
		return c.scrub(err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: commit: %w", c.scrub(err))
	}
	return nil
}

// Generation implements Store.
func (c *core) Generation(ctx context.Context) (uint64, error) {
	if c.closed.Load() {
		return 0, ErrClosed
	}
	var g int64
	if err := c.db.QueryRowContext(ctx, `SELECT value FROM state_generation WHERE id = 1`).Scan(&g); err != nil {
		return 0, fmt.Errorf("store: read the state generation: %w", c.scrub(err))
	}
	return uint64(g), nil
}

// Ping implements Store.
func (c *core) Ping(ctx context.Context) error {
	if c.closed.Load() {
		return ErrClosed
	}
	return c.scrub(c.db.PingContext(ctx))
}

// closeDB marks the store closed and closes the pool once.
func (c *core) closeDB() error {
	if c.closed.Swap(true) {
		return nil
	}
	return c.db.Close()
}
