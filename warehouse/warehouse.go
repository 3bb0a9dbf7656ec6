// Package warehouse checks the user's warehouse table that holds exported
// Clari forecast entries — row counts per forecast and period
// (reconciliation), duplicate natural keys, periods beyond the retention
// window, freshness of the newest load — and optionally writes that table
// itself: a batched, idempotent upsert sink and retention enforcement.
//
// It speaks PostgreSQL and Redshift (pgx through database/sql) and SQLite
// (modernc.org/sqlite), each through a dialect (dialect.go). Every name that ends up in SQL is a configured
// identifier (validated by config against ^[A-Za-z_][A-Za-z0-9_]*$) and
// quoted; every value is a bound parameter. No error or log line carries the DSN or its
// password.
package warehouse

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"strings"
	"sync"
	"time"

	"github.com/go-kit/log"
	"github.com/go-kit/log/level"

	"github.com/clari-exporter/clari_exporter/config"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib" // also registers "pgx"
	_ "modernc.org/sqlite"           // registers "sqlite"
)

// connectTimeout bounds the ping of Connect when the context has no
// earlier deadline.
const connectTimeout = 10 * time.Second

// Warehouse is a handle on the configured warehouse table. It is safe for
// concurrent use.
type Warehouse struct {
	db     *sql.DB
	d      dialect
	r      resolved
	t      target
	logger log.Logger

	mu          sync.Mutex
	ensureMu    sync.Mutex // one EnsureTable at a time in this process
	ensured     bool       // EnsureTable succeeded once
	schemaKnown bool       // ValidateSchema succeeded once
	sinkLoads   map[string]SinkLoads
}

// SinkLoads is how the sink's loads of one forecast went since start-up.
type SinkLoads struct {
	Failures      uint64 // loads that failed (staging or merge)
	LastSucceeded bool   // the newest load that ended was kept whole
	// CurrencyConflicts counts rows not written because the table holds
	// their key in another currency.
	CurrencyConflicts uint64
}

// recordLoad notes how a sink load of forecast ended: failed, or kept.
func (w *Warehouse) recordLoad(forecast string, failed bool, conflicts int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.sinkLoads == nil {
		w.sinkLoads = map[string]SinkLoads{}
	}
	l := w.sinkLoads[forecast]
	if failed {
		l.Failures++
	}
	l.LastSucceeded = !failed
	l.CurrencyConflicts += uint64(conflicts)
	w.sinkLoads[forecast] = l
}

// SinkLoadsByForecast is a copy of the sink's load outcomes per forecast.
func (w *Warehouse) SinkLoadsByForecast() map[string]SinkLoads {
	w.mu.Lock()
	defer w.mu.Unlock()
	return maps.Clone(w.sinkLoads)
}

// New prepares a connection pool without connecting. cfg is the warehouse
// section as config.Load returns it (defaulted and validated) and dsn the
// DSN it resolved (config.Config.Secrets.WarehouseDSN); New uses both as
// they are. Its errors are about the DSN (missing, unparsable). Use Connect
// (or Open) to reach the database.
func New(cfg config.Warehouse, secretDSN config.Secret, logger log.Logger) (*Warehouse, error) {
	if logger == nil {
		logger = log.NewNopLogger()
	}
	dsn := string(secretDSN)
	d, err := dialectFor(cfg.Driver)
	if err != nil {
		return nil, err
	}
	r := resolve(cfg, d)
	if strings.TrimSpace(dsn) == "" {
		return nil, errors.New("warehouse: no DSN: set warehouse.dsn_file, warehouse.dsn_env or warehouse.dsn")
	}
	t, err := describe(r.driver, dsn)
	if err != nil {
		return nil, err
	}
	var db *sql.DB
	switch r.driver {
	case DriverPostgres, DriverRedshift:
		db, err = openPgx(dsn)
	case DriverSQLite:
		db, err = sql.Open("sqlite", sqliteDSN(dsn))
		if err == nil {
			// One writer at a time; several connections would only
			// contend for SQLite's lock.
			db.SetMaxOpenConns(1)
		}
	}
	if err != nil {
		return nil, t.wrap(fmt.Sprintf("cannot open (%s)", t.desc), err)
	}
	db.SetConnMaxIdleTime(5 * time.Minute)
	return &Warehouse{db: db, d: d, r: r, t: t, logger: log.With(logger, "component", "warehouse", "table", r.table)}, nil
}

// sqliteDSN adds a busy timeout unless the DSN sets one, so a check running
// while another process writes waits instead of failing with SQLITE_BUSY.
func sqliteDSN(dsn string) string {
	if strings.Contains(dsn, "busy_timeout") {
		return dsn
	}
	sep := "?"
	if strings.Contains(dsn, "?") {
		sep = "&"
	}
	return dsn + sep + "_pragma=busy_timeout(5000)"
}

