package warehouse

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/model"

	"github.com/clari-exporter/clari_exporter/config"
	"github.com/clari-exporter/clari_exporter/internal/pgtest"
	"github.com/clari-exporter/clari_exporter/secret"
)

// assertOneClearError checks err exists, mentions every want and no secret.
func assertOneClearError(t *testing.T, err error, secrets []string, want ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error; want one mentioning %q", want)
	}
	msg := err.Error()
	t.Logf("error: %s", msg)
	for _, w := range want {
		if !strings.Contains(msg, w) {
			t.Errorf("error %q does not mention %q", msg, w)
		}
	}
	for _, s := range secrets {
		if s != "" && strings.Contains(msg, s) {
			t.Errorf("error %q contains a secret", msg)
		}
	}
	if strings.Count(msg, "\n") > 0 {
		t.Errorf("error spans lines: %q", msg)
	}
}

// assertRunChecksReports runs the checks on w and expects err's text under
// "connect" and no other check run.
func assertRunChecksReports(t *testing.T, w *Warehouse, want string) {
	t.Helper()
	res := w.RunChecks(context.Background(), CheckInput{CurrentPeriod: "2026_Q4"})
	err := res.Errors[CheckConnect]
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("RunChecks Errors[connect] = %v, want an error mentioning %q", err, want)
	}
	if len(res.Errors) != 1 || res.Ran(CheckFreshness) {
		t.Errorf("RunChecks after a connect failure: errors %v; want only connect, no check run", res.Errors)
	}
	if res.RanAt.IsZero() {
		t.Error("RunChecks did not stamp RanAt")
	}
}

func TestWrongPostgresPasswordIsOneClearErrorWithoutSecrets(t *testing.T) {
	dsn := pgtest.DSN(t)
	ctx := context.Background()
	realPW := passwordOf(t, dsn)
	const wrongPW = "Wr0ng-pa55w0rd-ZX"
	logger, logs := testLogger()

	cfg := section(DriverPostgres, withPassword(t, dsn, wrongPW))
	u, _ := url.Parse(dsn)
	w, err := Open(ctx, cfg, cfg.DSN, logger)
	wantCause := "password authentication failed"
	db := strings.TrimPrefix(u.Path, "/")
	if err == nil {
		// The server trusts 127.0.0.1 (initdb -A trust): passwords are
		// not checked, so aim at a database that does not exist instead.
		w.Close()
		t.Logf("server accepted a wrong password (trust auth); testing a missing database instead")
		u2, _ := url.Parse(string(cfg.DSN))
		db = "no_such_database_zx"
		u2.Path = "/" + db
		cfg.DSN = config.Secret(u2.String())
		wantCause = "does not exist"
		w, err = Open(ctx, cfg, cfg.DSN, logger)
	}
	wantDesc := fmt.Sprintf("warehouse: cannot connect (driver postgres, host %s, database %s, user %s): ", u.Host, db, u.User.Username())
	assertOneClearError(t, err, []string{wrongPW, realPW, string(cfg.DSN)}, wantDesc, wantCause)
	if w != nil {
		t.Error("Open returned a Warehouse with its error")
	}

	// RunChecks on a Warehouse that cannot connect reports, not panics.
	w, err = New(cfg, cfg.DSN, logger)
	if err != nil {
		t.Fatalf("New must not connect: %v", err)
	}
	defer w.Close()
	assertRunChecksReports(t, w, wantCause)
	for _, s := range []string{wrongPW, realPW} {
		if strings.Contains(logs.String(), s) {
			t.Errorf("a log line contains the password:\n%s", logs.String())
		}
	}
}

func TestSQLiteInMissingDirectoryIsOneClearError(t *testing.T) {
	file := filepath.Join(t.TempDir(), "no", "such", "dir", "warehouse.db")
	cfg := section(DriverSQLite, file)
	_, err := Open(context.Background(), cfg, cfg.DSN, nil)
	assertOneClearError(t, err, nil, "warehouse: cannot open (driver sqlite, file "+file+")", "directory exists")
	w, err := New(cfg, cfg.DSN, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	assertRunChecksReports(t, w, "cannot open")
}

func TestMissingTableAndColumnAreNamed(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		cfg := b.cfg(t, "clari_forecast_entries")
		logger, logs := testLogger()
		var secrets []string
		if b.name == DriverPostgres {
			secrets = []string{string(cfg.DSN), passwordOf(t, string(cfg.DSN))}
		}

		_, err := Open(ctx, cfg, cfg.DSN, logger)
		assertOneClearError(t, err, secrets, fmt.Sprintf("warehouse: table %q not found", cfg.Table))
		var se *SchemaError
		if !errors.As(err, &se) || se.Column != "" {
			t.Errorf("missing table: error %T %v, want a *SchemaError without column", err, err)
		}

		// A table lacking loaded_at.
		db := b.raw(t, cfg)
		w := openTest(t, cfg)
		if _, err := db.ExecContext(ctx, fmt.Sprintf(`CREATE TABLE %s (forecast_id text, time_period_id text, time_frame_id text,
			user_id text, field_id text, data_type text, value double precision, updated_on bigint)`, w.r.qtable)); err != nil {
			t.Fatal(err)
		}
		_, err = Open(ctx, cfg, cfg.DSN, logger)
		assertOneClearError(t, err, secrets, fmt.Sprintf(`warehouse: table %q has no column "loaded_at" (warehouse.columns.loaded_at)`, cfg.Table))
		assertRunChecksReports(t, w, `no column "loaded_at"`)

		// A configured column name that the table does not have.
		cfg.Columns.User = "owner_id"
		_, err = Open(ctx, cfg, cfg.DSN, logger)
		assertOneClearError(t, err, secrets, `has no column "owner_id" (warehouse.columns.user)`)

		for _, s := range secrets {
			if s != "" && strings.Contains(logs.String(), s) {
				t.Errorf("a log line contains a secret")
			}
		}
	})
}

