package warehouse

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"iter"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-kit/log/level"

	"github.com/clari-exporter/clari_exporter/clari"
)

// Bind-parameter limits per statement: PostgreSQL's protocol allows 65535,
// SQLite (≥ 3.32) 32766.
const (
	maxParamsPostgres = 65535
	maxParamsSQLite   = 32766
	paramsPerRow      = 10
)

// Sink upserts export entries into the warehouse table: one row per
// natural key (forecast, period, time frame, user, field, data type), the
// entry with the newest updated_on wins (ties: the later load wins), a row
// whose value and updated_on are unchanged is not written at all.
//
// A load streams: entries are staged as they are decoded (see stage) and,
// once the export is known to be good, merged into the table one
// transaction per sink_batch_size rows, so a crash leaves only whole
// batches behind, and re-running a load is idempotent. Nothing holds the
// export in memory. A PostgreSQL role that may not create temporary tables
// falls back to upserting each batch as it fills (multi-row VALUES).
type Sink struct {
	w         *Warehouse
	batchSize int

	stmtMu sync.Mutex
	stmts  map[int]string // upsert SQL by row count

	// valuesOnPostgres makes PostgreSQL use the multi-row VALUES upsert
	// instead of staging with COPY: set by benchmarks to compare, and once
	// the role turns out not to be allowed temporary tables.
	valuesOnPostgres atomic.Bool

	// stageDDLForTest replaces the stage table DDL (tests).
	stageDDLForTest string

	// beforeCommit, when set (tests), runs inside each batch's transaction
	// after its rows are written and before commit; an error aborts the
	// batch as a crash would. batch counts from 1 per load.
	beforeCommit func(batch int) error
}

// NewSink returns the sink writing w's table.
func NewSink(w *Warehouse) *Sink {
	return &Sink{w: w, batchSize: w.r.batchSize, stmts: map[int]string{}}
}

// BatchSize is warehouse.sink_batch_size with its default applied.
func (s *Sink) BatchSize() int { return s.batchSize }

// Write loads entries of one export of forecast, stamped loadedAt, and
// keeps them. It returns the rows written (distinct keys per batch). On
// error, the batches before the failing one are committed and the failing
// one left nothing.
func (s *Sink) Write(ctx context.Context, forecast string, entries iter.Seq[clari.Entry], loadedAt time.Time) (int, error) {
	l := s.NewLoad(forecast, loadedAt)
	for e := range entries {
		if err := l.Add(ctx, &e); err != nil {
			l.End(ctx, false) //nolint:errcheck // the Add error is the one to report
			return l.rows, err
		}
	}
	return l.End(ctx, true)
}

// WriteSlice is Write for a slice.
func (s *Sink) WriteSlice(ctx context.Context, forecast string, entries []clari.Entry, loadedAt time.Time) (int, error) {
	return s.Write(ctx, forecast, slices.Values(entries), loadedAt)
}

// Begin starts the streaming load of one export of forecast (the runner's
// hand-off): add stages each decoded entry, end(keep) merges what was
// staged into the table (keep) or discards it (the export failed or failed
// its guards).
func (s *Sink) Begin(ctx context.Context, forecast string, loadedAt time.Time) (add func(*clari.Entry) error, end func(ctx context.Context, keep bool) (int, error)) {
	l := s.NewLoad(forecast, loadedAt)
	return func(e *clari.Entry) error { return l.Add(ctx, e) }, l.End
}

// Load is one streaming write: Add entries as a decoder produces them
// (clari.Visitor's Entry func), then End. Not safe for concurrent use.
type Load struct {
	s        *Sink
	forecast string
	loadedAt time.Time
	started  bool
	stage    stager // nil before the first entry and on the VALUES path
	ended    bool

	// The VALUES path: the batch being filled.
	batch []clari.Entry
	index map[entryKey]int // natural key → position in batch

	batches   int
	rows      int
	conflicts int // rows left alone: their key is stored in another currency
	start     time.Time
	err       error
}

type entryKey struct{ period, timeFrame, user, field, dataType string }

// NewLoad starts a streaming write of one export of forecast.
func (s *Sink) NewLoad(forecast string, loadedAt time.Time) *Load {
	return &Load{s: s, forecast: forecast, loadedAt: loadedAt, start: time.Now()}
}

// Add stages e (the caller may reuse it). The first entry creates the
// stage.
func (l *Load) Add(ctx context.Context, e *clari.Entry) error {
	if l.err != nil {
		return l.err
	}
	if !l.started {
		l.started = true
		if err := l.open(ctx); err != nil {
			l.err = err
			return err
		}
	}
	if l.stage != nil {
		if err := l.stage.add(ctx, e); err != nil {
			l.err = err
			return err
		}
		return nil
	}
	return l.addValues(ctx, e)
}

func (l *Load) open(ctx context.Context) error {
	s := l.s
	if s.w.r.driver == DriverPostgres && s.valuesOnPostgres.Load() {
		return nil
	}
	st, err := s.w.d.openStage(ctx, s, l.forecast, l.loadedAt)
	if errors.Is(err, errNoTempTable) {
		level.Warn(s.w.logger).Log("msg", "warehouse sink: the role may not create temporary tables (GRANT TEMPORARY ON DATABASE … TO …); upserting each batch as it is decoded with the slower multi-row VALUES statement") //nolint:errcheck
		s.valuesOnPostgres.Store(true)
		return nil
	}
	l.stage = st
	return err
}

// addValues is Add on the VALUES path: e goes into the current batch,
// which is upserted when full. A natural key seen twice in a batch keeps
// the entry with the newest UpdatedOn (ties: the later one), as the upsert
// would.
func (l *Load) addValues(ctx context.Context, e *clari.Entry) error {
	if l.index == nil {
		l.batch = make([]clari.Entry, 0, l.s.batchSize)
		l.index = make(map[entryKey]int, l.s.batchSize)
	}
	k := entryKey{e.TimePeriodID, e.TimeFrameID, e.UserID, e.FieldID, e.DataType}
	if i, dup := l.index[k]; dup {
		if e.UpdatedOn >= l.batch[i].UpdatedOn {
			l.batch[i] = *e
		}
		return nil
	}
	l.index[k] = len(l.batch)
	l.batch = append(l.batch, *e)
	if len(l.batch) >= l.s.batchSize {
		return l.flush(ctx)
	}
	return nil
}

// Finish is End(ctx, true).
func (l *Load) Finish(ctx context.Context) (int, error) { return l.End(ctx, true) }

// End completes the load: with keep, what was staged is merged into the
// table (the VALUES path writes its last batch); without, it is dropped.
// It returns the rows written. A second End does nothing.
func (l *Load) End(ctx context.Context, keep bool) (int, error) {
	if l.ended {
		return l.rows, l.err
	}
	l.ended = true
	if st := l.stage; st != nil {
		if err := st.endStaging(ctx); err != nil && l.err == nil {
			l.err = err
		}
		if keep && l.err == nil {
			var hook func(int) error
			if l.s.beforeCommit != nil {
				hook = l.s.beforeCommit
			}
			l.rows, l.batches, l.err = st.merge(ctx, l.forecast, l.s.batchSize, hook)
			l.conflicts = st.currencyConflicts()
		}
		st.release()
	} else if keep && l.err == nil && len(l.batch) > 0 {
		l.flush(ctx) //nolint:errcheck // kept in l.err
	}
	w := l.s.w
	if l.err != nil || (keep && l.started) {
		w.recordLoad(l.forecast, l.err != nil, l.conflicts)
	}
	if l.conflicts > 0 {
		level.Warn(w.logger).Log("msg", "warehouse sink: rows whose key the table holds in another currency were not overwritten", //nolint:errcheck
			"forecast", l.forecast, "rows", l.conflicts, "column", w.r.cols.Currency)
	}
	switch {
	case l.err != nil:
		level.Error(w.logger).Log("msg", "warehouse sink load failed", "forecast", l.forecast, "rows_committed", l.rows, "batches_committed", l.batches, "err", l.err) //nolint:errcheck
	case !keep:
		level.Info(w.logger).Log("msg", "warehouse sink load discarded", "forecast", l.forecast, "rows_committed", l.rows) //nolint:errcheck
	default:
		level.Info(w.logger).Log("msg", "warehouse sink load done", "forecast", l.forecast, "rows", l.rows, "batches", l.batches, "duration", time.Since(l.start)) //nolint:errcheck
	}
	return l.rows, l.err
}

