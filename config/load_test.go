package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/model"
)

// testSecret is the API key every test uses; no error, dump or String may
// ever contain it.
const testSecret = "sk-TEST-SECRET-9f8e7d6c5b4a"

const testDSN = "postgres://clari:pw-SECRET-1a2b3c@127.0.0.1/db"

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestExampleLoads(t *testing.T) {
	data, err := os.ReadFile("../examples/clari.yml")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	keyFile := writeFile(t, dir, "api_key", testSecret+"\n")
	const examplePath = "/run/secrets/clari_api_key"
	if !strings.Contains(string(data), "api_key_file: "+examplePath) {
		t.Fatalf("example no longer sets api_key_file: %s; update this test", examplePath)
	}
	text := strings.Replace(string(data), examplePath, keyFile, 1)
	t.Setenv("CLARI_WAREHOUSE_DSN", testDSN)
	path := writeFile(t, dir, "clari.yml", text)

	cfg, err := Load(path)
	if err != nil {
		t.Fatalf("examples/clari.yml does not load: %v", err)
	}
	if string(cfg.Secrets.APIKey) != testSecret {
		t.Errorf("key not resolved from file (trimmed), got %d bytes", len(cfg.Secrets.APIKey))
	}
	// The warehouse section ships commented out (valid without a
	// warehouse); cmd/clari_exporter's TestExampleWarehouseBlockIsValid
	// loads it uncommented.
	if cfg.Warehouse != nil {
		t.Errorf("the example's warehouse section is active; it ships commented out")
	}
	if len(cfg.Forecasts) != 2 || cfg.Forecasts[0].ID != "net_arr" || cfg.Forecasts[1].ID != "bookings" {
		t.Fatalf("forecasts = %+v", cfg.Forecasts)
	}
	if got := cfg.Forecasts[1].HistoricalQuarters; got != 4 {
		t.Errorf("bookings historical_quarters default = %d, want 4", got)
	}
	// The example's own comment states its cost; keep them in sync.
	if cost, _ := cfg.MonthlyExportCost(); cost != 280 || !strings.Contains(text, "total 280") {
		t.Errorf("example costs %d; its schedule.monthly_budget comment says 280", cost)
	}
	fi, err := os.Stat(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	if want := float64(fi.ModTime().UnixNano()) / 1e9; cfg.Secrets.KeyRotatedAt != want {
		t.Errorf("KeyRotatedAt = %v, want key file mtime %v", cfg.Secrets.KeyRotatedAt, want)
	}
	if cfg.InlineKeyLine != 0 || len(cfg.Warnings()) != 0 {
		t.Errorf("example should produce no warnings, got line %d, %v", cfg.InlineKeyLine, cfg.Warnings())
	}
}

func TestDefaultsApplied(t *testing.T) {
	t.Setenv("CLARI_TEST_KEY", "  "+testSecret+"\n")
	cfg, err := Parse([]byte(`
clari:
  api_key_env: CLARI_TEST_KEY
  retry:
    max_interval: 10s
forecasts:
  - id: net_arr
  - id: other
    historical_quarters: 0
    types_to_export: [quota]
warehouse:
  driver: sqlite
  dsn_env: CLARI_TEST_KEY
  columns:
    value: amount
schedule:
  monthly_budget: 300
`), "clari.yml")
	if err != nil {
		t.Fatal(err)
	}
	if string(cfg.Secrets.APIKey) != testSecret {
		t.Errorf("env key not trimmed")
	}
	want := Default()
	want.Schedule.MonthlyBudget = 300
	// Sections not in the file are all defaults.
	if cfg.Schedule != want.Schedule || cfg.Swing != want.Swing || cfg.Storage != want.Storage ||
		cfg.Metrics != want.Metrics || cfg.FiscalCalendar != want.FiscalCalendar {
		t.Errorf("untouched sections differ from Default():\n%+v\n%+v", cfg, want)
	}
	// A partly given section keeps the defaults of the keys it omits.
	if cfg.Clari.BaseURL != want.Clari.BaseURL || cfg.Clari.PollTimeout != model.Duration(10*time.Minute) ||
		cfg.Clari.RotationPolicy != model.Duration(90*24*time.Hour) {
		t.Errorf("clari defaults lost: %+v", cfg.Clari)
	}
	if r := cfg.Clari.Retry; !r.Enabled || r.InitialInterval != model.Duration(time.Second) || r.MaxInterval != model.Duration(10*time.Second) || r.MaxElapsedTime != model.Duration(2*time.Minute) {
		t.Errorf("retry = %+v", r)
	}
	if b := cfg.Clari.Breaker; !b.Enabled || b.ConsecutiveFailures != 5 {
		t.Errorf("breaker = %+v", b)
	}
	f := cfg.Forecasts[0]
	if strings.Join(f.TypesToExport, ",") != "forecast,forecast_updated" || f.HistoricalQuarters != 4 || f.ExportFormat != "JSON" {
		t.Errorf("forecast defaults = %+v", f)
	}
	// historical_quarters: 0 is a value, not "unset".
	if g := cfg.Forecasts[1]; g.HistoricalQuarters != 0 || strings.Join(g.TypesToExport, ",") != "quota" {
		t.Errorf("explicit forecast values lost: %+v", g)
	}
	w := cfg.Warehouse
	if w.Table != DefaultWarehouseTable || w.Columns.Value != "amount" || w.Columns.Forecast != "forecast_id" ||
		w.SinkBatchSize != 5000 || w.Retention.Quarters != 8 || w.CheckInterval != model.Duration(24*time.Hour) {
		t.Errorf("warehouse defaults = %+v", w)
	}
	// Defaults must not share slices between forecasts.
	cfg.Forecasts[0].TypesToExport[0] = "changed"
	if DefaultTypesToExport[0] != "forecast" || DefaultForecast("x").TypesToExport[0] != "forecast" {
		t.Error("DefaultTypesToExport was aliased")
	}
}

func TestEmptyFileIsDefaultsAndNeedsForecasts(t *testing.T) {
	for _, data := range []string{"", "# only a comment\n", "---\n"} {
		_, err := Parse([]byte(data), "clari.yml")
		if err == nil || !strings.Contains(err.Error(), "config: clari.yml: forecasts: at least one forecast") ||
			!strings.Contains(err.Error(), "clari: set exactly one of api_key_file") {
			t.Errorf("Parse(%q) = %v", data, err)
		}
	}
}

func TestDefaultValidatesOnceCompleted(t *testing.T) {
	cfg := Default()
	if len(cfg.Forecasts) != 0 {
		t.Fatal("Default() must have no forecasts")
	}
	if err := cfg.Validate(); err == nil {
		t.Fatal("Default() without forecasts and key must not validate")
	}
	cfg.Forecasts = []Forecast{DefaultForecast("net_arr")}
	cfg.Secrets.APIKey = "demo"
	if err := cfg.Validate(); err != nil {
		t.Fatalf("Default()+forecast+key: %v", err)
	}
}

// base is a valid config; bad cases replace parts of it.
const base = `clari:
  api_key_env: CLARI_TEST_KEY
forecasts:
  - id: net_arr
`

func TestBadConfigs(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("CLARI_TEST_KEY", testSecret)
	t.Setenv("CLARI_EMPTY", " \n")
	keyFile := writeFile(t, dir, "key", testSecret)
	missing := filepath.Join(dir, "nope", "api_key")

	cases := []struct {
		name string
		yaml string
		want []string // substrings of the error, each must appear
	}{
		{"unknown top-level key", base + "bogus: 1\n",
			[]string{"config: clari.yml:5: bogus: unknown key (top-level keys: clari, fiscal_calendar, forecasts,"}},
		{"unknown nested key", "clari:\n  api_key_env: CLARI_TEST_KEY\n  foo: 1\nforecasts:\n  - id: a\n",
			[]string{"config: clari.yml:3: clari.foo: unknown key (clari takes: api_key, api_key_env, api_key_file, base_url,"}},
		{"unknown key in list item", base + "    bar: x\n",
			[]string{"config: clari.yml:5: forecasts[0].bar: unknown key (forecasts[0] takes: currency,"}},
		{"unknown key deep", base + "clari_x: 1\nwarehouse:\n  driver: sqlite\n  dsn: x\n  retention:\n    keep: 3\n",
			[]string{"clari.yml:5: clari_x: unknown key; did you mean clari?", "clari.yml:10: warehouse.retention.keep: unknown key (warehouse.retention takes: enforce, quarters)"}},
		{"near-miss key", base + "    typs_to_export: [forecast]\n    historical_quarter: 4\n",
			[]string{"config: clari.yml:5: forecasts[0].typs_to_export: unknown key; did you mean types_to_export?", "config: clari.yml:6: forecasts[0].historical_quarter: unknown key; did you mean historical_quarters?"}},
		{"type error names the path", base + "    historical_quarters: four\n",
			[]string{`config: clari.yml:5: forecasts[0].historical_quarters: must be a whole number, got "four"`}},
		{"type errors and unknown keys together", base + "    historical_quarters: four\n    bogus: 1\nswing:\n  threshold: [1]\n",
			[]string{`forecasts[0].historical_quarters: must be a whole number, got "four"`, "clari.yml:6: forecasts[0].bogus: unknown key", "clari.yml:8: swing.threshold: must be a number, got a list"}},
		{"section given a scalar", base + "schedule: 6h\n",
			[]string{`clari.yml:5: schedule: must be a section of key: value lines, got "6h"`}},
		{"tab indentation", "clari:\n\tapi_key_env: CLARI_TEST_KEY\nforecasts: [{id: a}]\n",
			[]string{"config: clari.yml:2: this line is indented with a tab: YAML indents with spaces only; replace the tab with spaces"}},
		{"negative interval", base + "schedule:\n  current_interval: -5m\n",
			[]string{"config: clari.yml:6: schedule.current_interval: must be > 0, got -5m"}},
		{"zero interval", base + "schedule:\n  historical_interval: 0\n",
			[]string{"config: clari.yml:6: schedule.historical_interval: must be > 0, got 0s"}},
		{"bad duration", base + "clari_x: 1\nschedule:\n  current_interval: 6 hours\n",
			[]string{"config: clari.yml:7: schedule.current_interval: must be a duration like", `"6 hours"`}},
		{"wrong scalar type", "clari:\n  api_key_env: CLARI_TEST_KEY\n  max_requeues: many\nforecasts: [{id: a}]\n",
			[]string{`config: clari.yml:3: clari.max_requeues: must be a whole number, got "many"`}},
		{"yaml syntax", "clari:\n  api_key_env: [\nforecasts:\n",
			[]string{"config: clari.yml:"}},
		{"two documents", base + "---\nforecasts: []\n",
			[]string{"config: clari.yml:", "more than one YAML document"}},
		{"missing key file", "clari:\n  api_key_file: " + missing + "\nforecasts: [{id: a}]\n",
			[]string{"config: clari.yml:2: clari.api_key_file: file " + missing + " does not exist"}},
		{"env unset", "clari:\n  api_key_env: CLARI_NOT_SET_ANYWHERE\nforecasts: [{id: a}]\n",
			[]string{"clari.yml:2: clari.api_key_env: environment variable CLARI_NOT_SET_ANYWHERE is not set"}},
		{"env empty", "clari:\n  api_key_env: CLARI_EMPTY\nforecasts: [{id: a}]\n",
			[]string{"clari.api_key_env: environment variable CLARI_EMPTY is empty"}},
		{"key pasted as env name", "clari:\n  api_key_env: " + testSecret + "\nforecasts: [{id: a}]\n",
			[]string{"clari.yml:2: clari.api_key_env: must be the name of an environment variable"}},
		{"no key source", "forecasts: [{id: a}]\n",
			[]string{"config: clari.yml: clari: set exactly one of api_key_file (recommended), api_key_env or api_key; none is set"}},
		{"two key sources", "clari:\n  api_key_file: " + keyFile + "\n  api_key: " + testSecret + "\nforecasts: [{id: a}]\n",
			[]string{"config: clari.yml:3: clari.api_key: set exactly one of api_key_file, api_key_env or api_key; got api_key_file and api_key"}},
		{"inline key quoted by yaml", "clari:\n  api_key: " + testSecret + "\n  max_requeues: " + testSecret + "\nforecasts: [{id: a}]\n",
			[]string{`clari.yml:3: clari.max_requeues: must be a whole number, got "<secret>"`}},
		{"bad base url", "clari:\n  api_key_env: CLARI_TEST_KEY\n  base_url: ftp://api.clari.com/v4\nforecasts: [{id: a}]\n",
			[]string{"clari.yml:3: clari.base_url: must be an http(s) URL"}},
		{"base url without host", "clari:\n  api_key_env: CLARI_TEST_KEY\n  base_url: api.clari.com/v4\nforecasts: [{id: a}]\n",
			[]string{"clari.base_url: must be an http(s) URL"}},
		{"bad rotated_at", "clari:\n  api_key_env: CLARI_TEST_KEY\n  rotated_at: last tuesday\nforecasts: [{id: a}]\n",
			[]string{"clari.yml:3: clari.rotated_at: must be a date"}},
		{"poll interval over timeout", "clari:\n  api_key_env: CLARI_TEST_KEY\n  poll_interval: 20m\nforecasts: [{id: a}]\n",
			[]string{"clari.poll_interval: must not exceed clari.poll_timeout (10m), got 20m"}},
		{"retry initial over max", "clari:\n  api_key_env: CLARI_TEST_KEY\n  retry:\n    initial_interval: 1m\nforecasts: [{id: a}]\n",
			[]string{"clari.yml:4: clari.retry.initial_interval: must not exceed clari.retry.max_interval (30s), got 1m"}},
		{"breaker zero failures", "clari:\n  api_key_env: CLARI_TEST_KEY\n  breaker:\n    consecutive_failures: 0\nforecasts: [{id: a}]\n",
			[]string{"clari.breaker.consecutive_failures: must be >= 1, got 0"}},
		{"pacing", "clari:\n  api_key_env: CLARI_TEST_KEY\n  pacing: {requests_per_second: 0, burst: 0}\nforecasts: [{id: a}]\n",
			[]string{"clari.pacing.requests_per_second: must be > 0", "clari.pacing.burst: must be >= 1"}},
		{"negative requeues", "clari:\n  api_key_env: CLARI_TEST_KEY\n  max_requeues: -1\nforecasts: [{id: a}]\n",
			[]string{"clari.max_requeues: must be >= 0, got -1"}},
		{"fiscal", base + "fiscal_calendar:\n  start_month: 13\n  year_label: middle\n",
			[]string{"clari.yml:6: fiscal_calendar.start_month: must be a month number 1..12", "got 13", `clari.yml:7: fiscal_calendar.year_label: must be "end" or "start", got "middle"`}},
		{"fiscal section without start_month", base + "fiscal_calendar:\n  year_label: end\n",
			[]string{"fiscal_calendar.start_month: must be a month number 1..12", "omit the whole section to learn it from Clari", "got 0"}},
		{"CSV only without a fiscal calendar", base + "    export_format: CSV\n",
			[]string{"fiscal_calendar: required when every forecast exports CSV", "fiscal_calendar.start_month"}},
		{"no forecasts", "clari:\n  api_key_env: CLARI_TEST_KEY\nforecasts: []\n",
			[]string{"clari.yml:3: forecasts: at least one forecast is required"}},
		{"forecast ids", "clari:\n  api_key_env: CLARI_TEST_KEY\nforecasts:\n  - id: net_arr\n  - id: \"\"\n  - id: net arr/2\n  - id: net_arr\n",
			[]string{"clari.yml:5: forecasts[1].id: must not be empty", `clari.yml:6: forecasts[2].id: must be a forecast tab slug (letters, digits, '_' and '-'), got "net arr/2"`, `clari.yml:7: forecasts[3].id: "net_arr" is already used by forecasts[0]`}},
		{"types", base + "    types_to_export: [forecast, pipeline, forecast]\n",
			[]string{`clari.yml:5: forecasts[0].types_to_export[1]: must be one of forecast, quota, forecast_updated, adjustment, crm_total, crm_closed, got "pipeline"`, `forecasts[0].types_to_export[2]: "forecast" is listed twice`}},
		{"empty types", base + "    types_to_export: []\n",
			[]string{"clari.yml:5: forecasts[0].types_to_export: must list at least one of"}},
		{"historical quarters high", base + "    historical_quarters: 13\n",
			[]string{"clari.yml:5: forecasts[0].historical_quarters: must be 0..12, got 13"}},
		{"historical quarters negative", base + "    historical_quarters: -1\n",
			[]string{"forecasts[0].historical_quarters: must be 0..12, got -1"}},
		{"export format", base + "    export_format: XML\n",
			[]string{`clari.yml:5: forecasts[0].export_format: must be JSON or CSV, got "XML"`}},
		{"currency", base + "    currency: usd\n",
			[]string{`forecasts[0].currency: must be an ISO 4217 code like USD, got "usd"`}},
		{"max age below interval", base + "    current_max_age: 1h\n",
			[]string{"clari.yml:5: forecasts[0].current_max_age: must be at least schedule.current_interval (6h), got 1h"}},
		{"budget over quota", "clari:\n  api_key_env: CLARI_TEST_KEY\nforecasts:\n  - id: net_arr\n  - id: pipeline\n    historical_quarters: 2\nschedule:\n  current_interval: 1h\n  historical_interval: 24h\n",
			[]string{"config: clari.yml:7: schedule: costs 1,620 exports per 30 days, over monthly_budget 200: " +
				"forecast net_arr: current quarter every 1h = 720; 4 historical quarters every 1d = 4×30 = 120; " +
				"forecast pipeline: current quarter every 1h = 720; 2 historical quarters every 1d = 2×30 = 60"}},
		{"budget zero", base + "schedule:\n  monthly_budget: 0\n",
			[]string{"schedule.monthly_budget: must be >= 1, got 0"}},
		{"negative reserve", base + "schedule:\n  quota_reserve: -1\n",
			[]string{"schedule.quota_reserve: must be >= 0, got -1"}},
		{"swing", base + "swing:\n  threshold: 0\n  min_history: 1\n  min_baseline: -1\n",
			[]string{"clari.yml:6: swing.threshold: must be > 0", "clari.yml:7: swing.min_history: must be >= 2 (a swing needs two snapshots), got 1", "swing.min_baseline: must be >= 0"}},
		{"storage path", base + "storage:\n  path: \"\"\n",
			[]string{"clari.yml:6: storage.path: must not be empty"}},
		{"warehouse", base + "warehouse:\n  driver: mysql\n  table: \"x; drop table y\"\n  columns:\n    value: \"1value\"\n    user: forecast_id\n  sink_batch_size: 0\n  retention:\n    quarters: 0\n  check_interval: 0\n",
			[]string{`clari.yml:6: warehouse.driver: must be one of postgres, sqlite, redshift, got "mysql"`,
				"clari.yml:5: warehouse: set exactly one of dsn_file (recommended), dsn_env or dsn; none is set",
				`clari.yml:7: warehouse.table: must be a SQL identifier`,
				`clari.yml:9: warehouse.columns.value: must be a SQL column name (letters, digits, '_'), got "1value"`,
				`clari.yml:10: warehouse.columns.user: "forecast_id" is already the column of warehouse.columns.forecast`,
				"clari.yml:11: warehouse.sink_batch_size: must be > 0, got 0",
				"clari.yml:13: warehouse.retention.quarters: must be >= 1, got 0",
				"clari.yml:14: warehouse.check_interval: must be > 0, got 0s"}},
		{"warehouse redshift, max_load_age, currency column", base + "warehouse:\n  driver: redshift\n  dsn_env: CLARI_TEST_KEY\n  max_load_age: 0s\n  columns:\n    currency: value\n",
			[]string{"clari.yml:8: warehouse.max_load_age: must be > 0, got 0s",
				`clari.yml:10: warehouse.columns.currency: "value" is already the column of warehouse.columns.value`}},
		{"warehouse grain unknown", base + "warehouse:\n  driver: postgres\n  dsn_env: CLARI_TEST_KEY\n  grain: entry\n",
			[]string{`clari.yml:8: warehouse.grain: must be row or raw, got "entry"`}},
		{"warehouse raw grain with the sink", base + "warehouse:\n  driver: postgres\n  dsn_env: CLARI_TEST_KEY\n  grain: raw\n  sink: true\n  columns:\n    document: forecast_id\n",
			[]string{"clari.yml:8: warehouse.grain: raw is for checking a table a pipeline lands", "the sink writes row grain only: set warehouse.sink: false",
				`warehouse.columns.document: "forecast_id" is already the column of warehouse.columns.forecast`}},
		{"warehouse raw grain on redshift", base + "warehouse:\n  driver: redshift\n  dsn_env: CLARI_TEST_KEY\n  grain: raw\n",
			[]string{"clari.yml:8: warehouse.grain: raw is read on postgres and sqlite only, not on driver redshift"}},
		{"warehouse raw grain with retention enforcement", base + "warehouse:\n  driver: sqlite\n  dsn: x.db\n  grain: raw\n  retention:\n    enforce: true\n",
			[]string{"clari.yml:8: warehouse.grain: raw tables are checked, not pruned: set warehouse.retention.enforce: false"}},
		// The warehouse package takes this section as validated here and
		// does not check it again.
		{"warehouse no driver, three-part table", base + "warehouse:\n  dsn: x.db\n  table: a.b.c\n",
			[]string{`clari.yml:5: warehouse.driver: must be one of postgres, sqlite, redshift, got ""`,
				`clari.yml:7: warehouse.table: must be a SQL identifier, optionally schema-qualified (schema.table), got "a.b.c"`}},
		{"warehouse two dsn sources", base + "warehouse:\n  driver: postgres\n  dsn_env: CLARI_TEST_KEY\n  dsn: \"" + testDSN + "\"\n",
			[]string{"clari.yml:8: warehouse.dsn: set exactly one of dsn_file, dsn_env or dsn; got dsn_env and dsn"}},
		{"warehouse dsn file missing", base + "warehouse:\n  driver: postgres\n  dsn_file: " + missing + "\n",
			[]string{"clari.yml:7: warehouse.dsn_file: file " + missing + " does not exist"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := Parse([]byte(tc.yaml), "clari.yml")
			if err == nil {
				t.Fatalf("Parse succeeded (%+v), want error containing %q", cfg, tc.want)
			}
			msg := err.Error()
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error\n%s\ndoes not contain\n%s", msg, w)
				}
			}
			if strings.Contains(msg, testSecret) || strings.Contains(msg, "pw-SECRET") || strings.Contains(msg, testSecret[:7]+"...") {
				t.Errorf("error leaks a secret:\n%s", msg)
			}
			for _, line := range strings.Split(msg, "\n") {
				if !strings.HasPrefix(line, "config: clari.yml") {
					t.Errorf("error line does not name the file: %q", line)
				}
			}
			var fe *FieldError
			if !errors.As(err, &fe) {
				t.Errorf("error is not a *FieldError: %T", err)
			}
		})
	}
}

