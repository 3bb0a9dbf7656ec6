package warehouse

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/clari-exporter/clari_exporter/clari"
)

// stageTable is the per-connection temporary table PostgreSQL batches are
// copied into before the upsert. ON COMMIT DELETE ROWS empties it at the
// end of every batch transaction.
const stageTable = "clari_sink_stage"

// flushPostgresCopy writes one batch through COPY: COPY into the stage
// table, then one INSERT … SELECT … ON CONFLICT into the target, all in one
// transaction on one connection. COPY avoids sending and planning a
// multi-row VALUES statement with tens of thousands of parameters.
func (s *Sink) flushPostgresCopy(ctx context.Context, what string, forecast string, batch []clari.Entry, loadedAt time.Time, hook func() error) error {
	w := s.w
	ctx, cancel := context.WithTimeout(ctx, w.r.statementTimeout+2*time.Second)
	defer cancel()
	conn, err := w.db.Conn(ctx)
	if err != nil {
		return w.t.wrap(what, err)
	}
	defer conn.Close()
	err = conn.Raw(func(dc any) error {
		pc := dc.(*stdlib.Conn).Conn()
		tx, err := pc.Begin(ctx)
		if err != nil {
			return err
		}
		defer tx.Rollback(context.WithoutCancel(ctx)) //nolint:errcheck // no-op after Commit
		if _, err := tx.Exec(ctx, "SELECT set_config('statement_timeout', $1, true)", fmt.Sprintf("%dms", w.r.statementTimeout.Milliseconds())); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, s.stageDDL()); err != nil {
			var pe *pgconn.PgError
			if errors.As(err, &pe) && pe.Code == "42501" { // insufficient_privilege
				return errNoTempTable
			}
			return err
		}
		loaded := loadedAt.UTC()
		i := 0
		src := pgx.CopyFromFunc(func() ([]any, error) {
			if i >= len(batch) {
				return nil, nil
			}
			e := &batch[i]
			i++
			var v any
			if e.HasValue {
				v = e.Value
			}
			return []any{forecast, e.TimePeriodID, e.TimeFrameID, e.UserID, e.FieldID, e.DataType, v, e.UpdatedOn, loaded}, nil
		})
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{stageTable}, s.w.r.columnNames(), src); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, s.mergeFromStageSQL()); err != nil {
			return fmt.Errorf("%w (the upsert needs a primary key or unique constraint on exactly %s)", err, strings.ReplaceAll(w.r.q.keyList(), `"`, ""))
		}
		if hook != nil {
			if err := hook(); err != nil {
				return err
			}
		}
		return tx.Commit(ctx)
	})
	if errors.Is(err, errNoTempTable) {
		return errNoTempTable
	}
	if err != nil {
		return w.t.wrap(what, err)
	}
	return nil
}

// errNoTempTable says the role may not create temporary tables; the sink
// then falls back to the multi-row VALUES upsert.
var errNoTempTable = errors.New("warehouse: no privilege to create the temporary stage table")

// stageDDL creates the stage table with the target's column types (LIKE),
// restricted to the configured columns by the COPY column list.
func (s *Sink) stageDDL() string {
	if s.stageDDLForTest != "" {
		return s.stageDDLForTest
	}
	return fmt.Sprintf("CREATE TEMP TABLE IF NOT EXISTS %s (LIKE %s INCLUDING DEFAULTS) ON COMMIT DELETE ROWS", quoteIdent(stageTable), s.w.r.qtable)
}

// mergeFromStageSQL moves the stage into the target with the same
// latest-wins rule as the VALUES upsert.
func (s *Sink) mergeFromStageSQL() string {
	q := s.w.r.q
	cols := strings.Join(q.all(), ", ")
	return fmt.Sprintf("INSERT INTO %s AS w (%s) SELECT %s FROM %s ON CONFLICT (%s) DO UPDATE SET %s = excluded.%s, %s = excluded.%s, %s = excluded.%s WHERE excluded.%s >= w.%s",
		s.w.r.qtable, cols, cols, quoteIdent(stageTable), q.keyList(),
		q.value, q.value, q.updatedOn, q.updatedOn, q.loadedAt, q.loadedAt, q.updatedOn, q.updatedOn)
}
