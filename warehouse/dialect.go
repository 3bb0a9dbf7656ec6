package warehouse

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/clari-exporter/clari_exporter/clari"
)

// dialect is everything that differs between the warehouse backends. The
// checks and the sink are written once against it: statement methods
// return the SQL text a check sends (so docs/warehouse.md and the golden
// tests can show exactly that), and a few hooks cover what is not a
// statement (placeholders, the catalog, the statement timeout, error
// classes, the loader). Identifiers reach it quoted (resolved.q, qtable).
type dialect interface {
	// quote quotes one identifier.
	quote(ident string) string
	// placeholder is the i-th (1-based) bind parameter.
	placeholder(i int) string

	// rawEntriesSQL is a raw-grain table (one export document per row) as
	// a derived table with the row grain's columns, one row per entry and
	// value key present in it (as the decoder makes one clari.Entry per
	// value key): the checks read r.source, which is this or the table.
	rawEntriesSQL(r resolved) string

	// countSQL counts the rows of one forecast ($1) and period ($2).
	countSQL(r resolved) string
	// duplicateKeysSQL returns one row: keys held by more than one row,
	// and the rows beyond one per such key.
	duplicateKeysSQL(r resolved) string
	// distinctPeriodsSQL lists the distinct periods, one per row, unless
	// periodsAsJSON says the one row is a JSON array of them.
	distinctPeriodsSQL(r resolved) string
	periodsAsJSON() bool
	// newestLoadSQL returns max(loaded_at) (of the table itself in either
	// grain: a raw row's load time is the export's, entries or none).
	newestLoadSQL(r resolved) string
	// periodRowsSQL counts one period's rows ($1); deletePeriodSQL
	// deletes them (retention).
	periodRowsSQL(r resolved) string
	deletePeriodSQL(r resolved) string
	// createTableSQL is the sink's DDL; textType the type of its text
	// columns (also of a currency column the sink adds).
	createTableSQL(r resolved) string
	textType() string

	// setTimeout bounds the statements of tx (nothing when the backend
	// has no statement timeout: the context deadline does it).
	setTimeout(ctx context.Context, tx *sql.Tx, d time.Duration) error
	// backstop is how much longer than the statement timeout the context
	// deadline is, so the server's own timeout, which says more, wins.
	backstop() time.Duration
	// columns lists the table's columns (nil: no table) and, when it is
	// missing, a hint (e.g. case folding).
	columns(ctx context.Context, tx *sql.Tx, r resolved) (map[string]bool, string, error)
	// uniqueIndexes maps each unique index of the table that could stop
	// duplicates to its columns.
	uniqueIndexes(ctx context.Context, tx *sql.Tx, r resolved) (map[string][]string, error)
	// enforcesUnique says whether the backend enforces unique
	// constraints at all.
	enforcesUnique() bool
	// isTimeout reports a statement timeout.
	isTimeout(err error) bool
	// isCreateRace reports that a concurrent CREATE TABLE IF NOT EXISTS
	// won, so trying again finds the table.
	isCreateRace(err error) bool
	// openStage starts a streaming load's stage (the per-backend loader).
	openStage(ctx context.Context, s *Sink, forecast string, loadedAt time.Time) (stager, error)
}

// stager is a per-backend loader: it takes a load's entries as they are
// decoded, keeping memory bounded, and on keep merges them into the table
// one transaction per batch, so a crash leaves whole batches and a rerun
// completes the load.
type stager interface {
	add(ctx context.Context, e *clari.Entry) error
	endStaging(ctx context.Context) error
	merge(ctx context.Context, forecast string, batchSize int, hook func(batch int) error) (rows, batches int, err error)
	// currencyConflicts is how many rows merge left alone because the
	// table holds their key in another currency.
	currencyConflicts() int
	release()
}

// dialectFor returns the dialect of a warehouse.driver value.
func dialectFor(driver string) (dialect, error) {
	switch driver {
	case DriverPostgres:
		return postgresDialect{pgFamily{ansi{dollar}}}, nil
	case DriverSQLite:
		return sqliteDialect{ansi{numbered}}, nil
	case DriverRedshift:
		return redshiftDialect{pgFamily{ansi{dollar}}}, nil
	}
	// Only a config that skipped config.Load gets here.
	return nil, fmt.Errorf("warehouse: driver %q: pass a warehouse section validated by config.Load", driver)
}

// ansi holds the statements every backend so far spells alike; a dialect
// embeds it and overrides what it spells differently. ph is the dialect's
// placeholder.
type ansi struct{ ph func(i int) string }

