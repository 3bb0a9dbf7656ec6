package warehouse

import (
	"strings"
	"time"

	"github.com/clari-exporter/clari_exporter/config"
)

// Driver names accepted in warehouse.driver (config's vocabulary).
const (
	DriverPostgres = config.DriverPostgres
	DriverSQLite   = config.DriverSQLite
	DriverRedshift = config.DriverRedshift
)

// column is one configured column: its name and the config key naming it,
// so errors can say which setting to fix.
type column struct {
	name string // as configured
	key  string // e.g. warehouse.columns.loaded_at
}

// resolved is a config.Warehouse with its identifiers quoted for SQL.
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
	maxLoadAge       time.Duration
	batchSize        int
	retention        config.Retention
	sink             bool
	// raw: the table holds one export document per row (warehouse.grain:
	// raw) and source flattens it to the row grain's columns.
	raw bool
	// source is what the checks read: qtable (row grain) or the
	// dialect's flattening of the documents (raw grain, rawEntriesSQL).
	source string
}

// quotedColumns holds the quoted column names used in SQL.
type quotedColumns struct {
	forecast, period, timeFrame, user, field, dataType, value, updatedOn, loadedAt, currency, document string
}

// keys is the natural key in the order the sink's primary key uses.
func (q quotedColumns) keys() []string {
	return []string{q.forecast, q.period, q.timeFrame, q.user, q.field, q.dataType}
}

// keyList is keys as a SQL column list.
func (q quotedColumns) keyList() string { return strings.Join(q.keys(), ", ") }

// all lists every column the sink writes, in insert order.
func (q quotedColumns) all() []string {
	return append(q.keys(), q.value, q.updatedOn, q.loadedAt, q.currency)
}

// columnsWithKeys lists the columns the table must have: a raw-grain
// table holds the forecast, the load time and the document; the rest is
// inside the document.
func (r resolved) columnsWithKeys() []column {
	c := r.cols
	if r.raw {
		return []column{
			{c.Forecast, "warehouse.columns.forecast"},
			{c.LoadedAt, "warehouse.columns.loaded_at"},
			{c.Document, "warehouse.columns.document"},
		}
	}
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

// resolve takes a config.Warehouse as config.Load returns it: defaulted and
// validated (driver, identifiers, distinct columns, positive durations).
// It neither re-defaults nor re-validates; it only quotes the names.
func resolve(cfg config.Warehouse, d dialect) resolved {
	r := resolved{
		driver:           cfg.Driver,
		table:            cfg.Table,
		cols:             cfg.Columns,
		checkInterval:    time.Duration(cfg.CheckInterval),
		statementTimeout: time.Duration(cfg.StatementTimeout),
		maxLoadAge:       time.Duration(cfg.MaxLoadAge),
		batchSize:        cfg.SinkBatchSize,
		retention:        cfg.Retention,
		sink:             cfg.Sink,
		raw:              cfg.Grain == config.GrainRaw,
	}
	parts := strings.Split(r.table, ".")
	quoted := make([]string, len(parts))
	for i, p := range parts {
		quoted[i] = d.quote(p)
	}
	r.qtable = strings.Join(quoted, ".")
	r.tableName = parts[len(parts)-1]
	if len(parts) == 2 {
		r.schema = parts[0]
	}
	c := r.cols
	r.q = quotedColumns{
		forecast: d.quote(c.Forecast), period: d.quote(c.Period), timeFrame: d.quote(c.TimeFrame),
		user: d.quote(c.User), field: d.quote(c.Field), dataType: d.quote(c.DataType),
		value: d.quote(c.Value), updatedOn: d.quote(c.UpdatedOn), loadedAt: d.quote(c.LoadedAt),
		currency: d.quote(c.Currency), document: d.quote(c.Document),
	}
	r.source = r.qtable
	if r.raw {
		r.source = d.rawEntriesSQL(r)
	}
	return r
}

// quoteIdent quotes a name. config validated it as a plain identifier;
// doubling any quote keeps even an unvalidated name from escaping.
func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }
