package warehouse

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/go-kit/log/level"
)

// EnforceRetention finds the periods beyond the window of `quarters`
// quarters ending with currentPeriod and counts their rows (wouldDelete,
// always computed, logged, and meant for a metric). Only when enforce is
// true does it delete them: one transaction per period, so a failure part
// way keeps whole periods, and a re-run finishes the job.
func (w *Warehouse) EnforceRetention(ctx context.Context, currentPeriod string, quarters int, enforce bool) (wouldDelete int64, deleted int64, err error) {
	old, err := w.PeriodsBeyondRetention(ctx, currentPeriod, quarters)
	if err != nil {
		return 0, 0, err
	}
	if len(old) == 0 {
		return 0, 0, nil
	}
	counts := make(map[string]int64, len(old))
	count := w.d.periodRowsSQL(w.r)
	err = w.readTx(ctx, "retention dry run", func(ctx context.Context, tx *sql.Tx) error {
		for _, p := range old {
			var n int64
			if err := tx.QueryRowContext(ctx, count, p).Scan(&n); err != nil {
				return err
			}
			counts[p] = n
			wouldDelete += n
		}
		return nil
	})
	if err != nil {
		return 0, 0, err
	}
	level.Info(w.logger).Log("msg", "warehouse retention", "current_period", currentPeriod, "quarters", quarters, //nolint:errcheck
		"periods_beyond", strings.Join(old, ","), "rows_beyond", wouldDelete, "enforce", enforce)
	if !enforce {
		return wouldDelete, 0, nil
	}
	del := w.d.deletePeriodSQL(w.r)
	for _, p := range old {
		var n int64
		err := w.tx(ctx, fmt.Sprintf("retention delete of period %q", p), false, w.r.statementTimeout, func(ctx context.Context, tx *sql.Tx) error {
			res, err := tx.ExecContext(ctx, del, p)
			if err != nil {
				return err
			}
			n, err = res.RowsAffected()
			return err
		})
		if err != nil {
			return wouldDelete, deleted, err
		}
		deleted += n
	}
	level.Info(w.logger).Log("msg", "warehouse retention enforced", "rows_deleted", deleted) //nolint:errcheck
	return wouldDelete, deleted, nil
}
