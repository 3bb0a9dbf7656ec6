package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// migration is one schema version. Statements run in one transaction
// together with the row that records the version, so a migration is either
// fully applied or not at all (SQLite and PostgreSQL both have
// transactional DDL).
type migration struct {
	version    int
	name       string
	statements []string
}

const createMigrationsTable = `CREATE TABLE IF NOT EXISTS schema_migrations (
	version    INTEGER PRIMARY KEY,
	name       TEXT NOT NULL,
	applied_ns BIGINT NOT NULL
)`

// migrationLock serialises migrations of several processes starting at
// once on one PostgreSQL schema (two replicas rolling out together): a
// session advisory lock held on the migration connection. SQLite's write
// lock does that job there, so it has none.
type migrationLock struct{ lock, unlock string }

// postgresMigrationLock is keyed by the schema, so stores in different
// schemas of one database (tests, several environments) do not wait for
// each other.
var postgresMigrationLock = &migrationLock{
	lock:   `SELECT pg_advisory_lock(hashtext('clari_exporter.migrate.' || current_schema()))`,
	unlock: `SELECT pg_advisory_unlock(hashtext('clari_exporter.migrate.' || current_schema()))`,
}

// migrate applies the migrations the database does not have yet, in order,
// and returns how many it applied. It refuses a database whose schema is
// newer than this binary knows (a downgrade), rather than guessing.
func migrate(ctx context.Context, c *core, ml *migrationLock, ms []migration) (int, error) {
	conn, err := c.db.Conn(ctx)
	if err != nil {
		return 0, fmt.Errorf("connect: %w", c.scrub(err))
	}
	defer conn.Close()
	if ml != nil {
		if _, err := conn.ExecContext(ctx, ml.lock); err != nil {
			return 0, fmt.Errorf("take the migration lock: %w", c.scrub(err))
		}
		defer conn.ExecContext(context.Background(), ml.unlock) //nolint:errcheck // the session ends with the connection anyway
	}
	if _, err := conn.ExecContext(ctx, createMigrationsTable); err != nil {
		return 0, fmt.Errorf("create schema_migrations: %w", c.scrub(err))
	}
	var current int
	if err := conn.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&current); err != nil {
		return 0, fmt.Errorf("read schema version: %w", c.scrub(err))
	}
	if current > len(ms) {
		return 0, fmt.Errorf("database schema version %d is newer than this clari_exporter supports (%d); run a newer release or point the store at a new database", current, len(ms))
	}
	applied := 0
	for i, m := range ms {
		if m.version != i+1 {
			return applied, fmt.Errorf("internal error: migration %q has version %d, want %d", m.name, m.version, i+1)
		}
		did, err := applyMigration(ctx, conn, c.d, m)
		if err != nil {
			return applied, fmt.Errorf("schema migration %d (%s): %w", m.version, m.name, c.scrub(err))
		}
		if did {
			applied++
		}
	}
	return applied, nil
}

// applyMigration applies m unless it is recorded already. The check runs
// inside the write transaction, so two processes opening the same new
// database at once cannot both apply it.
func applyMigration(ctx context.Context, conn *sql.Conn, d *dialect, m migration) (bool, error) {
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return false, err
	}
	defer tx.Rollback() //nolint:errcheck // no-op after Commit
	t := txn{tx, d}
	var n int
	if err := t.queryRow(ctx, `SELECT COUNT(*) FROM schema_migrations WHERE version = ?`, m.version).Scan(&n); err != nil {
		return false, err
	}
	if n > 0 {
		return false, nil
	}
	for _, stmt := range m.statements {
		if _, err := tx.ExecContext(ctx, stmt); err != nil {
			return false, err
		}
	}
	if _, err := t.exec(ctx, `INSERT INTO schema_migrations (version, name, applied_ns) VALUES (?, ?, ?)`,
		m.version, m.name, time.Now().UnixNano()); err != nil {
		return false, err
	}
	return true, tx.Commit()
}

// schema is how a backend spells the few column types the two SQL dialects
// write differently; migrations writes the history once with them.
type schema struct {
	// rowID is an integer primary key the database assigns.
	rowID string
	// bytes is a byte-string column.
	bytes string
	// shared are the tables of migration 1 that only a store shared by
	// several replicas needs (the leader lease).
	shared []string
}

var (
	sqliteMigrations = migrations(schema{rowID: "INTEGER PRIMARY KEY", bytes: "BLOB"})
	// PostgreSQL: identity key, BYTEA, plus the leader lease.
	postgresMigrations = migrations(schema{rowID: "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY", bytes: "BYTEA",
		shared: []string{
			// The leader lease: one row per lease name, never deleted, so the
			// term only ever grows. expires_at is database time, the one clock
			// every replica agrees on.
			`CREATE TABLE leader_lease (
			name        TEXT PRIMARY KEY,
			holder      TEXT NOT NULL,
			term        BIGINT NOT NULL,
			acquired_at TIMESTAMPTZ NOT NULL,
			expires_at  TIMESTAMPTZ NOT NULL
		)`,
		}})
)

