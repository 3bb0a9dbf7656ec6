// Package pgtest gives tests an isolated PostgreSQL schema of their own
// (CI's role owns one database and may not create more) and a TCP proxy in
// front of the server that a test can cut, to model a network partition.
//
// Tests call DSN or Fresh; under -short, or without CLARI_TEST_POSTGRES_DSN,
// they are skipped with a message, except that a missing DSN under CI=true
// is a failure (package testtier).
package pgtest

import (
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // registers "pgx"

	"github.com/clari-exporter/clari_exporter/internal/testtier"
)

// Env names the variable holding the test server's DSN.
const Env = "CLARI_TEST_POSTGRES_DSN"

// DSN returns the test server's DSN, skipping t (failing it under CI=true)
// when it is not set.
func DSN(t testing.TB) string {
	t.Helper()
	testtier.Outside(t, "needs PostgreSQL")
	dsn := os.Getenv(Env)
	if dsn == "" {
		if testtier.InCI() {
			t.Fatalf("%s is not set but CI=true: the PostgreSQL tests must run in CI (.ci/run starts a server)", Env)
		}
		t.Skipf("PostgreSQL tests skipped: set %s (e.g. postgres://clari:...@127.0.0.1:55432/clari?sslmode=disable; see .ci/postgres.sh)", Env)
	}
	return dsn
}

var (
	adminOnce sync.Once
	adminDB   *sql.DB
	adminErr  error
)

// Admin is one pool per test binary on the test database.
func Admin(t testing.TB) *sql.DB {
	t.Helper()
	dsn := DSN(t)
	adminOnce.Do(func() {
		adminDB, adminErr = sql.Open("pgx", dsn)
		if adminErr == nil {
			adminErr = adminDB.Ping()
		}
	})
	if adminErr != nil {
		t.Fatalf("connecting to %s: %v", Env, adminErr)
	}
	return adminDB
}

// Fresh creates a schema for t, dropped when t ends, and returns the DSN
// with search_path set to it, plus the schema's name.
func Fresh(t testing.TB) (dsn, schema string) {
	t.Helper()
	admin := Admin(t)
	schema = SchemaName(t)
	if _, err := admin.Exec(`CREATE SCHEMA ` + schema); err != nil {
		t.Fatalf("creating test schema: %v", err)
	}
	t.Cleanup(func() {
		if _, err := admin.Exec(`DROP SCHEMA ` + schema + ` CASCADE`); err != nil {
			t.Errorf("dropping test schema %s: %v", schema, err)
		}
	})
	return WithSearchPath(t, DSN(t), schema), schema
}

var nonIdent = regexp.MustCompile(`[^a-z0-9_]+`)

// SchemaName is a unique, valid, unquoted schema name for t.
func SchemaName(t testing.TB) string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	n := nonIdent.ReplaceAllString(strings.ToLower(t.Name()), "_")
	if len(n) > 40 {
		n = n[len(n)-40:]
	}
	return "t_" + strings.Trim(n, "_") + "_" + hex.EncodeToString(b[:])
}

// WithSearchPath points dsn (URL or key=value form) at schema.
func WithSearchPath(t testing.TB, dsn, schema string) string {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return dsn + " search_path=" + schema
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// WithHost replaces host:port of a URL DSN (to route it through a Proxy).
func WithHost(t testing.TB, dsn, hostport string) string {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		t.Skipf("%s is not a postgres:// URL; the proxy tests need one", Env)
	}
	u.Host = hostport
	return u.String()
}

// Server is host:port of a URL DSN.
func Server(t testing.TB, dsn string) string {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil || u.Host == "" {
		t.Skipf("%s is not a postgres:// URL; the proxy tests need one", Env)
	}
	return u.Host
}