// The warehouse takes config's values as they are: no defaults of its own
// (config.TestPackagesHaveNoDefaults guards that), and what it is given is
// what it uses.
func TestUsesConfigValues(t *testing.T) {
	def := config.DefaultWarehouse()
	w, err := New(section(DriverSQLite, "x.db"), "x.db", nil)
	if err != nil {
		t.Fatal(err)
	}
	if w.Table() != def.Table || w.r.cols != def.Columns || w.CheckInterval() != time.Duration(def.CheckInterval) ||
		w.r.statementTimeout != time.Duration(def.StatementTimeout) || NewSink(w).BatchSize() != def.SinkBatchSize ||
		w.RetentionPolicy() != def.Retention {
		t.Errorf("config's values not used: %+v", w.r)
	}
	cfg := section(DriverSQLite, "x.db")
	cfg.CheckInterval, cfg.SinkBatchSize = model.Duration(time.Hour), 7
	w, err = New(cfg, cfg.DSN, nil)
	if err != nil || w.CheckInterval() != time.Hour || NewSink(w).BatchSize() != 7 {
		t.Errorf("configured values not kept: %v", err)
	}
	// No DSN (a section that skipped config's secret resolution) is still a
	// clear error rather than a silent temporary SQLite database.
	if _, err := New(section(DriverSQLite, ""), "", nil); err == nil || !strings.Contains(err.Error(), "no DSN") {
		t.Errorf("no DSN: %v", err)
	}
}

func TestPostgresDSNParseErrorHidesTheDSN(t *testing.T) {
	const pw = "s3cr3t-Pw"
	for driver, name := range map[string]string{DriverPostgres: "PostgreSQL", DriverRedshift: "Redshift"} {
		for _, dsn := range []string{
			"postgres://clari:" + pw + "@127.0.0.1:notaport/clari",
			"host=127.0.0.1 password=" + pw + " port=notaport",
		} {
			_, err := New(section(driver, dsn), config.Secret(dsn), nil)
			assertOneClearError(t, err, []string{pw, dsn}, "cannot parse the "+name+" DSN")
		}
	}
}

func TestDriverErrorTextIsScrubbed(t *testing.T) {
	const pw = "p@ss/wörd"
	dsn := "postgres://clari:" + url.QueryEscape(pw) + "@db.example:5432/clari"
	for _, driver := range []string{DriverRedshift, DriverPostgres} {
		tg, err := describe(driver, dsn)
		if err != nil {
			t.Fatal(err)
		}
		if want := "driver " + driver + ", host db.example:5432, database clari, user clari"; tg.desc != want {
			t.Errorf("description = %q, want %q", tg.desc, want)
		}
		if err := tg.wrap("cannot connect", errors.New("driver said: "+pw)); strings.Contains(err.Error(), pw) {
			t.Errorf("%s: wrap did not scrub the password: %v", driver, err)
		}
	}
	tg, _ := describe(DriverPostgres, dsn)
	for _, leak := range []string{pw, dsn, url.QueryEscape(pw), url.PathEscape(pw)} {
		err := tg.wrap("cannot connect", fmt.Errorf("driver said: %s went wrong", leak))
		if strings.Contains(err.Error(), leak) || !strings.Contains(err.Error(), secret.Redacted) {
			t.Errorf("wrap did not scrub %q: %v", leak, err)
		}
	}
	if err := tg.wrap("x", fmt.Errorf("query: %w", context.DeadlineExceeded)); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("a timeout must stay recognisable: %v", err)
	}
}

func TestPostgresUnreachableIsOneClearError(t *testing.T) {
	const pw = "unreachable-Pw-42"
	// Port 1 on loopback: nothing listens there, the dial is refused.
	dsn := "postgres://clari:" + pw + "@127.0.0.1:1/clari?sslmode=disable&connect_timeout=2"
	logger, logs := testLogger()
	for _, driver := range []string{DriverPostgres, DriverRedshift} {
		_, err := Open(context.Background(), section(driver, dsn), config.Secret(dsn), logger)
		assertOneClearError(t, err, []string{pw, dsn}, "warehouse: cannot connect (driver "+driver+", host 127.0.0.1:1, database clari, user clari): ", "refused")
	}
	if strings.Contains(logs.String(), pw) {
		t.Error("a log line contains the password")
	}
}
