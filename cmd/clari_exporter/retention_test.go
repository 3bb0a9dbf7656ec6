package main

import (
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/clari-exporter/clari_exporter/config"
	"github.com/clari-exporter/clari_exporter/warehouse"
)

// TestRetentionDryRunThenEnforce: rows of quarters beyond the retention
// window are counted (and kept) while enforcement is off, and deleted — and
// counted as deleted — only when warehouse.retention.enforce is on.
func TestRetentionDryRunThenEnforce(t *testing.T) {
	for _, enforce := range []bool{false, true} {
		t.Run(fmt.Sprintf("enforce=%v", enforce), func(t *testing.T) {
			whPath := filepath.Join(t.TempDir(), "wh.db")
			seedWarehouse(t, whPath, map[string]int{"2019_Q1": 7, "2019_Q2": 5, currentPeriodLabel(): 3})

			_, srv := simServer(t, testAPIKey)
			cfg := strings.ReplaceAll(exporterConfig(srv.URL, ""), "%STATE%", filepath.Join(t.TempDir(), "state.db"))
			cfg += fmt.Sprintf("warehouse:\n  driver: sqlite\n  dsn_env: CLARI_TEST_WAREHOUSE_DSN\n  check_interval: 1s\n  retention:\n    quarters: 8\n    enforce: %v\n", enforce)
			t.Setenv("CLARI_TEST_WAREHOUSE_DSN", whPath)
			f, base := testFlags(t)
			f.configFile = writeConfig(t, cfg)
			startServe(t, f, base)

			table := map[string]string{"table": config.DefaultWarehouseTable}
			waitFor(t, 30*time.Second, "a retention run", func() bool {
				mfs, _ := scrape(t, base)
				beyond, ok1 := value(mfs, "clari_warehouse_retention_rows_beyond", table)
				deleted, ok2 := value(mfs, "clari_warehouse_retention_deleted_rows_total", table)
				if !ok1 || !ok2 {
					return false
				}
				if enforce {
					return deleted == 12 && beyond == 0
				}
				return beyond == 12 && deleted == 0
			})
			left := countRows(t, whPath)
			want := 15
			if enforce {
				want = 3
			}
			if left != want {
				t.Errorf("%d rows left in the warehouse, want %d", left, want)
			}
		})
	}
}

// seedWarehouse creates the sink's table and puts rows of the given periods in it.
func seedWarehouse(t *testing.T, path string, rowsPerPeriod map[string]int) {
	t.Helper()
	wh := config.DefaultWarehouse()
	wh.Driver, wh.DSN = config.DriverSQLite, config.Secret(path)
	w, err := warehouse.New(wh, wh.DSN, nil)
	if err != nil {
		t.Fatal(err)
	}
	ddl := w.CreateTableSQL()
	w.Close()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(ddl); err != nil {
		t.Fatal(err)
	}
	for period, n := range rowsPerPeriod {
		for i := range n {
			if _, err := db.Exec(`INSERT INTO clari_forecast_entries VALUES ('net_arr', ?, 'TF:2019-01-07', ?, 'commit', 'forecast', 1, 0, ?, 'USD')`,
				period, fmt.Sprint(i), time.Now().UnixMilli()); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func countRows(t *testing.T, path string) int {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM clari_forecast_entries`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}
