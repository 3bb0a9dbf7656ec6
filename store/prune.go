package store

import (
	"context"
	"fmt"
	"time"
)

// TargetKey names a (forecast, period) target.
type TargetKey struct{ Forecast, Period string }

// PruneDeparted implements Store. It looks at every target the store
// holds anything of once, in the transaction that deletes, so a run being
// recorded meanwhile either counts as activity or waits.
func (s *core) PruneDeparted(ctx context.Context, keep []TargetKey, before time.Time) ([]TargetKey, error) {
	configured := make(map[TargetKey]bool, len(keep))
	for _, k := range keep {
		configured[k] = true
	}
	var pruned []TargetKey
	err := s.write(ctx, func(tx txn) error {
		// The newest activity per target: runs, counters (skips and
		// requeues count too) and its state row. In-flight jobs and create
		// intents are never pruned: a job Clari runs has cost its quota
		// and is resumed wherever it is configured.
		rows, err := tx.query(ctx, `SELECT forecast, period, max(at) FROM (
				SELECT forecast, period, finished_ns AS at FROM runs
				UNION ALL SELECT forecast, period, updated_ns FROM counters
				UNION ALL SELECT forecast, period, last_run_ns FROM target_state
			) a
			WHERE NOT EXISTS (SELECT 1 FROM inflight i WHERE i.forecast = a.forecast AND i.period = a.period)
			  AND NOT EXISTS (SELECT 1 FROM intents n WHERE n.forecast = a.forecast AND n.period = a.period)
			GROUP BY forecast, period ORDER BY forecast, period`)
		if err != nil {
			return fmt.Errorf("store: list targets to prune: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var k TargetKey
			var last int64
			if err := rows.Scan(&k.Forecast, &k.Period, &last); err != nil {
				return fmt.Errorf("store: list targets to prune: %w", err)
			}
			if !configured[k] && last < toNS(before) {
				pruned = append(pruned, k)
			}
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("store: list targets to prune: %w", err)
		}
		rows.Close()
		for _, k := range pruned {
			// target_state first: it points at a snapshot; deleting the
			// runs deletes the snapshots and their totals and periods.
			for _, table := range []string{"target_state", "runs", "counters"} {
				if _, err := tx.exec(ctx, `DELETE FROM `+table+` WHERE forecast = ? AND period = ?`, k.Forecast, k.Period); err != nil {
					return fmt.Errorf("store: prune %s of departed target %s/%s: %w", table, k.Forecast, k.Period, err)
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return pruned, nil
}
