package checklist

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/clari-exporter/clari_exporter/clari/clarisim"
	"github.com/clari-exporter/clari_exporter/internal/pgtest"
)

// warehouseDB is one database the warehouse checks run against.
type warehouseDB struct {
	driver string // config driver
	dsn    string
	table  string // possibly schema-qualified
	db     *sql.DB
	ts     string // column type of loaded_at
	loaded string // a loaded_at value
}

func sqliteDB(t *testing.T) *warehouseDB {
	path := filepath.Join(t.TempDir(), "wh.db")
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return &warehouseDB{driver: "sqlite", dsn: path, table: "clari_forecast_entries", db: db, ts: "INTEGER", loaded: "1763294400000"}
}

// postgresDB gives each test its own schema in the CI PostgreSQL.
func postgresDB(t *testing.T) *warehouseDB {
	dsn := pgtest.DSN(t)
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 4)
	rand.Read(b)
	schema := "audit_" + hex.EncodeToString(b)
	if _, err := db.Exec("CREATE SCHEMA " + schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		db.Exec("DROP SCHEMA " + schema + " CASCADE")
		db.Close()
	})
	return &warehouseDB{driver: "postgres", dsn: dsn, table: schema + ".clari_forecast_entries", db: db, ts: "timestamptz", loaded: "'2026-11-16T12:00:00Z'"}
}