func TestAnchorsAndMergeKeys(t *testing.T) {
	t.Setenv("CLARI_TEST_KEY", testSecret)
	doc := "clari:\n  api_key_env: CLARI_TEST_KEY\nforecasts:\n  - &common\n    id: net_arr\n    historical_quarters: 1\n    current_max_age: %s\n  - <<: *common\n    id: bookings\nschedule: {monthly_budget: 300}\n"
	cfg, err := Parse([]byte(fmt.Sprintf(doc, "7h")), "clari.yml")
	if err != nil {
		t.Fatal(err)
	}
	if f := cfg.Forecasts[1]; f.ID != "bookings" || f.HistoricalQuarters != 1 || f.CurrentMaxAge != model.Duration(7*time.Hour) {
		t.Errorf("merged forecast = %+v", f)
	}
	// A bad duration reached through an anchor is still reported with a line.
	_, err = Parse([]byte(fmt.Sprintf(doc, "-1h")), "clari.yml")
	if err == nil || !strings.Contains(err.Error(), "clari.yml:7: forecasts[0].current_max_age: must be > 0, got -1h") {
		t.Errorf("bad duration via anchor: %v", err)
	}
}

func TestSeveralErrorsReportedTogether(t *testing.T) {
	t.Setenv("CLARI_TEST_KEY", testSecret)
	_, err := Parse([]byte(base+"schedule:\n  monthly_budget: 0\nswing:\n  min_history: 0\nstorage:\n  path: ''\n"), "clari.yml")
	if err == nil {
		t.Fatal("want errors")
	}
	if n := len(strings.Split(err.Error(), "\n")); n != 3 {
		t.Errorf("want 3 errors, got %d:\n%v", n, err)
	}
}

