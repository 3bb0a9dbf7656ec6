package warehouse

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/clari-exporter/clari_exporter/config"
)

// Defaults applied when the corresponding config field is empty. They match
// config's defaults so this package works with a config.Warehouse built in
// code (tests, --demo) before or without config.Load.
const (
	DefaultTable             = config.DefaultWarehouseTable
	DefaultCheckInterval     = 24 * time.Hour
	DefaultStatementTimeout  = 30 * time.Second
	DefaultSinkBatchSize     = 5000
	DefaultRetentionQuarters = 8
)

// DefaultColumns are the column names of the table the sink creates
// (config's defaults: one source of truth).
var DefaultColumns = config.DefaultWarehouse().Columns

// Driver names accepted in warehouse.driver.
const (
	DriverPostgres = "postgres"
	DriverSQLite   = "sqlite"
)

// identPart is one part of a (possibly schema-qualified) identifier. Only
// these are accepted so that every identifier can be quoted safely and no SQL
// is ever built from anything but validated names.
var identPart = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// column is one configured column: its name and the config key naming it,
// so errors can say which setting to fix.
type column struct {
	name string // as configured
	key  string // e.g. warehouse.columns.loaded_at
}

// resolved is a config.Warehouse with defaults applied and identifiers
// validated and quoted.
type resolved struct {
	driver           string
	table            string // as configured, e.g. analytics.clari_forecast_entries
	qtable           string // quoted, e.g. "analytics"."clari_forecast_entries"
	schema           string // "" when unqualified
	tableName        string // the last part
	cols             config.WarehouseColumns
	q                quotedColumns
	checkInterval    time.Duration
	statementTimeout time.Duration
	batchSize        int
	retention        config.Retention
	sink             bool
}

// quotedColumns holds the quoted column names used in SQL.
type quotedColumns struct {
	forecast, period, timeFrame, user, field, dataType, value, updatedOn, loadedAt string
}

// keyList is the natural key in the order the sink's primary key uses.
func (q quotedColumns) keyList() string {
	return strings.Join([]string{q.forecast, q.period, q.timeFrame, q.user, q.field, q.dataType}, ", ")
}

// all lists every column in insert order.
func (q quotedColumns) all() []string {
	return []string{q.forecast, q.period, q.timeFrame, q.user, q.field, q.dataType, q.value, q.updatedOn, q.loadedAt}
}

func (r resolved) columnsWithKeys() []column {
	c := r.cols
	return []column{
		{c.Forecast, "warehouse.columns.forecast"},
		{c.Period, "warehouse.columns.period"},
		{c.TimeFrame, "warehouse.columns.time_frame"},
		{c.User, "warehouse.columns.user"},
		{c.Field, "warehouse.columns.field"},
		{c.DataType, "warehouse.columns.data_type"},
		{c.Value, "warehouse.columns.value"},
		{c.UpdatedOn, "warehouse.columns.updated_on"},
		{c.LoadedAt, "warehouse.columns.loaded_at"},
	}
}

// resolve applies defaults and validates names. dsn is only used to infer
// the driver when warehouse.driver is empty; it never appears in an error.
func resolve(cfg config.Warehouse, dsn string) (resolved, error) {
	r := resolved{
		table:            cfg.Table,
		cols:             cfg.Columns,
		checkInterval:    time.Duration(cfg.CheckInterval),
		statementTimeout: time.Duration(cfg.StatementTimeout),
		batchSize:        cfg.SinkBatchSize,
		retention:        cfg.Retention,
		sink:             cfg.Sink,
	}
	switch strings.ToLower(strings.TrimSpace(cfg.Driver)) {
	case "postgres", "postgresql", "pgx":
		r.driver = DriverPostgres
	case "sqlite", "sqlite3":
		r.driver = DriverSQLite
	case "":
		if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
			r.driver = DriverPostgres
		} else {
			return r, fmt.Errorf("warehouse: warehouse.driver is empty: set it to %q or %q", DriverPostgres, DriverSQLite)
		}
	default:
		return r, fmt.Errorf("warehouse: unknown warehouse.driver %q: use %q or %q", cfg.Driver, DriverPostgres, DriverSQLite)
	}
	if r.table == "" {
		r.table = DefaultTable
	}
	def := func(p *string, d string) {
		if *p == "" {
			*p = d
		}
	}
	def(&r.cols.Forecast, DefaultColumns.Forecast)
	def(&r.cols.Period, DefaultColumns.Period)
	def(&r.cols.TimeFrame, DefaultColumns.TimeFrame)
	def(&r.cols.User, DefaultColumns.User)
	def(&r.cols.Field, DefaultColumns.Field)
	def(&r.cols.DataType, DefaultColumns.DataType)
	def(&r.cols.Value, DefaultColumns.Value)
	def(&r.cols.UpdatedOn, DefaultColumns.UpdatedOn)
	def(&r.cols.LoadedAt, DefaultColumns.LoadedAt)
	if r.checkInterval <= 0 {
		r.checkInterval = DefaultCheckInterval
	}
	if r.statementTimeout <= 0 {
		r.statementTimeout = DefaultStatementTimeout
	}
	if r.batchSize <= 0 {
		r.batchSize = DefaultSinkBatchSize
	}
	if r.retention.Quarters <= 0 {
		r.retention.Quarters = DefaultRetentionQuarters
	}

	parts := strings.Split(r.table, ".")
	if len(parts) > 2 {
		return r, fmt.Errorf("warehouse: warehouse.table %q: use table or schema.table", r.table)
	}
	quoted := make([]string, len(parts))
	for i, p := range parts {
		if !identPart.MatchString(p) {
			return r, fmt.Errorf("warehouse: warehouse.table %q: %q is not a plain identifier (letters, digits, underscore; not starting with a digit)", r.table, p)
		}
		quoted[i] = quoteIdent(p)
	}
	r.qtable = strings.Join(quoted, ".")
	r.tableName = parts[len(parts)-1]
	if len(parts) == 2 {
		r.schema = parts[0]
	}

	seen := map[string]string{}
	for _, c := range r.columnsWithKeys() {
		if !identPart.MatchString(c.name) {
			return r, fmt.Errorf("warehouse: %s %q is not a plain identifier (letters, digits, underscore; not starting with a digit)", c.key, c.name)
		}
		if other, dup := seen[strings.ToLower(c.name)]; dup {
			return r, fmt.Errorf("warehouse: %s and %s both name column %q: each must name its own column", other, c.key, c.name)
		}
		seen[strings.ToLower(c.name)] = c.key
	}
	c := r.cols
	r.q = quotedColumns{
		forecast: quoteIdent(c.Forecast), period: quoteIdent(c.Period), timeFrame: quoteIdent(c.TimeFrame),
		user: quoteIdent(c.User), field: quoteIdent(c.Field), dataType: quoteIdent(c.DataType),
		value: quoteIdent(c.Value), updatedOn: quoteIdent(c.UpdatedOn), loadedAt: quoteIdent(c.LoadedAt),
	}
	return r, nil
}

// quoteIdent quotes a name already checked against identPart, so it cannot
// contain a quote.
func quoteIdent(s string) string { return `"` + s + `"` }