// Open is New followed by Connect: it connects, pings with a timeout and,
// when warehouse.sink is on, creates the table if absent; then it checks the
// configured table and columns exist. The error names what to fix and never
// contains the DSN or password.
func Open(ctx context.Context, cfg config.Warehouse, dsn config.Secret, logger log.Logger) (*Warehouse, error) {
	w, err := New(cfg, dsn, logger)
	if err != nil {
		return nil, err
	}
	if err := w.Connect(ctx); err != nil {
		w.Close()
		return nil, err
	}
	return w, nil
}

// Connect pings the database and validates the schema (creating the table
// first when the sink is enabled).
func (w *Warehouse) Connect(ctx context.Context) error {
	if err := w.Ping(ctx); err != nil {
		return err
	}
	if w.r.sink {
		if err := w.EnsureTable(ctx); err != nil {
			return err
		}
	}
	return w.ValidateSchema(ctx)
}

// Ping checks the database answers, within the statement timeout (or 10 s,
// whichever is shorter).
func (w *Warehouse) Ping(ctx context.Context) error {
	d := min(w.r.statementTimeout, connectTimeout)
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	if err := w.db.PingContext(ctx); err != nil {
		if w.r.driver == DriverSQLite {
			return w.t.wrap(fmt.Sprintf("cannot open (%s); check the directory exists and is writable", w.t.desc), err)
		}
		return w.t.wrap(fmt.Sprintf("cannot connect (%s)", w.t.desc), err)
	}
	return nil
}

// Close closes the connection pool.
func (w *Warehouse) Close() error { return w.db.Close() }

// Table is the configured table name (for the `table` label).
func (w *Warehouse) Table() string { return w.r.table }

// Driver is warehouse.driver: postgres, sqlite or redshift.
func (w *Warehouse) Driver() string { return w.r.driver }

// Description names driver, host, database and user (or file) without
// secrets, for logs and the readiness audit.
func (w *Warehouse) Description() string { return w.t.desc }

// MaxLoadAge is warehouse.max_load_age: how old the newest load may be.
func (w *Warehouse) MaxLoadAge() time.Duration { return w.r.maxLoadAge }

// CheckInterval is warehouse.check_interval with its default applied.
func (w *Warehouse) CheckInterval() time.Duration { return w.r.checkInterval }

// RetentionPolicy is warehouse.retention with its default applied.
func (w *Warehouse) RetentionPolicy() config.Retention { return w.r.retention }

// SinkEnabled reports warehouse.sink.
func (w *Warehouse) SinkEnabled() bool { return w.r.sink }

// readTx runs fn in a read-only transaction bounded by the statement
// timeout: the dialect sets the server's statement timeout where there is
// one (PostgreSQL, Redshift) and the context deadline, a little later, is
// the backstop; SQLite, which has no statement timeout, gets the context
// deadline alone, which interrupts the running statement.
func (w *Warehouse) readTx(ctx context.Context, what string, fn func(ctx context.Context, tx *sql.Tx) error) error {
	return w.tx(ctx, what, true, w.r.statementTimeout, fn)
}

// beginner is *sql.DB or the *sql.Conn a sink load pinned (its stage
// table lives on that connection).
type beginner interface {
	BeginTx(ctx context.Context, opts *sql.TxOptions) (*sql.Tx, error)
}

func (w *Warehouse) tx(ctx context.Context, what string, readOnly bool, timeout time.Duration, fn func(ctx context.Context, tx *sql.Tx) error, on ...beginner) error {
	var db beginner = w.db
	if len(on) > 0 {
		db = on[0]
	}
	backstop := timeout + w.d.backstop()
	parent := ctx
	ctx, cancel := context.WithTimeout(ctx, backstop)
	defer cancel()
	err := func() error {
		tx, err := db.BeginTx(ctx, &sql.TxOptions{ReadOnly: readOnly})
		if err != nil {
			return err
		}
		defer tx.Rollback() //nolint:errcheck // no-op after Commit
		if err := w.d.setTimeout(ctx, tx, timeout); err != nil {
			return err
		}
		if err := fn(ctx, tx); err != nil {
			return err
		}
		return tx.Commit()
	}()
	if err == nil {
		return nil
	}
	if parent.Err() == nil && w.d.isTimeout(err) {
		what = fmt.Sprintf("%s: took longer than warehouse.statement_timeout (%s)", what, timeout)
	}
	return w.t.wrap(what, err)
}

// ph returns the i-th (1-based) bind placeholder of the dialect.
func (w *Warehouse) ph(i int) string { return w.d.placeholder(i) }

func (w *Warehouse) logDebug(keyvals ...any) {
	level.Debug(w.logger).Log(keyvals...) //nolint:errcheck
}

// tracerForTest, when set (tests), sees every statement pgx sends for a
// pool opened afterwards: the Redshift tests hold the dialect to the SQL
// Redshift accepts with it.
var tracerForTest pgx.QueryTracer

// openPgx opens a PostgreSQL-protocol pool through pgx's database/sql
// driver.
func openPgx(dsn string) (*sql.DB, error) {
	if tracerForTest == nil {
		return sql.Open("pgx", dsn)
	}
	cc, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, err
	}
	cc.Tracer = tracerForTest
	return stdlib.OpenDB(*cc), nil
}