func TestInlineKeyLineRecorded(t *testing.T) {
	cfg, err := Parse([]byte("# comment\nclari:\n  environment: prod\n  api_key: \""+testSecret+"\"\nforecasts: [{id: a}]\n"), "clari.yml")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.InlineKeyLine != 4 {
		t.Errorf("InlineKeyLine = %d, want 4", cfg.InlineKeyLine)
	}
	if string(cfg.Secrets.APIKey) != testSecret {
		t.Error("inline key not resolved")
	}
	w := strings.Join(cfg.Warnings(), "\n")
	if !strings.Contains(w, "clari.yml:4: clari.api_key: the API key is written in the config file") || strings.Contains(w, testSecret) {
		t.Errorf("warnings = %q", w)
	}

	t.Setenv("CLARI_TEST_KEY", testSecret)
	cfg, err = Parse([]byte(base), "clari.yml")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.InlineKeyLine != 0 {
		t.Errorf("InlineKeyLine = %d without inline key", cfg.InlineKeyLine)
	}
}

func TestRelativeKeyFileAndRotation(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "secrets"), 0o700); err != nil {
		t.Fatal(err)
	}
	keyPath := writeFile(t, filepath.Join(dir, "secrets"), "key", "\n"+testSecret+"\r\n")
	mtime := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	if err := os.Chtimes(keyPath, mtime, mtime); err != nil {
		t.Fatal(err)
	}
	cfgPath := writeFile(t, dir, "clari.yml", "clari:\n  api_key_file: secrets/key\nforecasts: [{id: a}]\n")

	// Load from another working directory: the path is relative to the file.
	cfg, err := Load(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	if string(cfg.Secrets.APIKey) != testSecret {
		t.Errorf("key not trimmed/resolved")
	}
	if cfg.KeyFilePath() != keyPath {
		t.Errorf("KeyFilePath = %q, want %q", cfg.KeyFilePath(), keyPath)
	}
	if cfg.Secrets.KeyRotatedAt != float64(mtime.Unix()) {
		t.Errorf("KeyRotatedAt = %v, want mtime %v", cfg.Secrets.KeyRotatedAt, mtime.Unix())
	}

	writeFile(t, dir, "clari.yml", "clari:\n  api_key_file: secrets/key\n  rotated_at: 2026-10-01\nforecasts: [{id: a}]\n")
	cfg, err = Load(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	if want := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC); cfg.Secrets.KeyRotatedAt != float64(want.Unix()) {
		t.Errorf("KeyRotatedAt = %v, want rotated_at %v", cfg.Secrets.KeyRotatedAt, want.Unix())
	}

	t.Setenv("CLARI_TEST_KEY", testSecret)
	cfg, err = Parse([]byte(base), "clari.yml")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Secrets.KeyRotatedAt != 0 {
		t.Errorf("KeyRotatedAt = %v with env key and no rotated_at, want 0", cfg.Secrets.KeyRotatedAt)
	}

	writeFile(t, filepath.Join(dir, "secrets"), "key", " \n")
	if _, err := Load(cfgPath); err == nil || !strings.Contains(err.Error(), "clari.api_key_file: file "+keyPath+" is empty") {
		t.Errorf("empty key file: %v", err)
	}
}