func (w *warehouseDB) exec(t *testing.T, q string) {
	t.Helper()
	if _, err := w.db.ExecContext(context.Background(), q); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

// createTable creates the table, with a unique natural key or without.
func (w *warehouseDB) createTable(t *testing.T, uniqueKey bool) {
	key := ""
	if uniqueKey {
		key = ",\n PRIMARY KEY (forecast_id, time_period_id, time_frame_id, user_id, field_id, data_type)"
	}
	w.exec(t, fmt.Sprintf(`CREATE TABLE %s (
 forecast_id text NOT NULL, time_period_id text NOT NULL, time_frame_id text NOT NULL,
 user_id text NOT NULL, field_id text NOT NULL, data_type text NOT NULL,
 value double precision, updated_on bigint NOT NULL DEFAULT 0, loaded_at %s NOT NULL%s)`, w.table, w.ts, key))
}

func (w *warehouseDB) insert(t *testing.T, period, user string) {
	w.exec(t, fmt.Sprintf(`INSERT INTO %s VALUES ('net_arr', '%s', 'TF:2026-11-09', '%s', 'f1', 'forecast', 1, 0, %s)`, w.table, period, user, w.loaded))
}

// config writes a config whose warehouse section points at w (DSN in a
// dsn_file) with extra YAML appended to the section.
func (w *warehouseDB) config(t *testing.T, base, extra string) string {
	cfg := writeConfig(t, base, "metrics:", fmt.Sprintf("fiscal_calendar:\n  start_month: 1\nwarehouse:\n  driver: %s\n  dsn_file: dsn\n  table: %s\n%smetrics:", w.driver, w.table, extra))
	writeFile(t, filepath.Dir(cfg), "dsn", w.dsn+"\n", 0o400)
	return cfg
}

func TestWarehouseChecks(t *testing.T) {
	s := startSim(t, clarisim.Scenario{})
	for _, mk := range []struct {
		name string
		db   func(*testing.T) *warehouseDB
	}{{"sqlite", sqliteDB}, {"postgres", postgresDB}} {
		t.Run(mk.name, func(t *testing.T) {
			t.Run("no warehouse section", func(t *testing.T) {
				rep := audit(t, Options{ConfigFile: writeConfig(t, s.URL)})
				expect(t, rep, CheckWarehouseReachable, Skip, "no warehouse section")
				expect(t, rep, CheckWarehouseUpsertKey, Skip)
				expect(t, rep, CheckWarehouseRetention, Skip)
			})
			t.Run("unique key, nothing beyond retention", func(t *testing.T) {
				w := mk.db(t)
				w.createTable(t, true)
				w.insert(t, "2026_Q4", "u1")
				w.insert(t, "2025_Q1", "u1")
				rep := audit(t, Options{ConfigFile: w.config(t, s.URL, "")})
				expect(t, rep, CheckWarehouseReachable, Pass, "driver "+w.driver, "has every configured column")
				expect(t, rep, CheckWarehouseUpsertKey, Pass, "unique index", "on the natural key (forecast_id, time_period_id, time_frame_id, user_id, field_id, data_type)")
				expect(t, rep, CheckWarehouseRetention, Pass, "rolling 8 quarters (2025_Q1 … 2026_Q4)", "holds no period beyond it")
			})
			t.Run("no unique key, duplicates, old periods", func(t *testing.T) {
				w := mk.db(t)
				w.createTable(t, false)
				w.exec(t, fmt.Sprintf("CREATE UNIQUE INDEX wider_idx ON %s (forecast_id, time_period_id, time_frame_id, user_id, field_id, data_type, value)", w.table))
				w.insert(t, "2026_Q4", "u1")
				w.exec(t, fmt.Sprintf(`INSERT INTO %s VALUES ('net_arr', '2026_Q4', 'TF:2026-11-09', 'u1', 'f1', 'forecast', 2, 0, %s)`, w.table, w.loaded))
				w.insert(t, "2024_Q2", "u1")
				rep := audit(t, Options{ConfigFile: w.config(t, s.URL, "")})
				expect(t, rep, CheckWarehouseReachable, Pass)
				expect(t, rep, CheckWarehouseUpsertKey, Fail, "no unique index or constraint on the natural key", "wider_idx(", "1 natural keys duplicated (1 surplus rows)", "ADD CONSTRAINT")
				expect(t, rep, CheckWarehouseRetention, Warn, "holds 1 period(s) beyond it (2024_Q2)", "retention.enforce is off")
			})
			t.Run("raw grain", func(t *testing.T) {
				w := mk.db(t)
				doc, raw := "jsonb", "raw_exports"
				if w.driver == "sqlite" {
					doc = "TEXT"
				}
				w.table = strings.Replace(w.table, "clari_forecast_entries", raw, 1)
				w.exec(t, fmt.Sprintf("CREATE TABLE %s (forecast_id text NOT NULL, loaded_at %s NOT NULL, document %s NOT NULL)", w.table, w.ts, doc))
				entry := `{"userId":"u1","fieldId":"f1","timePeriodId":"2026_Q4","timeFrameId":"TF:2026-11-09","forecastValue":1,"updatedOn":5}`
				land := fmt.Sprintf(`INSERT INTO %s VALUES ('net_arr', %s, '{"entries":[%s],"users":[],"fields":[],"timePeriods":[],"timeFrames":[]}')`, w.table, w.loaded, entry)
				w.exec(t, land)
				cfg := w.config(t, s.URL, "  grain: raw\n")
				rep := audit(t, Options{ConfigFile: cfg})
				expect(t, rep, CheckWarehouseReachable, Pass, "has every configured column")
				expect(t, rep, CheckWarehouseUpsertKey, Pass, "raw grain", "0 natural keys")
				// The same export landed again: its entries repeat their keys.
				w.exec(t, land)
				rep = audit(t, Options{ConfigFile: cfg})
				expect(t, rep, CheckWarehouseUpsertKey, Warn, "raw grain", "1 natural keys", "(1 surplus entries)", "newest updatedOn per key")
			})
			t.Run("retention shorter than coverage", func(t *testing.T) {
				w := mk.db(t)
				w.createTable(t, true)
				rep := audit(t, Options{ConfigFile: w.config(t, s.URL, "  retention:\n    quarters: 3\n")})
				expect(t, rep, CheckWarehouseRetention, Fail, "retention.quarters 3 is shorter than the 5 quarters forecast net_arr keeps exported")
			})
			t.Run("missing table", func(t *testing.T) {
				w := mk.db(t)
				rep := audit(t, Options{ConfigFile: w.config(t, s.URL, "")})
				expect(t, rep, CheckWarehouseReachable, Fail, "not found")
				expect(t, rep, CheckWarehouseUpsertKey, Skip, "not reachable")
				expect(t, rep, CheckWarehouseRetention, Warn, "table not checked")
			})
		})
	}
	// Redshift enforces no unique constraint: item 17 judges what the
	// table holds (its SQL runs on PostgreSQL here).
	t.Run("redshift", func(t *testing.T) {
		for _, dup := range []bool{false, true} {
			t.Run(fmt.Sprintf("duplicates=%v", dup), func(t *testing.T) {
				w := postgresDB(t)
				w.driver = "redshift"
				w.createTable(t, true) // informational on Redshift; not what counts
				w.insert(t, "2026_Q4", "u1")
				if dup {
					w.exec(t, "ALTER TABLE "+w.table+" DROP CONSTRAINT clari_forecast_entries_pkey")
					w.insert(t, "2026_Q4", "u1")
				}
				rep := audit(t, Options{ConfigFile: w.config(t, s.URL, "")})
				expect(t, rep, CheckWarehouseReachable, Pass, "driver redshift")
				if dup {
					expect(t, rep, CheckWarehouseUpsertKey, Fail, "redshift enforces no unique constraint", "1 keys duplicated (1 surplus rows)", "deduplicate it")
				} else {
					expect(t, rep, CheckWarehouseUpsertKey, Pass, "redshift enforces no unique constraint", "0 keys duplicated")
				}
			})
		}
	})
	t.Run("postgres unreachable", func(t *testing.T) {
		w := &warehouseDB{driver: "postgres", dsn: "postgres://clari:pg-unreachable-pw@" + closedAddr(t) + "/clari?sslmode=disable", table: "clari_forecast_entries"}
		rep := audit(t, Options{ConfigFile: w.config(t, s.URL, ""), Timeout: 3 * time.Second})
		r := expect(t, rep, CheckWarehouseReachable, Fail, "cannot connect")
		if strings.Contains(r.Detail, "pg-unreachable-pw") {
			t.Errorf("detail carries the DSN password: %s", r.Detail)
		}
	})
}
