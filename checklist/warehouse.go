package checklist

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/clari-exporter/clari_exporter/config"
	"github.com/clari-exporter/clari_exporter/warehouse"
)

var errNoWarehouse = errors.New("no warehouse section in the configuration")

// openWarehouse connects without writing anything: unlike warehouse.Open,
// it never creates the sink's table (the audit only reads).
func (a *auditor) openWarehouse(ctx context.Context) (*warehouse.Warehouse, error) {
	wc := a.cfg.Warehouse
	if wc == nil {
		return nil, errNoWarehouse
	}
	if ps := a.problemAt("warehouse.dsn_file", "warehouse.dsn_env"); len(ps) > 0 && a.cfg.Secrets.WarehouseDSN == "" {
		return nil, errors.New(strings.TrimPrefix(ps[0].Error(), "config: "))
	}
	w, err := warehouse.New(*wc, a.cfg.Secrets.WarehouseDSN, a.o.Logger)
	if err != nil {
		return nil, err
	}
	if err := w.Ping(ctx); err != nil {
		w.Close()
		return nil, err
	}
	if err := w.ValidateSchema(ctx); err != nil {
		desc := w.Description()
		w.Close()
		return nil, fmt.Errorf("%s: %w", desc, err)
	}
	return w, nil
}

// checkWarehouseReachable: the warehouse answers and holds the configured
// table and columns (the reconciliation of item 23 needs it).
func (a *auditor) checkWarehouseReachable() Result {
	w, err := a.warehouse()
	switch {
	case errors.Is(err, errNoWarehouse):
		return result(CheckWarehouseReachable, Skip, err.Error())
	case err != nil:
		return result(CheckWarehouseReachable, Fail, err.Error())
	}
	return result(CheckWarehouseReachable, Pass, fmt.Sprintf("%s; table %s has every configured column", w.Description(), w.Table()))
}

// checkWarehouseUpsertKey: checklist item 17. Only a unique index or
// constraint on exactly the natural key stops duplicate forecast rows for
// good (and lets an upsert use it as its ON CONFLICT arbiter).
func (a *auditor) checkWarehouseUpsertKey(ctx context.Context) Result {
	w, err := a.warehouse()
	switch {
	case errors.Is(err, errNoWarehouse):
		return result(CheckWarehouseUpsertKey, Skip, err.Error())
	case err != nil:
		return result(CheckWarehouseUpsertKey, Skip, "warehouse not reachable (see warehouse_reachable)")
	}
	c := a.cfg.Warehouse.Columns
	key := strings.Join([]string{c.Forecast, c.Period, c.TimeFrame, c.User, c.Field, c.DataType}, ", ")
	if a.cfg.Warehouse.Grain == config.GrainRaw {
		return rawUpsertKey(ctx, w, key)
	}
	if !w.EnforcesUniqueKeys() {
		// Redshift: no constraint can stop a duplicate, so what counts is
		// whether the table holds any.
		keys, surplus, err := w.DuplicateKeys(ctx)
		if err != nil {
			return result(CheckWarehouseUpsertKey, Fail, deadlineDetail(ctx, err))
		}
		detail := fmt.Sprintf("table %s: %s enforces no unique constraint; the sink's delete+insert keeps one row per natural key (%s); %d keys duplicated (%d surplus rows)", w.Table(), w.Driver(), key, keys, surplus)
		if keys > 0 {
			return result(CheckWarehouseUpsertKey, Fail, detail+"; whatever else loads the table writes duplicates: deduplicate it and load only through the sink")
		}
		return result(CheckWarehouseUpsertKey, Pass, detail)
	}
	name, others, err := w.UniqueKeyIndex(ctx)
	if err != nil {
		return result(CheckWarehouseUpsertKey, Fail, deadlineDetail(ctx, err))
	}
	if name != "" {
		return result(CheckWarehouseUpsertKey, Pass, fmt.Sprintf("table %s: unique index %s on the natural key (%s)", w.Table(), name, key))
	}
	detail := fmt.Sprintf("table %s has no unique index or constraint on the natural key (%s)", w.Table(), key)
	if len(others) > 0 {
		detail += "; unique indexes present: " + strings.Join(others, ", ")
	}
	if keys, surplus, err := w.DuplicateKeys(ctx); err == nil {
		detail += fmt.Sprintf("; %d natural keys duplicated (%d surplus rows)", keys, surplus)
	}
	detail += fmt.Sprintf("; add one: ALTER TABLE %s ADD CONSTRAINT %s_natural_key UNIQUE (%s)", w.Table(), lastPart(w.Table()), key)
	return result(CheckWarehouseUpsertKey, Fail, detail)
}