func (l *Load) flush(ctx context.Context) error {
	s := l.s
	if err := s.w.EnsureTable(ctx); err != nil {
		l.err = err
		return err
	}
	n := l.batches + 1
	what := fmt.Sprintf("sink batch %d of forecast %q", n, l.forecast)
	var hook func() error
	if s.beforeCommit != nil {
		hook = func() error { return s.beforeCommit(n) }
	}
	err := s.w.tx(ctx, what, false, s.w.r.statementTimeout, func(ctx context.Context, tx *sql.Tx) error {
		if err := s.writeBatch(ctx, tx, l.forecast, l.batch, l.loadedAt); err != nil {
			return err
		}
		if hook != nil {
			return hook()
		}
		return nil
	})
	if err != nil {
		l.err = err
		return err
	}
	l.batches = n
	l.rows += len(l.batch)
	l.batch = l.batch[:0]
	clear(l.index)
	return nil
}

// writeBatch sends batch as multi-row upserts, as many rows per statement
// as the driver's parameter limit allows.
func (s *Sink) writeBatch(ctx context.Context, tx *sql.Tx, forecast string, batch []clari.Entry, loadedAt time.Time) error {
	maxRows := maxParamsPostgres / paramsPerRow
	var loaded any = loadedAt.UTC()
	if s.w.r.driver == DriverSQLite {
		maxRows = maxParamsSQLite / paramsPerRow
		loaded = loadedAt.UnixMilli()
	}
	args := make([]any, 0, min(len(batch), maxRows)*paramsPerRow)
	for len(batch) > 0 {
		chunk := batch[:min(len(batch), maxRows)]
		batch = batch[len(chunk):]
		args = args[:0]
		for i := range chunk {
			e := &chunk[i]
			var v any
			if e.HasValue {
				v = e.Value
			}
			args = append(args, forecast, e.TimePeriodID, e.TimeFrameID, e.UserID, e.FieldID, e.DataType, v, e.UpdatedOn, loaded, e.Currency)
		}
		if _, err := tx.ExecContext(ctx, s.upsertSQL(len(chunk)), args...); err != nil {
			if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
				return err
			}
			return fmt.Errorf("%w (the upsert needs a primary key or unique constraint on exactly %s)", err, strings.ReplaceAll(s.w.r.q.keyList(), `"`, ""))
		}
	}
	return nil
}

// upsertSQL is the multi-row upsert for n rows:
//
//	INSERT INTO t AS w (cols) VALUES (...), ... ON CONFLICT … (conflictAction)
//
// (PostgreSQL only: SQLite always stages.)
func (s *Sink) upsertSQL(n int) string {
	s.stmtMu.Lock()
	defer s.stmtMu.Unlock()
	if q, ok := s.stmts[n]; ok {
		return q
	}
	q := s.w.r.q
	var b strings.Builder
	fmt.Fprintf(&b, "INSERT INTO %s AS w (%s) VALUES ", s.w.r.qtable, strings.Join(q.all(), ", "))
	p := 1
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('(')
		for j := range paramsPerRow {
			if j > 0 {
				b.WriteByte(',')
			}
			b.WriteString(s.w.ph(p))
			p++
		}
		b.WriteByte(')')
	}
	b.WriteByte(' ')
	b.WriteString(conflictAction(q, "IS DISTINCT FROM"))
	sql := b.String()
	if len(s.stmts) < 8 {
		s.stmts[n] = sql
	}
	return sql
}
