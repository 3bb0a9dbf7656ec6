package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/clari-exporter/clari_exporter/snapshot"
)

// InFlight implements Store.
func (s *core) InFlight(ctx context.Context) ([]InFlight, error) {
	var out []InFlight
	err := s.read(ctx, func(tx txn) error {
		rows, err := tx.query(ctx, `SELECT forecast, period, job_id, created_ns, request
			FROM inflight ORDER BY forecast, period`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var f InFlight
			var created int64
			if err := rows.Scan(&f.Forecast, &f.Period, &f.JobID, &created, &f.Request); err != nil {
				return err
			}
			f.CreatedAt = fromNS(created)
			out = append(out, f)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("store: list in-flight jobs: %w", err)
	}
	return out, nil
}

// runColumns are the columns scanRun reads, after any it is given first.
const runColumns = `job_id, outcome, started_ns, finished_ns, duration_ns, requeues, row_count, error_text`

// scanRun scans one row of lead... then runColumns into r.
func scanRun(rows *sql.Rows, r *Run, lead ...any) error {
	var job sql.NullString
	var started, finished, dur int64
	if err := rows.Scan(append(lead, &job, &r.Outcome, &started, &finished, &dur, &r.Requeues, &r.Rows, &r.Error)...); err != nil {
		return err
	}
	r.JobID = job.String
	r.StartedAt, r.FinishedAt, r.Duration = fromNS(started), fromNS(finished), time.Duration(dur)
	return nil
}

// Runs implements Store.
func (s *core) Runs(ctx context.Context, forecast, period string, n int) ([]Run, error) {
	if n <= 0 {
		return nil, nil
	}
	var out []Run
	err := s.read(ctx, func(tx txn) error {
		rows, err := tx.query(ctx, `SELECT `+runColumns+`
			FROM runs WHERE forecast = ? AND period = ?
			ORDER BY finished_ns DESC, id DESC LIMIT ?`, forecast, period, n)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			r := Run{Forecast: forecast, Period: period}
			if err := scanRun(rows, &r); err != nil {
				return err
			}
			out = append(out, r)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("store: list runs of %s/%s: %w", forecast, period, err)
	}
	return out, nil
}

// RecentRuns implements Store: one query, whatever the number of targets.
func (s *core) RecentRuns(ctx context.Context, n int) ([]Run, error) {
	if n <= 0 {
		return nil, nil
	}
	var out []Run
	err := s.read(ctx, func(tx txn) error {
		rows, err := tx.query(ctx, `SELECT forecast, period, `+runColumns+` FROM (
				SELECT forecast, period, `+runColumns+`, id,
					ROW_NUMBER() OVER (PARTITION BY forecast, period ORDER BY finished_ns DESC, id DESC) AS newness
				FROM runs) ranked
			WHERE newness <= ?
			ORDER BY forecast, period, finished_ns DESC, id DESC`, n)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var r Run
			if err := scanRun(rows, &r, &r.Forecast, &r.Period); err != nil {
				return err
			}
			out = append(out, r)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("store: list recent runs: %w", err)
	}
	return out, nil
}

// latestJobs selects the job id of every target's latest snapshot.
const latestJobs = `SELECT latest_job_id FROM target_state WHERE latest_job_id IS NOT NULL`

// LatestSnapshots implements Store.
func (s *core) LatestSnapshots(ctx context.Context) ([]snapshot.Snapshot, error) {
	var out []snapshot.Snapshot
	err := s.read(ctx, func(tx txn) error {
		var err error
		out, err = loadSnapshots(ctx, tx, latestJobs)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("store: read latest snapshots: %w", err)
	}
	sortSnapshotsByTarget(out)
	return out, nil
}

// SnapshotHistory implements Store.
func (s *core) SnapshotHistory(ctx context.Context, forecast, period string, n int) ([]snapshot.Snapshot, error) {
	if n <= 0 {
		return nil, nil
	}
	var out []snapshot.Snapshot
	err := s.read(ctx, func(tx txn) error {
		var err error
		out, err = loadSnapshots(ctx, tx, `SELECT job_id FROM snapshots WHERE forecast = ? AND period = ?
			ORDER BY created_ns DESC, job_id DESC LIMIT ?`, forecast, period, n)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("store: read snapshot history of %s/%s: %w", forecast, period, err)
	}
	slices.SortFunc(out, func(a, b snapshot.Snapshot) int {
		if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(a.JobID, b.JobID)
	})
	return out, nil
}

// loadSnapshots reads the snapshots whose job ids the subquery jobs (with
// args) selects, with their totals and per-period rows: three indexed
// queries whatever the number of snapshots.
func loadSnapshots(ctx context.Context, tx txn, jobs string, args ...any) ([]snapshot.Snapshot, error) {
	rows, err := tx.query(ctx, `SELECT job_id, forecast, period, created_ns, row_count, duplicate_rows, latest_week
		FROM snapshots WHERE job_id IN (`+jobs+`)`, args...)
	if err != nil {
		return nil, err
	}
	var out []snapshot.Snapshot
	byJob := make(map[string]int)
	for rows.Next() {
		var sn snapshot.Snapshot
		var created int64
		if err := rows.Scan(&sn.JobID, &sn.Forecast, &sn.Period, &created, &sn.Rows, &sn.DuplicateRows, &sn.LatestWeek); err != nil {
			rows.Close()
			return nil, err
		}
		sn.CreatedAt = fromNS(created)
		sn.RowsByPeriod = make(map[string]int)
		byJob[sn.JobID] = len(out)
		out = append(out, sn)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, nil
	}

	rows, err = tx.query(ctx, `SELECT job_id, field, data_type, value FROM snapshot_totals
		WHERE job_id IN (`+jobs+`) ORDER BY job_id, field, data_type`, args...)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var job string
		var t snapshot.Total
		if err := rows.Scan(&job, &t.Field, &t.DataType, &t.Value); err != nil {
			rows.Close()
			return nil, err
		}
		if i, ok := byJob[job]; ok {
			out[i].Totals = append(out[i].Totals, t)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}

	rows, err = tx.query(ctx, `SELECT job_id, period, row_count FROM snapshot_periods
		WHERE job_id IN (`+jobs+`) ORDER BY job_id, period`, args...)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var job, period string
		var n int
		if err := rows.Scan(&job, &period, &n); err != nil {
			rows.Close()
			return nil, err
		}
		if i, ok := byJob[job]; ok {
			out[i].Periods = append(out[i].Periods, period)
			out[i].RowsByPeriod[period] = n
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}

	// Snapshots stored before the table existed have no rows here: their
	// RowsByDataType stays nil (unknown), not a map of zeros.
	rows, err = tx.query(ctx, `SELECT job_id, data_type, row_count FROM snapshot_data_types
		WHERE job_id IN (`+jobs+`) ORDER BY job_id, data_type`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var job, dt string
		var n int
		if err := rows.Scan(&job, &dt, &n); err != nil {
			return nil, err
		}
		if i, ok := byJob[job]; ok {
			if out[i].RowsByDataType == nil {
				out[i].RowsByDataType = make(map[string]int)
			}
			out[i].RowsByDataType[dt] = n
		}
	}
	return out, rows.Err()
}

func sortSnapshotsByTarget(ss []snapshot.Snapshot) {
	slices.SortFunc(ss, func(a, b snapshot.Snapshot) int {
		if c := strings.Compare(a.Forecast, b.Forecast); c != 0 {
			return c
		}
		return strings.Compare(a.Period, b.Period)
	})
}

// TargetStates implements Store. It reads the per-target state rows, the
// counters and the latest snapshots in one consistent read transaction:
// O(targets + counters + latest totals) rows, all by primary key.
func (s *core) TargetStates(ctx context.Context) ([]TargetState, error) {
	return s.targetStates(ctx, "", nil)
}

// TargetState implements Store: TargetStates of one target, by primary
// key, so its cost does not grow with the number of targets.
func (s *core) TargetState(ctx context.Context, forecast, period string) (TargetState, error) {
	states, err := s.targetStates(ctx, " AND forecast = ? AND period = ?", []any{forecast, period})
	if err != nil || len(states) == 0 {
		return TargetState{Forecast: forecast, Period: period, Failures: map[string]uint64{}, Skips: map[string]uint64{}}, err
	}
	return states[0], nil
}

// targetStates reads the targets matching and (a condition on forecast and
// period starting with " AND ", with its args; "" for all).
func (s *core) targetStates(ctx context.Context, and string, args []any) ([]TargetState, error) {
	states := make(map[TargetKey]*TargetState)
	get := func(f, p string) *TargetState {
		k := TargetKey{f, p}
		st, ok := states[k]
		if !ok {
			st = &TargetState{Forecast: f, Period: p, Failures: map[string]uint64{}, Skips: map[string]uint64{}}
			states[k] = st
		}
		return st
	}
	err := s.read(ctx, func(tx txn) error {
		rows, err := tx.query(ctx, `SELECT forecast, period, last_run_ns, last_run_success, last_outcome,
			last_duration_ns, last_success_ns FROM target_state WHERE true`+and, args...)
		if err != nil {
			return err
		}
		for rows.Next() {
			var f, p, outcome string
			var lastRun, lastSuccess, dur int64
			var success int
			if err := rows.Scan(&f, &p, &lastRun, &success, &outcome, &dur, &lastSuccess); err != nil {
				rows.Close()
				return err
			}
			st := get(f, p)
			st.LastRun, st.LastSuccess = fromNS(lastRun), fromNS(lastSuccess)
			st.LastRunSuccess, st.LastOutcome, st.LastDuration = success == 1, outcome, time.Duration(dur)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}

		rows, err = tx.query(ctx, `SELECT forecast, period, kind, reason, value FROM counters WHERE true`+and, args...)
		if err != nil {
			return err
		}
		for rows.Next() {
			var f, p, kind, reason string
			var v int64
			if err := rows.Scan(&f, &p, &kind, &reason, &v); err != nil {
				rows.Close()
				return err
			}
			st := get(f, p)
			switch kind {
			case kindRuns:
				st.Runs += uint64(v)
			case kindFailures:
				st.Failures[reason] += uint64(v)
			case kindRequeues:
				st.Requeues += uint64(v)
			case kindSkips:
				st.Skips[reason] += uint64(v)
			case kindDuplicateJobs:
				st.DuplicateJobs += uint64(v)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}

		snaps, err := loadSnapshots(ctx, tx, latestJobs+and, args...)
		if err != nil {
			return err
		}
		for i := range snaps {
			get(snaps[i].Forecast, snaps[i].Period).Latest = &snaps[i]
		}
		return nil
	})
	if err != nil {
		if errors.Is(err, ErrClosed) {
			return nil, err
		}
		return nil, fmt.Errorf("store: read target states: %w", err)
	}
	out := make([]TargetState, 0, len(states))
	for _, st := range states {
		out = append(out, *st)
	}
	slices.SortFunc(out, func(a, b TargetState) int {
		if c := strings.Compare(a.Forecast, b.Forecast); c != 0 {
			return c
		}
		return strings.Compare(a.Period, b.Period)
	})
	return out, nil
}
