package config

import (
	"time"

	"github.com/prometheus/common/model"
)

// Config is a loaded configuration, as Load and Parse return it: the file
// (File, defaulted and validated; its sections are promoted, so cfg.Clari
// is the clari section) and what loading resolved from it. Pass it to what
// needs the whole configuration; only what sends a secret reads Secrets
// (the Clari client, the stores, the warehouse, the readiness audit).
type Config struct {
	File
	// Secrets are the values read from the sources the file names.
	Secrets Resolved

	// Source is the file the config was loaded from ("" when built in code).
	Source string
	// InlineKeyLine is the line of an inline clari.api_key in Source (0 if none);
	// the audit names it and start-up warns about it.
	InlineKeyLine int
}

// Resolved is what loading read from the sources the file names (see
// resolve.go). Its secrets are Secrets, so they print as <secret>; none is
// ever in File, so a dump of the file (Redacted) cannot carry them.
type Resolved struct {
	// APIKey is the Clari API key, from clari.api_key_file, api_key_env or
	// api_key.
	APIKey Secret
	// KeyRotatedAt is when the key was last rotated (clari.rotated_at, or
	// the key file's mtime), in unix seconds; 0 when unknown.
	KeyRotatedAt float64
	// WarehouseDSN is the warehouse DSN, from warehouse.dsn_file, dsn_env
	// or dsn; "" without a warehouse section.
	WarehouseDSN Secret
	// StorageDSN is the PostgreSQL store's DSN, from storage.dsn_file or
	// dsn_env; "" with the SQLite store.
	StorageDSN Secret
}

// File is the configuration file's schema (--config.file): what the file
// says, with every section's defaults (see defaults.go) applied. Unknown
// keys are rejected. It holds nothing resolved or derived (no `yaml:"-"`
// field; TestFileHoldsOnlyTheFile): that is Config's.
type File struct {
	Clari          Clari          `yaml:"clari"`
	FiscalCalendar FiscalCalendar `yaml:"fiscal_calendar"`
	Forecasts      []Forecast     `yaml:"forecasts"`
	Schedule       Schedule       `yaml:"schedule"`
	Swing          Swing          `yaml:"swing"`
	Storage        Storage        `yaml:"storage"`
	HA             HA             `yaml:"ha"`
	Metrics        Metrics        `yaml:"metrics"`
	Warehouse      *Warehouse     `yaml:"warehouse,omitempty"`
	Watch          Watch          `yaml:"watch"` // see watch.go
}

// Clari is how to reach the Clari API and how hard to try.
type Clari struct {
	BaseURL string `yaml:"base_url"` // default clari.ProductionBaseURL
	// Exactly one of APIKeyFile, APIKeyEnv, APIKey. APIKey (inline) is
	// accepted with a loud warning; the readiness audit fails it.
	APIKeyFile string `yaml:"api_key_file,omitempty"`
	APIKeyEnv  string `yaml:"api_key_env,omitempty"`
	APIKey     Secret `yaml:"api_key,omitempty"`
	// RotatedAt is when the key was last rotated (RFC 3339 or YYYY-MM-DD).
	// When empty, the key file's mtime is used.
	RotatedAt      string         `yaml:"rotated_at,omitempty"`
	RotationPolicy model.Duration `yaml:"rotation_policy"` // default 90d
	Environment    string         `yaml:"environment"`     // e.g. prod, staging, dev

	RequestTimeout model.Duration `yaml:"request_timeout"` // per HTTP attempt, default 30s
	ProbeInterval  model.Duration `yaml:"probe_interval"`  // live /admin/limits probe, default 60s
	PollInterval   model.Duration `yaml:"poll_interval"`   // default 15s
	PollTimeout    model.Duration `yaml:"poll_timeout"`    // default 10m
	MaxRequeues    int            `yaml:"max_requeues"`    // default 1
	// CreateSearchMargin is added to RequestTimeout to bound the search for
	// the job of a create whose outcome is unknown (CreateSearchWindow).
	CreateSearchMargin model.Duration `yaml:"create_search_margin"` // default 30s

	Retry   Retry   `yaml:"retry"`
	Breaker Breaker `yaml:"breaker"`
	Pacing  Pacing  `yaml:"pacing"`
}

