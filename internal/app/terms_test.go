package app

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/clari-exporter/clari_exporter/clari/clarisim"
	"github.com/clari-exporter/clari_exporter/internal/pgtest"
	"github.com/clari-exporter/clari_exporter/internal/testlog"
	"github.com/clari-exporter/clari_exporter/warehouse"
)

// TestTwoTermsShareTheWarehouseHandle: one replica on a shared store leads,
// loses the lease (another holder takes a newer term for a few seconds)
// and leads again. The warehouse handle the app opened serves both terms:
// in the second the warehouse checks connect and run, and the sink writes
// the new exports. (The warehouse service used to close the handle when
// its first term ended: "sql: database is closed" from then on.)
func TestTwoTermsShareTheWarehouseHandle(t *testing.T) {
	dsn, schema := pgtest.Fresh(t)
	sim := clarisim.New(clarisim.Options{APIKey: testKey, Seed: 2,
		Tenant:   clarisim.TenantSpec{Users: 4, Fields: 1}.WithFebruaryYear(),
		Scenario: clarisim.Scenario{JobDuration: 100 * time.Millisecond}})
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
    types_to_export: [forecast]
    historical_quarters: 0
schedule:
  current_interval: 2s
  monthly_budget: 1296000
  quota_reserve: 0
fiscal_calendar:
  start_month: 2
storage:
  driver: postgres
  dsn_file: %s
ha:
  lease_duration: 3s
  renew_interval: 1s
warehouse:
  driver: sqlite
  dsn_file: %s
  sink: true
  check_interval: 1s
`, simURL, secret("clari.key", testKey), secret("store.dsn", dsn), secret("warehouse.dsn", filepath.Join(dir, "warehouse.db")))
	var logs testlog.Buffer
	a := startWithLog(t, writeFile(t, dir, "clari.yml", cfg), &logs)

	// A term serves the warehouse when, since it began, a check connected
	// and ran and saw a sink load made in it.
	served := func(since time.Time) bool {
		mfs := scrapeHandler(t, a.Handler())
		connected := sampleValue(mfs, "clari_warehouse_check_success", "check", warehouse.CheckConnect)
		ran := sampleValue(mfs, "clari_reconciliation_last_run_timestamp_seconds", "", "")
		loaded := sampleValue(mfs, "clari_warehouse_last_load_timestamp_seconds", "", "")
		after := float64(since.Unix())
		return connected == 1 && ran >= after && loaded >= after
	}
	leading := func() bool { return sampleValue(scrapeHandler(t, a.Handler()), "clari_exporter_leader", "", "") == 1 }

	first := time.Now()
	waitUntil(t, 60*time.Second, "the first term's warehouse check and sink load", func() bool { return leading() && served(first) }, logs.String)

	// Another holder takes a newer term for 3 s: this replica steps down at
	// its next renewal and takes the lease back once that term lapsed.
	if _, err := pgtest.Admin(t).Exec(fmt.Sprintf(`UPDATE %s.leader_lease SET holder = 'intruder', term = term + 1,
		expires_at = clock_timestamp() + interval '3 seconds'`, schema)); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, 30*time.Second, "the replica to step down", func() bool { return !leading() }, logs.String)
	waitUntil(t, 60*time.Second, "the replica to lead again", leading, logs.String)
	second := time.Now()
	waitUntil(t, 60*time.Second, "the second term's warehouse check and sink load", func() bool { return served(second) }, logs.String)
	if l := logs.String(); strings.Contains(l, "database is closed") {
		t.Errorf("a term used a closed warehouse handle:\n%s", l)
	}
}

// sampleValue is the gauge or counter of name whose label has value (any
// sample when label is ""), -1 when there is none.
func sampleValue(mfs map[string]*dto.MetricFamily, name, label, value string) float64 {
	for _, m := range mfs[name].GetMetric() {
		match := label == ""
		for _, lp := range m.GetLabel() {
			match = match || (lp.GetName() == label && lp.GetValue() == value)
		}
		if !match {
			continue
		}
		if m.Gauge != nil {
			return m.Gauge.GetValue()
		}
		return m.Counter.GetValue()
	}
	return -1
}

// waitUntil polls cond every 100 ms; on timeout it fails with the logs.
func waitUntil(t *testing.T, timeout time.Duration, what string, cond func() bool, logs func() string) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s; logs:\n%s", timeout, what, logs())
		}
		time.Sleep(100 * time.Millisecond)
	}
}