// rawUpsertKey: a raw-grain table holds entries inside documents, where no
// constraint reaches, so what counts is whether they repeat a key. A
// pipeline that keeps every export repeats them by design and flattens
// downstream: a warning, not a failure.
func rawUpsertKey(ctx context.Context, w *warehouse.Warehouse, key string) Result {
	keys, surplus, err := w.DuplicateKeys(ctx)
	if err != nil {
		return result(CheckWarehouseUpsertKey, Fail, deadlineDetail(ctx, err))
	}
	detail := fmt.Sprintf("table %s is raw grain (one export document per row): no constraint reaches the entries inside; %d natural keys (%s) duplicated (%d surplus entries)", w.Table(), keys, key, surplus)
	if keys > 0 {
		return result(CheckWarehouseUpsertKey, Warn, detail+"; keep the newest updatedOn per key where the documents are flattened (e.g. dbt), or land only the newest export per forecast and period")
	}
	return result(CheckWarehouseUpsertKey, Pass, detail)
}

func lastPart(table string) string {
	if i := strings.LastIndexByte(table, '.'); i >= 0 {
		return table[i+1:]
	}
	return table
}

// checkWarehouseRetention: checklist item 18. The window must cover what
// the schedule keeps exported, and the table should hold nothing older.
func (a *auditor) checkWarehouseRetention(ctx context.Context) Result {
	wc := a.cfg.Warehouse
	if wc == nil {
		return result(CheckWarehouseRetention, Skip, errNoWarehouse.Error())
	}
	q := wc.Retention.Quarters
	for _, f := range a.cfg.Forecasts {
		if f.HistoricalQuarters+1 > q {
			return result(CheckWarehouseRetention, Fail, fmt.Sprintf("warehouse.retention.quarters %d is shorter than the %d quarters forecast %s keeps exported (current + %d): the window would drop periods the exporter still loads",
				q, f.HistoricalQuarters+1, f.ID, f.HistoricalQuarters))
		}
	}
	mode := "enforce off (report only)"
	if wc.Retention.Enforce {
		mode = "enforce on"
	}
	cal := a.cfg.FiscalCalendar
	if !cal.Known() {
		return result(CheckWarehouseRetention, Skip, fmt.Sprintf("rolling %d quarters, %s; table not checked: without fiscal_calendar only the exporter knows the current quarter's label "+
			"(learned from Clari); its retention run reports clari_warehouse_periods_beyond_retention", q, mode))
	}
	cur := cal.PeriodAt(a.now)
	window := fmt.Sprintf("rolling %d quarters (%s … %s), %s", q, cal.Shift(cur, -(q-1)).Label(), cur.Label(), mode)
	w, err := a.warehouse()
	if err != nil {
		return result(CheckWarehouseRetention, Warn, window+"; table not checked: warehouse not reachable (see warehouse_reachable)")
	}
	beyond, err := w.PeriodsBeyondRetention(ctx, cur.Label(), q)
	if err != nil {
		return result(CheckWarehouseRetention, Warn, window+"; table not checked: "+deadlineDetail(ctx, err))
	}
	if len(beyond) > 0 {
		what := "retention.enforce is off, so they stay"
		if wc.Retention.Enforce {
			what = "the exporter deletes them at its next warehouse check"
		}
		return result(CheckWarehouseRetention, Warn, fmt.Sprintf("%s; table %s holds %d period(s) beyond it (%s): %s", window, w.Table(), len(beyond), strings.Join(beyond, ", "), what))
	}
	return result(CheckWarehouseRetention, Pass, fmt.Sprintf("%s; table %s holds no period beyond it", window, w.Table()))
}
