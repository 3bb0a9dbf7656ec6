package warehouse

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/go-kit/log"
	"github.com/prometheus/common/model"

	"github.com/clari-exporter/clari_exporter/clari"
	"github.com/clari-exporter/clari_exporter/config"
	"github.com/clari-exporter/clari_exporter/internal/pgtest"
	"github.com/clari-exporter/clari_exporter/internal/testlog"
	"github.com/clari-exporter/clari_exporter/internal/testtier"
)

// backend is one database the tests run against.
type backend struct {
	name string
	// cfg returns a config for a fresh, empty namespace of this test: a
	// temp SQLite file, or a PostgreSQL schema dropped at cleanup. table is
	// the unqualified table name.
	cfg func(t testing.TB, table string) config.Warehouse
	// raw opens the same database directly, for test setup and assertions.
	raw func(t testing.TB, cfg config.Warehouse) *sql.DB
}

var sqliteBackend = backend{
	name: DriverSQLite,
	cfg: func(t testing.TB, table string) config.Warehouse {
		cfg := section(DriverSQLite, "")
		cfg.DSN = config.Secret(filepath.Join(t.TempDir(), "warehouse.db")) // inline, as a file may give it
		cfg.Table = table
		cfg.StatementTimeout = model.Duration(10 * time.Second)
		return cfg
	},
	raw: func(t testing.TB, cfg config.Warehouse) *sql.DB {
		db, err := sql.Open("sqlite", sqliteDSN(string(cfg.DSN)))
		if err != nil {
			t.Fatal(err)
		}
		db.SetMaxOpenConns(1)
		t.Cleanup(func() { db.Close() })
		return db
	},
}

var nonIdent = regexp.MustCompile(`[^a-z0-9_]+`)

// schemaName is a unique, valid schema name for t.
func schemaName(t testing.TB) string {
	var b [4]byte
	rand.Read(b[:]) //nolint:errcheck
	n := nonIdent.ReplaceAllString(strings.ToLower(t.Name()), "_")
	if len(n) > 40 {
		n = n[len(n)-40:]
	}
	return "wh_" + strings.Trim(n, "_") + "_" + hex.EncodeToString(b[:])
}

// freshSchema creates a schema for t on the PostgreSQL-protocol server of
// dsn, dropped at cleanup, and returns its name.
func freshSchema(t testing.TB, dsn string) string {
	admin, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	schema := schemaName(t)
	ctx := context.Background()
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+quoteIdent(schema)); err != nil {
		admin.Close()
		t.Fatalf("creating test schema: %v", err)
	}
	t.Cleanup(func() {
		if _, err := admin.ExecContext(context.Background(), "DROP SCHEMA "+quoteIdent(schema)+" CASCADE"); err != nil {
			t.Errorf("dropping test schema %s: %v", schema, err)
		}
		admin.Close()
	})
	return schema
}

var postgresBackend = backend{
	name: DriverPostgres,
	cfg: func(t testing.TB, table string) config.Warehouse {
		dsn := pgtest.DSN(t)
		schema := freshSchema(t, dsn)
		cfg := section(DriverPostgres, dsn)
		cfg.Table = schema + "." + table
		cfg.StatementTimeout = model.Duration(10 * time.Second)
		return cfg
	},
	raw: func(t testing.TB, cfg config.Warehouse) *sql.DB {
		db, err := sql.Open("pgx", string(cfg.DSN))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	},
}

// redshiftBackend is the Redshift dialect on PostgreSQL: the SQL it sends
// is Redshift's (TestRedshiftSendsOnlyRedshiftSQL), the engine that runs
// it here PostgreSQL. With CLARI_TEST_REDSHIFT_DSN set (opt-in, never in
// CI) every test of it runs against that real Redshift cluster instead,
// each in a schema of its own, dropped afterwards.
var redshiftBackend = backend{
	name: DriverRedshift,
	cfg: func(t testing.TB, table string) config.Warehouse {
		if dsn := os.Getenv(redshiftEnv); dsn != "" {
			testtier.Outside(t, "needs Redshift")
			cfg := section(DriverRedshift, dsn)
			cfg.Table = freshSchema(t, dsn) + "." + table
			cfg.StatementTimeout = model.Duration(60 * time.Second)
			return cfg
		}
		cfg := postgresBackend.cfg(t, table)
		cfg.Driver = DriverRedshift
		return cfg
	},
	raw: postgresBackend.raw,
}

// redshiftEnv names the opt-in DSN of a real Redshift cluster.
const redshiftEnv = "CLARI_TEST_REDSHIFT_DSN"

var backends = []backend{sqliteBackend, postgresBackend, redshiftBackend}

// forEachBackend runs f as a subtest per database.
func forEachBackend(t *testing.T, f func(t *testing.T, b backend)) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) { f(t, b) })
	}
}