func TestLoadMissingConfigFile(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "absent.yml"))
	if err == nil || !strings.Contains(err.Error(), "absent.yml") {
		t.Errorf("Load(absent) = %v", err)
	}
}

func TestRedactedHasNoSecrets(t *testing.T) {
	cfg, err := Parse([]byte("clari:\n  api_key: "+testSecret+"\nforecasts: [{id: a}]\nwarehouse:\n  driver: postgres\n  dsn: \""+testDSN+"\"\n"), "clari.yml")
	if err != nil {
		t.Fatal(err)
	}
	out, err := cfg.Redacted()
	if err != nil {
		t.Fatal(err)
	}
	dump := string(out)
	for _, s := range []string{testSecret, "pw-SECRET", testDSN} {
		if strings.Contains(dump, s) {
			t.Errorf("Redacted dump contains a secret:\n%s", dump)
		}
	}
	if strings.Count(dump, "<secret>") != 2 {
		t.Errorf("want api_key and dsn shown as <secret>:\n%s", dump)
	}
	// The dump is the effective config: defaults included.
	for _, want := range []string{"base_url: https://api.clari.com/v4", "poll_timeout: 10m", "historical_quarters: 4", "table: clari_forecast_entries"} {
		if !strings.Contains(dump, want) {
			t.Errorf("dump lacks %q:\n%s", want, dump)
		}
	}
	// fmt of any kind never prints the secret either.
	for _, s := range []string{fmt.Sprintf("%v", cfg), fmt.Sprintf("%+v", *cfg), fmt.Sprintf("%#v", cfg.Clari), fmt.Sprintf("%#v", cfg.Secrets), fmt.Sprint(cfg.Secrets.APIKey), fmt.Sprintf("dsn=%s", cfg.Secrets.WarehouseDSN)} {
		if strings.Contains(s, testSecret) || strings.Contains(s, "pw-SECRET") {
			t.Errorf("formatted config leaks a secret: %s", s)
		}
	}
}
