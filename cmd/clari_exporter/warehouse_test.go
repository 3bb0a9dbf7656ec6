package main

import (
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"github.com/clari-exporter/clari_exporter/internal/pgtest"
	"github.com/clari-exporter/clari_exporter/internal/testtier"
)

// TestWarehouseProblemsShowOnTheirCheck: a warehouse that cannot be reached
// or lacks the table or a column gives one clear error in the log naming it,
// clari_warehouse_check_success{check="connect"} 0, and the exporter keeps
// exporting and serving everything else. The DSN never appears.
func TestWarehouseProblemsShowOnTheirCheck(t *testing.T) {
	dir := t.TempDir()
	noTable := filepath.Join(dir, "empty.db")
	noColumn := filepath.Join(dir, "nocolumn.db")
	for path, ddl := range map[string]string{
		noTable:  "CREATE TABLE unrelated (x INTEGER)",
		noColumn: "CREATE TABLE clari_forecast_entries (forecast_id TEXT, time_period_id TEXT, time_frame_id TEXT, user_id TEXT, field_id TEXT, data_type TEXT, value REAL, updated_on INTEGER)",
	} {
		db, err := sql.Open("sqlite", path)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec(ddl); err != nil {
			t.Fatal(err)
		}
		db.Close()
	}
	type warehouseCase struct {
		name, driver, dsn, wantLog, secret string
	}
	cases := []warehouseCase{
		{"unreachable", "sqlite", filepath.Join(dir, "no/such/dir/wh.db"), "no/such/dir", ""},
		{"missing table", "sqlite", noTable, `clari_forecast_entries`, ""},
		{"missing column", "sqlite", noColumn, "loaded_at", ""},
	}
	if testing.Short() {
		t.Log("-short: the PostgreSQL wrong-password case is skipped")
	} else if pg := os.Getenv(pgtest.Env); pg != "" {
		u, err := url.Parse(pg)
		if err != nil {
			t.Fatal(err)
		}
		const wrong = "wrong-pg-password-7731"
		u.User = url.UserPassword(u.User.Username(), wrong)
		cases = append(cases, warehouseCase{"wrong password", "postgres", u.String(), "password authentication failed", wrong})
	} else if testtier.InCI() {
		t.Fatal("CLARI_TEST_POSTGRES_DSN is not set; CI must start PostgreSQL (.ci/postgres.sh)")
	} else {
		t.Log("CLARI_TEST_POSTGRES_DSN not set: the PostgreSQL wrong-password case is skipped")
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, srv := simServer(t, testAPIKey)
			cfg := strings.ReplaceAll(exporterConfig(srv.URL, ""), "%STATE%", filepath.Join(t.TempDir(), "state.db"))
			cfg += fmt.Sprintf("warehouse:\n  driver: %s\n  dsn_env: CLARI_TEST_WAREHOUSE_DSN\n  check_interval: 1s\n", tc.driver)
			t.Setenv("CLARI_TEST_WAREHOUSE_DSN", tc.dsn)
			f, base := testFlags(t)
			f.configFile = writeConfig(t, cfg)
			logs := startServe(t, f, base)

			waitFor(t, 60*time.Second, "a failed connect check and a finished export", func() bool {
				mfs, _ := scrape(t, base)
				ok, present := value(mfs, "clari_warehouse_check_success", map[string]string{"check": "connect"})
				runs := sum(mfs, "clari_export_runs_total", nil)
				return present && ok == 0 && runs >= 1
			})
			if !strings.Contains(logs(), tc.wantLog) {
				t.Errorf("logs do not name %q:\n%s", tc.wantLog, tail(logs(), 20))
			}
			if tc.secret != "" && strings.Contains(logs(), tc.secret) {
				t.Errorf("the DSN password appears in the logs")
			}
			mfs, _ := scrape(t, base)
			if _, ok := value(mfs, "clari_warehouse_duplicate_keys", nil); ok {
				t.Errorf("clari_warehouse_duplicate_keys is exposed although nothing could be measured")
			}
			if v, _ := value(mfs, "clari_up", nil); v != 1 {
				t.Errorf("clari_up = %v: a warehouse problem must not touch the Clari side", v)
			}
		})
	}
}