// testLogger logs to a buffer the test can scan for secrets.
func testLogger() (log.Logger, *testlog.Buffer) {
	b := &testlog.Buffer{}
	return log.NewLogfmtLogger(b), b
}

// openTest opens cfg, failing the test on error, and closes it at cleanup.
func openTest(t *testing.T, cfg config.Warehouse) *Warehouse {
	t.Helper()
	w, err := New(cfg, cfg.DSN, nil)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { w.Close() })
	return w
}

// openWithTable opens cfg after creating the sink's table.
func openWithTable(t *testing.T, cfg config.Warehouse) *Warehouse {
	t.Helper()
	w := openTest(t, cfg)
	if err := w.EnsureTable(context.Background()); err != nil {
		t.Fatalf("EnsureTable: %v", err)
	}
	if err := w.Connect(context.Background()); err != nil {
		t.Fatalf("Connect: %v", err)
	}
	return w
}

// entries makes n distinct entries of period: users u0..u(n-1), one week,
// field f, data type forecast, value base+i, updatedOn.
func entries(period string, n int, base float64, updatedOn int64) []clari.Entry {
	out := make([]clari.Entry, n)
	for i := range out {
		out[i] = clari.Entry{
			UserID: fmt.Sprintf("u%d", i), FieldID: "f", TimePeriodID: period,
			TimeFrameID: "TF:2026-10-05", DataType: clari.DataForecast,
			Value: base + float64(i), HasValue: true, UpdatedOn: updatedOn,
		}
	}
	return out
}

// countRows counts the table's rows.
func countRows(t testing.TB, db *sql.DB, w *Warehouse) int {
	t.Helper()
	var n int
	if err := db.QueryRow("SELECT count(*) FROM " + w.r.qtable).Scan(&n); err != nil {
		t.Fatalf("count: %v", err)
	}
	return n
}

// tableRow is one row as read back by the tests.
type tableRow struct {
	Forecast, Period, TimeFrame, User, Field, DataType string
	Value                                              sql.NullFloat64
	UpdatedOn                                          int64
}

// loadAndRead writes es as one net_arr load, then checks both counts the
// sink tests assert on every load: the rows the sink says it wrote (why
// explains the figure) and the rows the table then holds. It returns the
// table's rows.
func loadAndRead(t *testing.T, s *Sink, db *sql.DB, w *Warehouse, es []clari.Entry, wantWritten int, why string, wantRows int) map[string]tableRow {
	t.Helper()
	n, err := s.WriteSlice(context.Background(), "net_arr", es, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if n != wantWritten {
		t.Errorf("Write = %d rows, want %d (%s)", n, wantWritten, why)
	}
	rows := readRows(t, db, w)
	if len(rows) != wantRows {
		t.Fatalf("%d rows, want %d", len(rows), wantRows)
	}
	return rows
}

func readRows(t *testing.T, db *sql.DB, w *Warehouse) map[string]tableRow {
	t.Helper()
	q := w.r.q
	rows, err := db.Query(fmt.Sprintf("SELECT %s, %s, %s FROM %s", q.keyList(), q.value, q.updatedOn, w.r.qtable))
	if err != nil {
		t.Fatalf("read rows: %v", err)
	}
	defer rows.Close()
	out := map[string]tableRow{}
	for rows.Next() {
		var r tableRow
		if err := rows.Scan(&r.Forecast, &r.Period, &r.TimeFrame, &r.User, &r.Field, &r.DataType, &r.Value, &r.UpdatedOn); err != nil {
			t.Fatal(err)
		}
		k := strings.Join([]string{r.Forecast, r.Period, r.TimeFrame, r.User, r.Field, r.DataType}, "|")
		if _, dup := out[k]; dup {
			t.Errorf("natural key %s held by more than one row", k)
		}
		out[k] = r
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// withPassword returns dsn with its password replaced.
func withPassword(t *testing.T, dsn, password string) string {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil || u.User == nil {
		t.Fatalf("%s must be a postgres:// URL with a user", pgtest.Env)
	}
	u.User = url.UserPassword(u.User.Username(), password)
	return u.String()
}

func passwordOf(t *testing.T, dsn string) string {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil || u.User == nil {
		t.Fatalf("%s must be a postgres:// URL with a user", pgtest.Env)
	}
	p, _ := u.User.Password()
	return p
}

// section is the warehouse section as config.Load returns it (config's
// defaults) with driver and DSN set: the package applies no defaults. The
// DSN is inline, as a file may give it; config resolves an inline DSN to
// itself, so the tests pass cfg.DSN where the exporter passes
// Secrets.WarehouseDSN.
func section(driver, dsn string) config.Warehouse {
	cfg := config.DefaultWarehouse()
	cfg.Driver, cfg.DSN = driver, config.Secret(dsn)
	return cfg
}