func (a ansi) placeholder(i int) string { return a.ph(i) }

// dollar is PostgreSQL's placeholder; numbered is SQLite's ?NNN.
func dollar(i int) string   { return fmt.Sprintf("$%d", i) }
func numbered(i int) string { return fmt.Sprintf("?%d", i) }

func (ansi) quote(s string) string { return quoteIdent(s) }

func (a ansi) countSQL(r resolved) string {
	return fmt.Sprintf("SELECT count(*) FROM %s WHERE %s = %s AND %s = %s", r.source, r.q.forecast, a.ph(1), r.q.period, a.ph(2))
}

func (ansi) duplicateKeysSQL(r resolved) string {
	return fmt.Sprintf("SELECT count(*), coalesce(sum(n - 1), 0) FROM (SELECT count(*) AS n FROM %s GROUP BY %s HAVING count(*) > 1) d",
		r.source, r.q.keyList())
}

func (ansi) distinctPeriodsSQL(r resolved) string {
	return fmt.Sprintf("SELECT DISTINCT %s FROM %s", r.q.period, r.source)
}

func (ansi) periodsAsJSON() bool { return false }

func (ansi) enforcesUnique() bool { return true }

func (ansi) newestLoadSQL(r resolved) string {
	return fmt.Sprintf("SELECT max(%s) FROM %s", r.q.loadedAt, r.qtable)
}

func (a ansi) periodRowsSQL(r resolved) string {
	return fmt.Sprintf("SELECT count(*) FROM %s WHERE %s = %s", r.source, r.q.period, a.ph(1))
}

func (a ansi) deletePeriodSQL(r resolved) string {
	return fmt.Sprintf("DELETE FROM %s WHERE %s = %s", r.qtable, r.q.period, a.ph(1))
}

// createTable is the sink's DDL with the backend's column types.
func createTable(r resolved, text, real, loaded string) string {
	q := r.q
	var b strings.Builder
	fmt.Fprintf(&b, "CREATE TABLE IF NOT EXISTS %s (\n", r.qtable)
	for _, c := range q.keys() {
		fmt.Fprintf(&b, "  %s %s NOT NULL,\n", c, text)
	}
	fmt.Fprintf(&b, "  %s %s,\n", q.value, real)
	fmt.Fprintf(&b, "  %s bigint NOT NULL DEFAULT 0,\n", q.updatedOn)
	fmt.Fprintf(&b, "  %s %s NOT NULL,\n", q.loadedAt, loaded)
	fmt.Fprintf(&b, "  %s %s NOT NULL DEFAULT '',\n", q.currency, text)
	fmt.Fprintf(&b, "  PRIMARY KEY (%s)\n)", q.keyList())
	return b.String()
}

// rawEntriesSQL: the document is jsonb; -> keeps a JSON null as the
// jsonb null, so a key sent as null is present.
func (pgFamily) rawEntriesSQL(r resolved) string {
	return rawEntries(r,
		fmt.Sprintf("%s t CROSS JOIN LATERAL jsonb_array_elements(t.%s -> 'entries') e", r.qtable, r.q.document),
		func(key string) string { return fmt.Sprintf("e ->> '%s'", key) },
		"(e -> k.json_key) IS NOT NULL")
}

// pgFamily is what PostgreSQL and Redshift share: numbered placeholders,
// the server's statement_timeout, SQLSTATE error classes.
type pgFamily struct{ ansi }

// setTimeout uses set_config so the value is a parameter; is_local ends it
// with the transaction.
func (pgFamily) setTimeout(ctx context.Context, tx *sql.Tx, d time.Duration) error {
	_, err := tx.ExecContext(ctx, "SELECT set_config('statement_timeout', $1, true)", fmt.Sprintf("%dms", d.Milliseconds()))
	return err
}

func (pgFamily) backstop() time.Duration { return 2 * time.Second }

// isTimeout: query_canceled (57014) or a context deadline.
func (pgFamily) isTimeout(err error) bool {
	var pe *pgconn.PgError
	return errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &pe) && pe.Code == "57014")
}

// isCreateRace: unique_violation on the catalog, duplicate_table,
// duplicate_object.
func (pgFamily) isCreateRace(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == "23505" || pe.Code == "42P07" || pe.Code == "42710")
}

