package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/clari-exporter/clari_exporter/secret"
	"github.com/go-kit/log"
	"github.com/go-kit/log/level"
	"github.com/jackc/pgx/v5/pgconn"

	_ "github.com/jackc/pgx/v5/stdlib" // registers "pgx"
)

// postgresConnectTimeout bounds the first connection of OpenPostgres.
const postgresConnectTimeout = 10 * time.Second

// Postgres is the shared Store of a highly available deployment: several
// replicas on one database (or one schema: set search_path in the DSN).
// Its guarantees are SQLite's, kept by the same SQL: a run counted once per
// job id (a unique key), FinishRun in one transaction, target state rows
// locked while they are read and rewritten so concurrent writers never
// lose an update, and reads in one REPEATABLE READ snapshot.
type Postgres struct {
	*core
	desc  string
	scrub secret.Scrubber // the DSN and its password
}

var _ Store = (*Postgres)(nil)

// OpenPostgres connects to the PostgreSQL database of dsn and brings its
// schema up to date (migrations are serialised by an advisory lock, so
// replicas may start together). Errors name host, database and user, never
// the password or the DSN.
func OpenPostgres(ctx context.Context, dsn string, logger log.Logger, opts ...Option) (*Postgres, error) {
	p := &Postgres{}
	p.scrub.AddDSN(dsn)
	if strings.TrimSpace(dsn) == "" {
		return nil, errors.New("store: the PostgreSQL DSN is empty: set storage.dsn_file or storage.dsn_env")
	}
	pc, err := pgconn.ParseConfig(dsn)
	if err != nil {
		// The parser's text quotes the DSN; keep only its reason.
		reason := err.Error()
		if i := strings.LastIndex(reason, "`: "); i >= 0 {
			reason = reason[i+3:]
		} else {
			reason = "invalid syntax"
		}
		return nil, fmt.Errorf("store: cannot parse the PostgreSQL DSN (storage.dsn_file / storage.dsn_env): %s; expected postgres://user:password@host:port/database?sslmode=verify-full", p.scrub.Scrub(reason))
	}
	p.desc = fmt.Sprintf("host %s, database %s, user %s", net.JoinHostPort(pc.Host, strconv.Itoa(int(pc.Port))), pc.Database, pc.User)
	if sp := pc.RuntimeParams["search_path"]; sp != "" {
		p.desc += ", search_path " + sp
	}

	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, fmt.Errorf("store: PostgreSQL (%s): %w", p.desc, p.scrub.Err(err))
	}
	db.SetMaxOpenConns(8)
	db.SetConnMaxIdleTime(5 * time.Minute)
	p.core = newCore(db, &postgresDialect, logger, opts)
	p.core.scrub = p.scrub.Err

	cctx, cancel := context.WithTimeout(ctx, postgresConnectTimeout)
	defer cancel()
	if err := db.PingContext(cctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: cannot connect to PostgreSQL (%s; storage.dsn_file / storage.dsn_env): %w", p.desc, p.scrub.Err(err))
	}
	applied, err := migrate(ctx, p.core, postgresMigrationLock, postgresMigrations)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("store: PostgreSQL (%s): %w", p.desc, err)
	}
	if applied > 0 {
		level.Info(p.logger).Log("msg", "storage schema migrated", "database", p.desc, "applied", applied, "version", len(postgresMigrations))
	}
	return p, nil
}

// Description names the database without secrets, for logs and errors.
func (p *Postgres) Description() string { return p.desc }

// DB is the connection pool, for the leader lease that lives in the same
// database (package leader).
func (p *Postgres) DB() *sql.DB { return p.db }

// Close implements Store.
func (p *Postgres) Close() error { return p.closeDB() }