// migrations is the schema history of a backend spelled s. Never edit an
// applied migration; append a new one.
//
// Times are int64 Unix nanoseconds (BIGINT): exact round trips, no time zone
// or text-format ambiguity, and the same in PostgreSQL.
func migrations(s schema) []migration {
	initial := []string{
		// One row per finished run. job_id is NULL for runs that failed
		// before Clari returned a job id; UNIQUE makes FinishRun idempotent
		// per job (NULLs never conflict).
		`CREATE TABLE runs (
			id          ` + s.rowID + `,
			job_id      TEXT UNIQUE,
			forecast    TEXT NOT NULL,
			period      TEXT NOT NULL,
			outcome     TEXT NOT NULL,
			success     INTEGER NOT NULL,
			started_ns  BIGINT NOT NULL,
			finished_ns BIGINT NOT NULL,
			duration_ns BIGINT NOT NULL,
			requeues    INTEGER NOT NULL,
			row_count   INTEGER NOT NULL
		)`,
		`CREATE INDEX runs_by_target ON runs (forecast, period, finished_ns)`,

		// Snapshot aggregates of successful runs; never raw entries.
		`CREATE TABLE snapshots (
			job_id         TEXT PRIMARY KEY REFERENCES runs (job_id) ON DELETE CASCADE,
			forecast       TEXT NOT NULL,
			period         TEXT NOT NULL,
			created_ns     BIGINT NOT NULL,
			row_count      INTEGER NOT NULL,
			duplicate_rows INTEGER NOT NULL,
			latest_week    TEXT NOT NULL
		)`,
		`CREATE INDEX snapshots_by_target ON snapshots (forecast, period, created_ns)`,
		`CREATE TABLE snapshot_totals (
			job_id    TEXT NOT NULL REFERENCES snapshots (job_id) ON DELETE CASCADE,
			field     TEXT NOT NULL,
			data_type TEXT NOT NULL,
			value     DOUBLE PRECISION NOT NULL,
			PRIMARY KEY (job_id, field, data_type)
		)`,
		`CREATE TABLE snapshot_periods (
			job_id    TEXT NOT NULL REFERENCES snapshots (job_id) ON DELETE CASCADE,
			period    TEXT NOT NULL,
			row_count INTEGER NOT NULL,
			PRIMARY KEY (job_id, period)
		)`,

		// At most one job in flight per target.
		`CREATE TABLE inflight (
			forecast   TEXT NOT NULL,
			period     TEXT NOT NULL,
			job_id     TEXT NOT NULL,
			created_ns BIGINT NOT NULL,
			request    ` + s.bytes + `,
			PRIMARY KEY (forecast, period)
		)`,

		// Cumulative counters, updated in the same transaction as the event
		// they count, so run history can be pruned without resetting them.
		// kind: runs, failures, requeues, skips; reason "" where none.
		`CREATE TABLE counters (
			forecast   TEXT NOT NULL,
			period     TEXT NOT NULL,
			kind       TEXT NOT NULL,
			reason     TEXT NOT NULL,
			value      BIGINT NOT NULL,
			updated_ns BIGINT NOT NULL,
			PRIMARY KEY (forecast, period, kind, reason)
		)`,

		// The last-run gauges and a pointer to the latest snapshot, one row
		// per target, so a scrape reads O(targets) rows.
		`CREATE TABLE target_state (
			forecast         TEXT NOT NULL,
			period           TEXT NOT NULL,
			last_run_ns      BIGINT NOT NULL,
			last_run_success INTEGER NOT NULL,
			last_outcome     TEXT NOT NULL,
			last_duration_ns BIGINT NOT NULL,
			last_success_ns  BIGINT NOT NULL,
			latest_job_id    TEXT REFERENCES snapshots (job_id) ON DELETE SET NULL,
			PRIMARY KEY (forecast, period)
		)`,
	}
	return []migration{
		{version: 1, name: "initial schema", statements: append(initial, s.shared...)},
		{version: 2, name: "create intents", statements: []string{
			// At most one unresolved create intent per target: the primary
			// key is what makes a second create for a slot impossible, even
			// for two processes that both believe they lead.
			`CREATE TABLE intents (
			forecast     TEXT NOT NULL,
			period       TEXT NOT NULL,
			requested_ns BIGINT NOT NULL,
			term         BIGINT NOT NULL,
			holder       TEXT NOT NULL,
			request      ` + s.bytes + `,
			PRIMARY KEY (forecast, period)
		)`,
		}},
		{version: 3, name: "state generation", statements: []string{
			// One row counting committed writes: followers of a shared store
			// poll it (a primary-key read) and re-read the state only when it
			// moved.
			`CREATE TABLE state_generation (
			id    INTEGER PRIMARY KEY CHECK (id = 1),
			value BIGINT NOT NULL
		)`,
			`INSERT INTO state_generation (id, value) VALUES (1, 0)`,
		}},
		{version: 4, name: "snapshot rows per data type", statements: []string{
			// Rows per data type of a snapshot, every requested type included
			// (0 when Clari delivered none): clari_export_data_type_rows.
			`CREATE TABLE snapshot_data_types (
			job_id    TEXT NOT NULL REFERENCES snapshots (job_id) ON DELETE CASCADE,
			data_type TEXT NOT NULL,
			row_count INTEGER NOT NULL,
			PRIMARY KEY (job_id, data_type)
		)`,
		}},
		{version: 5, name: "run error text", statements: []string{
			// Why a failed run failed (Run.Error): the landing page's error
			// column, on every replica and across restarts.
			`ALTER TABLE runs ADD COLUMN error_text TEXT NOT NULL DEFAULT ''`,
		}},
		{version: 6, name: "fiscal calendar", statements: []string{
			// The newest period a Clari document stated (calendar.go): the
			// learned calendar, and the evidence a configured one is
			// checked against. One row.
			`CREATE TABLE fiscal_calendar (
			id         INTEGER PRIMARY KEY CHECK (id = 1),
			period_id  TEXT NOT NULL,
			start_date TEXT NOT NULL,
			end_date   TEXT NOT NULL,
			origin     TEXT NOT NULL,
			seen_ns    BIGINT NOT NULL
		)`,
		}},
	}
}