// conflictAction is the ON CONFLICT action of the PostgreSQL and SQLite
// upserts (distinct is their spelling of IS DISTINCT FROM): the newest
// updated_on wins (ties: the later load), a row whose value, updated_on
// and currency would not change is left alone (an identical re-export
// writes nothing), and a row in another currency is not overwritten
// (currencyConflictsSQL counts it). An incoming row without a currency
// keeps the stored one; a stored row without one takes the incoming one.
func conflictAction(q quotedColumns, distinct string) string {
	cur := fmt.Sprintf("coalesce(nullif(excluded.%s, ''), w.%s)", q.currency, q.currency)
	return fmt.Sprintf("ON CONFLICT (%s) DO UPDATE SET %s = excluded.%s, %s = excluded.%s, %s = excluded.%s, %s = %s "+
		"WHERE excluded.%s >= w.%s AND %s AND (w.%s, w.%s, w.%s) %s (excluded.%s, excluded.%s, %s)",
		q.keyList(), q.value, q.value, q.updatedOn, q.updatedOn, q.loadedAt, q.loadedAt, q.currency, cur,
		q.updatedOn, q.updatedOn, sameCurrency("w", "excluded", q.currency),
		q.value, q.updatedOn, q.currency, distinct, q.value, q.updatedOn, cur)
}

// sameCurrency is the condition that rows a and b may replace each other:
// the same currency, or one of them has none (”).
func sameCurrency(a, b, col string) string {
	return fmt.Sprintf("(%s.%s = %s.%s OR %s.%s = '' OR %s.%s = '')", a, col, b, col, a, col, b, col)
}

// currencyConflictsSQL counts the rows of src (a table or a parenthesised
// query with the sink's columns) whose key the table holds in another
// currency: what the merge leaves alone, and the sink reports.
func currencyConflictsSQL(r resolved, src string) string {
	q := r.q
	on := make([]string, 0, 6)
	for _, k := range q.keys() {
		on = append(on, fmt.Sprintf("w.%s = s.%s", k, k))
	}
	return fmt.Sprintf("SELECT count(*) FROM %s s JOIN %s w ON %s WHERE NOT %s",
		src, r.qtable, strings.Join(on, " AND "), sameCurrency("w", "s", q.currency))
}

// stagedRange is the distinct rows of one range ($1 < seq <= $2, in the
// dialect's placeholders) of a stage, for currencyConflictsSQL.
func stagedRange(r resolved, stage string, ph func(int) string) string {
	return fmt.Sprintf("(SELECT DISTINCT %s, %s FROM %s WHERE seq > %s AND seq <= %s)", r.q.keyList(), r.q.currency, stage, ph(1), ph(2))
}

// rawValueKeys maps each value key of a JSON entry to the data type the
// decoder gives it (clari/decode_json.go): a raw entry counts once per
// key present, null included, as the sink would write one row per key.
var rawValueKeys = [][2]string{
	{"forecastValue", clari.DataForecast},
	{"quotaValue", clari.DataQuota},
	{"isUpdated", clari.DataForecastUpdated},
	{"adjustmentValue", clari.DataAdjustment},
	{"aggregationTotal", clari.DataCRMTotal},
	{"crmTotalValue", clari.DataCRMTotal},
	{"crmClosedValue", clari.DataCRMClosed},
}

// rawKeysTable is rawValueKeys as a derived table k(json_key, data_type),
// spelled with UNION ALL, which every backend reads alike.
func rawKeysTable() string {
	parts := make([]string, len(rawValueKeys))
	for i, kv := range rawValueKeys {
		parts[i] = fmt.Sprintf("SELECT '%s' AS json_key, '%s' AS data_type", kv[0], kv[1])
	}
	return "(" + strings.Join(parts, " UNION ALL ") + ") k"
}

// rawEntries builds rawEntriesSQL from a dialect's JSON spelling: from
// is the FROM list that pairs each row t with its entries e, get(key) reads
// an entry's member as text, and has(key) says the member is there.
func rawEntries(r resolved, from string, get func(key string) string, has string) string {
	q := r.q
	return fmt.Sprintf("(SELECT t.%s AS %s, t.%s AS %s, %s AS %s, %s AS %s, %s AS %s, %s AS %s, k.data_type AS %s "+
		"FROM %s JOIN %s ON %s) w",
		q.forecast, q.forecast, q.loadedAt, q.loadedAt,
		get("timePeriodId"), q.period, get("timeFrameId"), q.timeFrame, get("userId"), q.user, get("fieldId"), q.field, q.dataType,
		from, rawKeysTable(), has)
}