// CreateSearchWindow is how long the job list is searched for the job of
// a create whose outcome is unknown (a timeout, a 5xx, a connection lost
// after the request was sent) before Clari is taken to have made none and
// the create is sent once more: as long as Clari may take to answer a
// create, request_timeout, plus create_search_margin for the job to show
// in the list.
func (c Clari) CreateSearchWindow() time.Duration {
	return time.Duration(c.RequestTimeout + c.CreateSearchMargin)
}

// Retry configures retries of idempotent requests (429, 5xx, network, timeout).
type Retry struct {
	Enabled         bool           `yaml:"enabled"`          // default true
	InitialInterval model.Duration `yaml:"initial_interval"` // default 1s
	MaxInterval     model.Duration `yaml:"max_interval"`     // default 30s
	MaxElapsedTime  model.Duration `yaml:"max_elapsed_time"` // default 2m
}

// Breaker configures the circuit breaker around the Clari transport.
type Breaker struct {
	Enabled             bool           `yaml:"enabled"`              // default true
	ConsecutiveFailures uint32         `yaml:"consecutive_failures"` // default 5
	OpenTimeout         model.Duration `yaml:"open_timeout"`         // default 60s
}

// Pacing is client-side request pacing (token bucket).
type Pacing struct {
	RequestsPerSecond float64 `yaml:"requests_per_second"` // default 5
	Burst             int     `yaml:"burst"`               // default 5
}

// FiscalCalendar maps period labels like 2026_Q4 to dates. The zero value
// (no fiscal_calendar section) is not a calendar: it means "learn it from
// Clari" (Known is false; see package fiscal). A section names at least
// start_month.
type FiscalCalendar struct {
	// StartMonth is the month (1-12) the fiscal year starts in; required
	// in a fiscal_calendar section, 0 without one.
	StartMonth int `yaml:"start_month"`
	// YearLabel says which calendar year names a fiscal year that does not
	// start in January: "end" (FY2027 starts Feb 2026; Clari's and most
	// companies' convention, the default) or "start".
	YearLabel string `yaml:"year_label"`
}

// Known reports whether fc is a calendar (configured, or learned and set
// by package fiscal) rather than the zero value that means "learn it".
func (fc FiscalCalendar) Known() bool { return fc.StartMonth != 0 }

// Forecast is one forecast tab to export.
type Forecast struct {
	ID                 string   `yaml:"id"` // the tab slug, e.g. net_arr
	TypesToExport      []string `yaml:"types_to_export"`
	ScopeID            string   `yaml:"scope_id,omitempty"`
	Currency           string   `yaml:"currency,omitempty"`
	IncludeHistorical  bool     `yaml:"include_historical"`
	HistoricalQuarters int      `yaml:"historical_quarters"` // default 4
	// ExtraPeriods are older fiscal quarters (YYYY_QN) to keep exported
	// besides the rolling window, e.g. a closed quarter still reported on.
	// They run on the historical interval.
	ExtraPeriods []string `yaml:"extra_periods,omitempty"`
	ExportFormat string   `yaml:"export_format"` // JSON (default) or CSV
	// MaxAge is how old the last successful export of a period may be before
	// it counts as missing coverage. Default: 2 × its schedule interval.
	CurrentMaxAge    model.Duration `yaml:"current_max_age,omitempty"`
	HistoricalMaxAge model.Duration `yaml:"historical_max_age,omitempty"`
}

// Schedule is when exports run and what they may spend.
type Schedule struct {
	CurrentInterval    model.Duration `yaml:"current_interval"`    // default 6h
	HistoricalInterval model.Duration `yaml:"historical_interval"` // default 7d
	// QuotaReserve is the number of monthly exports left for the production
	// pipeline: skip an export when availableMonthlyQuota would drop below it.
	QuotaReserve int `yaml:"quota_reserve"` // default 100
	// MonthlyBudget caps what this schedule may spend per rolling 30 days; a
	// schedule that costs more is refused at load. Default 200.
	MonthlyBudget int `yaml:"monthly_budget"`
	// Enabled false turns the sidecar into a watcher (no exports). Default true.
	Enabled bool `yaml:"enabled"`
}

