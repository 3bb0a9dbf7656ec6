package app

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/clari-exporter/clari_exporter/clari/clarisim"
	"github.com/clari-exporter/clari_exporter/internal/pgtest"
	"github.com/clari-exporter/clari_exporter/internal/testlog"
)

// TestRedshiftDialectAgainstTheSimulator: the exporter with
// warehouse.driver redshift, pointed at a PostgreSQL, loads every target
// of a February tenant through the Redshift loader and reconciles it: rows
// equal, mismatch 0, for every target. (That the dialect sends only SQL
// Redshift accepts is TestRedshiftSendsOnlyRedshiftSQL in warehouse.)
func TestRedshiftDialectAgainstTheSimulator(t *testing.T) {
	dsn, schema := pgtest.Fresh(t)
	sim := clarisim.New(clarisim.Options{APIKey: testKey, Seed: 3,
		Tenant:   clarisim.TenantSpec{Users: 5, Fields: 2}.WithFebruaryYear(),
		Scenario: clarisim.Scenario{JobDuration: 50 * time.Millisecond, DuplicateEvery: 5}})
	simURL := serveSim(t, sim)
	dir := t.TempDir()
	secret := func(name, value string) string { return writeFile(t, dir, name, value) }
	cfg := fmt.Sprintf(`
clari:
  base_url: %s
  api_key_file: %s
  poll_interval: 50ms
  probe_interval: 1s
forecasts:
  - id: net_arr
    types_to_export: [forecast, quota]
    historical_quarters: 1
schedule:
  monthly_budget: 1296000
  quota_reserve: 0
fiscal_calendar:
  start_month: 2
storage:
  path: %s
warehouse:
  driver: redshift
  dsn_file: %s
  table: %s.clari_forecast_entries
  sink: true
  check_interval: 1s
`, simURL, secret("clari.key", testKey), filepath.Join(dir, "state.db"), secret("warehouse.dsn", dsn), schema)
	var logs testlog.Buffer
	a := startWithLog(t, writeFile(t, dir, "clari.yml", cfg), &logs)

	// Two targets (the current quarter and one back), each reconciled
	// with rows, equal, mismatch 0.
	reconciled := func() bool {
		mfs := scrapeHandler(t, a.Handler())
		n := 0
		for _, m := range mfs["clari_reconciliation_expected_rows"].GetMetric() {
			var period string
			for _, lp := range m.GetLabel() {
				if lp.GetName() == "period" {
					period = lp.GetValue()
				}
			}
			exp := m.GetGauge().GetValue()
			if exp == 0 || sampleValue(mfs, "clari_reconciliation_actual_rows", "period", period) != exp ||
				sampleValue(mfs, "clari_reconciliation_mismatch_ratio", "period", period) != 0 {
				return false
			}
			n++
		}
		return n == 2 && sampleValue(mfs, "clari_warehouse_duplicate_keys", "", "") == 0 &&
			sampleValue(mfs, "clari_warehouse_sink_last_load_success", "", "") == 1
	}
	waitUntil(t, 90*time.Second, "both targets loaded through the Redshift dialect and reconciled", reconciled, logs.String)
}