// Swing configures anomaly detection between consecutive snapshots.
type Swing struct {
	Threshold    float64 `yaml:"threshold"`      // default 0.20
	MinBaseline  float64 `yaml:"min_baseline"`   // default 1000
	MinAbsChange float64 `yaml:"min_abs_change"` // default 0
	MinHistory   int     `yaml:"min_history"`    // snapshots needed before judging, default 2
}

// Metrics controls what /metrics exposes.
type Metrics struct {
	// ExposeForecastValues publishes clari_forecast_value (revenue data).
	// Default true; protect /metrics with TLS or basic auth when on.
	ExposeForecastValues bool `yaml:"expose_forecast_values"`
	// EmptyExportIsFailure makes an export with no entries a failure with
	// reason "empty" (checklist item 15). Default true.
	EmptyExportIsFailure bool `yaml:"empty_export_is_failure"`
}

// Warehouse is the user's warehouse table holding exported forecast rows.
type Warehouse struct {
	Driver  string `yaml:"driver"`             // postgres, sqlite or redshift
	DSNFile string `yaml:"dsn_file,omitempty"` // exactly one of DSNFile, DSNEnv, DSN
	DSNEnv  string `yaml:"dsn_env,omitempty"`
	DSN     Secret `yaml:"dsn,omitempty"`
	Table   string `yaml:"table"` // default clari_forecast_entries
	// Columns maps the natural key and value to the table's column names.
	Columns          WarehouseColumns `yaml:"columns"`
	CheckInterval    model.Duration   `yaml:"check_interval"`    // default 24h
	StatementTimeout model.Duration   `yaml:"statement_timeout"` // default 30s
	// MaxLoadAge is how old the table's newest load may be before it
	// counts as stale (clari_warehouse_max_load_age_seconds, the
	// ClariWarehouseStale alert). Default 48h: a daily load with a day of
	// slack.
	MaxLoadAge    model.Duration `yaml:"max_load_age"`
	Sink          bool           `yaml:"sink"`            // upsert each successful export
	SinkBatchSize int            `yaml:"sink_batch_size"` // default 5000
	Retention     Retention      `yaml:"retention"`
	// Grain is what one row of the table holds: GrainRow (default), one
	// forecast entry per row as the sink writes it, or GrainRaw, one row
	// per export with the whole document in Columns.Document (a JSON
	// column), as pipelines that flatten later (dbt) land it. The checks
	// count the entries inside the documents; the sink writes GrainRow
	// only.
	Grain string `yaml:"grain"`
}

// Warehouse grains (warehouse.grain).
const (
	GrainRow = "row"
	GrainRaw = "raw"
)

// WarehouseColumns names the table's columns. Defaults are the names of the
// table the sink creates.
type WarehouseColumns struct {
	Forecast  string `yaml:"forecast"`   // default forecast_id
	Period    string `yaml:"period"`     // default time_period_id
	TimeFrame string `yaml:"time_frame"` // default time_frame_id
	User      string `yaml:"user"`       // default user_id
	Field     string `yaml:"field"`      // default field_id
	DataType  string `yaml:"data_type"`  // default data_type
	Value     string `yaml:"value"`      // default value
	UpdatedOn string `yaml:"updated_on"` // default updated_on
	LoadedAt  string `yaml:"loaded_at"`  // default loaded_at
	// Currency is the ISO code of the export's values (default currency).
	// The sink stores it and adds it to a table that lacks it; the checks
	// do not read it.
	Currency string `yaml:"currency"`
	// Document is the JSON column of a raw-grain table holding one export
	// document (default document); row grain does not read it.
	Document string `yaml:"document"`
}

// Retention is the rolling window of fiscal quarters the table should hold.
type Retention struct {
	Quarters int  `yaml:"quarters"` // default 8
	Enforce  bool `yaml:"enforce"`  // delete beyond the window; default false (report only)
}
