package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/clari-exporter/clari_exporter/snapshot"
)

// Counter kinds in the counters table.
const (
	kindRuns     = "runs"
	kindFailures = "failures"
	kindRequeues = "requeues"
	kindSkips    = "skips"
	// kindDuplicateJobs counts extra Clari jobs found for one create intent
	// (each cancelled): clari_export_duplicate_jobs_total.
	kindDuplicateJobs = "duplicate_jobs"
)

// PutInFlight implements Store.
func (s *core) PutInFlight(ctx context.Context, f InFlight) error {
	if f.Forecast == "" || f.JobID == "" {
		return errors.New("store: in-flight job needs a forecast and a job id")
	}
	return s.write(ctx, func(tx txn) error {
		_, err := tx.exec(ctx, `INSERT INTO inflight (forecast, period, job_id, created_ns, request)
			VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (forecast, period) DO UPDATE SET
				job_id = excluded.job_id, created_ns = excluded.created_ns, request = excluded.request`,
			f.Forecast, f.Period, f.JobID, toNS(f.CreatedAt), f.Request)
		if err != nil {
			return fmt.Errorf("store: record in-flight job of %s/%s: %w", f.Forecast, f.Period, err)
		}
		// The job id is known: the target's create intent is resolved.
		if _, err := tx.exec(ctx, `DELETE FROM intents WHERE forecast = ? AND period = ?`, f.Forecast, f.Period); err != nil {
			return fmt.Errorf("store: resolve create intent of %s/%s: %w", f.Forecast, f.Period, err)
		}
		return nil
	})
}

// ClearInFlight implements Store.
func (s *core) ClearInFlight(ctx context.Context, forecast, period string) error {
	return s.write(ctx, func(tx txn) error {
		_, err := tx.exec(ctx, `DELETE FROM inflight WHERE forecast = ? AND period = ?`, forecast, period)
		if err != nil {
			return fmt.Errorf("store: clear in-flight job of %s/%s: %w", forecast, period, err)
		}
		return nil
	})
}

// RecordRequeue implements Store.
func (s *core) RecordRequeue(ctx context.Context, forecast, period string, at time.Time) error {
	if forecast == "" {
		return errors.New("store: requeue needs a forecast")
	}
	return s.write(ctx, func(tx txn) error {
		return bumpCounter(ctx, tx, forecast, period, kindRequeues, "", at)
	})
}

// RecordSkip implements Store.
func (s *core) RecordSkip(ctx context.Context, forecast, period, reason string, at time.Time) error {
	if forecast == "" || reason == "" {
		return errors.New("store: skip needs a forecast and a reason")
	}
	return s.write(ctx, func(tx txn) error {
		return bumpCounter(ctx, tx, forecast, period, kindSkips, reason, at)
	})
}

// RecordDuplicateJob implements Store.
func (s *core) RecordDuplicateJob(ctx context.Context, forecast, period string, at time.Time) error {
	if forecast == "" {
		return errors.New("store: duplicate job needs a forecast")
	}
	return s.write(ctx, func(tx txn) error {
		return bumpCounter(ctx, tx, forecast, period, kindDuplicateJobs, "", at)
	})
}

func bumpCounter(ctx context.Context, tx txn, forecast, period, kind, reason string, at time.Time) error {
	_, err := tx.exec(ctx, `INSERT INTO counters (forecast, period, kind, reason, value, updated_ns)
		VALUES (?, ?, ?, ?, 1, ?)
		ON CONFLICT (forecast, period, kind, reason) DO UPDATE SET
			value = counters.value + 1, updated_ns = excluded.updated_ns`,
		forecast, period, kind, reason, toNS(at))
	if err != nil {
		return fmt.Errorf("store: count %s of %s/%s: %w", kind, forecast, period, err)
	}
	return nil
}

// validateRun rejects what would corrupt the metrics rather than storing it.
func validateRun(run Run, snap *snapshot.Snapshot) error {
	switch {
	case run.Forecast == "":
		return errors.New("store: run has no forecast")
	case run.Outcome == "":
		return fmt.Errorf("store: run of %s/%s has no outcome", run.Forecast, run.Period)
	case run.FinishedAt.IsZero():
		return fmt.Errorf("store: run of %s/%s has no finish time", run.Forecast, run.Period)
	}
	if snap == nil {
		return nil
	}
	switch {
	case !run.Success():
		return fmt.Errorf("store: run of %s/%s ended %q but carries a snapshot; only successful runs have one", run.Forecast, run.Period, run.Outcome)
	case run.JobID == "":
		return fmt.Errorf("store: successful run of %s/%s has a snapshot but no job id", run.Forecast, run.Period)
	case snap.JobID != "" && snap.JobID != run.JobID:
		return fmt.Errorf("store: snapshot of job %q attached to run of job %q", snap.JobID, run.JobID)
	case snap.Forecast != run.Forecast || snap.Period != run.Period:
		return fmt.Errorf("store: snapshot of %s/%s attached to run of %s/%s", snap.Forecast, snap.Period, run.Forecast, run.Period)
	}
	return nil
}

// FinishRun implements Store. Everything happens in one transaction: after
// a crash either all of it (run row, counters, snapshot, last-run state,
// in-flight removal, pruning) is there, or none of it.
func (s *core) FinishRun(ctx context.Context, run Run, snap *snapshot.Snapshot) error {
	if err := validateRun(run, snap); err != nil {
		return err
	}
	dur := run.Duration
	if dur == 0 && !run.StartedAt.IsZero() {
		dur = max(run.FinishedAt.Sub(run.StartedAt), 0)
	}
	success := 0
	if run.Success() {
		success = 1
	}
	return s.write(ctx, func(tx txn) error {
		res, err := tx.exec(ctx, `INSERT INTO runs
			(job_id, forecast, period, outcome, success, started_ns, finished_ns, duration_ns, requeues, row_count, error_text)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (job_id) DO NOTHING`,
			nullString(run.JobID), run.Forecast, run.Period, run.Outcome, success,
			toNS(run.StartedAt), toNS(run.FinishedAt), int64(dur), run.Requeues, run.Rows, runError(run.Error))
		if err != nil {
			return fmt.Errorf("store: record run of %s/%s: %w", run.Forecast, run.Period, err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return fmt.Errorf("store: record run of %s/%s: %w", run.Forecast, run.Period, err)
		} else if n == 0 {
			return ErrAlreadyRecorded
		}
		if err := bumpCounter(ctx, tx, run.Forecast, run.Period, kindRuns, "", run.FinishedAt); err != nil {
			return err
		}
		if !run.Success() {
			if err := bumpCounter(ctx, tx, run.Forecast, run.Period, kindFailures, run.Outcome, run.FinishedAt); err != nil {
				return err
			}
		}
		if snap != nil {
			if err := insertSnapshot(ctx, tx, run.JobID, snap); err != nil {
				return err
			}
		}
		if err := updateTargetState(ctx, tx, run, dur, snap); err != nil {
			return err
		}
		if run.JobID != "" {
			if _, err := tx.exec(ctx, `DELETE FROM inflight WHERE forecast = ? AND period = ? AND job_id = ?`,
				run.Forecast, run.Period, run.JobID); err != nil {
				return fmt.Errorf("store: clear in-flight job of %s/%s: %w", run.Forecast, run.Period, err)
			}
		}
		return s.prune(ctx, tx, run.Forecast, run.Period)
	})
}

func insertSnapshot(ctx context.Context, tx txn, jobID string, snap *snapshot.Snapshot) error {
	wrap := func(err error) error {
		return fmt.Errorf("store: record snapshot of %s/%s: %w", snap.Forecast, snap.Period, err)
	}
	if _, err := tx.exec(ctx, `INSERT INTO snapshots
		(job_id, forecast, period, created_ns, row_count, duplicate_rows, latest_week)
		VALUES (?, ?, ?, ?, ?, ?, ?)`,
		jobID, snap.Forecast, snap.Period, toNS(snap.CreatedAt), snap.Rows, snap.DuplicateRows, snap.LatestWeek); err != nil {
		return wrap(err)
	}
	if len(snap.Totals) > 0 {
		stmt, err := tx.prepare(ctx, `INSERT INTO snapshot_totals (job_id, field, data_type, value) VALUES (?, ?, ?, ?)`)
		if err != nil {
			return wrap(err)
		}
		defer stmt.Close()
		for _, t := range snap.Totals {
			if _, err := stmt.ExecContext(ctx, jobID, t.Field, t.DataType, t.Value); err != nil {
				return wrap(fmt.Errorf("total %s/%s: %w", t.Field, t.DataType, err))
			}
		}
	}
	for p, n := range snap.RowsByPeriod {
		if _, err := tx.exec(ctx, `INSERT INTO snapshot_periods (job_id, period, row_count) VALUES (?, ?, ?)`,
			jobID, p, n); err != nil {
			return wrap(fmt.Errorf("rows of period %s: %w", p, err))
		}
	}
	for dt, n := range snap.RowsByDataType {
		if _, err := tx.exec(ctx, `INSERT INTO snapshot_data_types (job_id, data_type, row_count) VALUES (?, ?, ?)`,
			jobID, dt, n); err != nil {
			return wrap(fmt.Errorf("rows of data type %s: %w", dt, err))
		}
	}
	return nil
}

// updateTargetState moves the last-run gauges and the latest-snapshot
// pointer forward. A run that finished before the recorded last run (the
// runner finishing runs out of order) does not move them back.
func updateTargetState(ctx context.Context, tx txn, run Run, dur time.Duration, snap *snapshot.Snapshot) error {
	type state struct {
		lastRunNS, lastSuccessNS, durationNS int64
		lastRunSuccess                       int
		lastOutcome                          string
		latestJobID                          sql.NullString
		latestCreatedNS                      sql.NullInt64
	}
	var st state
	// Make sure the row exists, then read it (locking it where writers run
	// concurrently): two runs of one target finishing at once must not
	// overwrite each other's state.
	if _, err := tx.exec(ctx, `INSERT INTO target_state
		(forecast, period, last_run_ns, last_run_success, last_outcome, last_duration_ns, last_success_ns, latest_job_id)
		VALUES (?, ?, 0, 0, '', 0, 0, NULL) ON CONFLICT (forecast, period) DO NOTHING`, run.Forecast, run.Period); err != nil {
		return fmt.Errorf("store: create state of %s/%s: %w", run.Forecast, run.Period, err)
	}
	err := tx.queryRow(ctx, `SELECT t.last_run_ns, t.last_success_ns, t.last_duration_ns, t.last_run_success,
			t.last_outcome, t.latest_job_id, s.created_ns
		FROM target_state t LEFT JOIN snapshots s ON s.job_id = t.latest_job_id
		WHERE t.forecast = ? AND t.period = ?`+tx.d.lockState, run.Forecast, run.Period).
		Scan(&st.lastRunNS, &st.lastSuccessNS, &st.durationNS, &st.lastRunSuccess, &st.lastOutcome, &st.latestJobID, &st.latestCreatedNS)
	if err != nil {
		return fmt.Errorf("store: read state of %s/%s: %w", run.Forecast, run.Period, err)
	}
	finished := toNS(run.FinishedAt)
	if finished >= st.lastRunNS {
		st.lastRunNS = finished
		st.durationNS = int64(dur)
		st.lastOutcome = run.Outcome
		st.lastRunSuccess = 0
		if run.Success() {
			st.lastRunSuccess = 1
		}
	}
	if run.Success() && finished > st.lastSuccessNS {
		st.lastSuccessNS = finished
	}
	if snap != nil && (!st.latestJobID.Valid || !st.latestCreatedNS.Valid || toNS(snap.CreatedAt) >= st.latestCreatedNS.Int64) {
		st.latestJobID = sql.NullString{String: run.JobID, Valid: true}
	}
	_, err = tx.exec(ctx, `INSERT INTO target_state
		(forecast, period, last_run_ns, last_run_success, last_outcome, last_duration_ns, last_success_ns, latest_job_id)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (forecast, period) DO UPDATE SET
			last_run_ns = excluded.last_run_ns,
			last_run_success = excluded.last_run_success,
			last_outcome = excluded.last_outcome,
			last_duration_ns = excluded.last_duration_ns,
			last_success_ns = excluded.last_success_ns,
			latest_job_id = excluded.latest_job_id`,
		run.Forecast, run.Period, st.lastRunNS, st.lastRunSuccess, st.lastOutcome, st.durationNS, st.lastSuccessNS, st.latestJobID)
	if err != nil {
		return fmt.Errorf("store: write state of %s/%s: %w", run.Forecast, run.Period, err)
	}
	return nil
}

// prune deletes runs (and, by cascade, their snapshots) beyond the newest
// runsPerTarget of the target, except the run of the latest snapshot.
// Counters live in their own table and are untouched.
func (s *core) prune(ctx context.Context, tx txn, forecast, period string) error {
	if s.runsPerTarget <= 0 {
		return nil
	}
	_, err := tx.exec(ctx, `DELETE FROM runs
		WHERE forecast = ? AND period = ?
		  AND finished_ns < (SELECT r.finished_ns FROM runs r WHERE r.forecast = ? AND r.period = ?
		                     ORDER BY r.finished_ns DESC LIMIT 1 OFFSET ?)
		  AND (job_id IS NULL OR job_id NOT IN (
		        SELECT t.latest_job_id FROM target_state t
		        WHERE t.forecast = ? AND t.period = ? AND t.latest_job_id IS NOT NULL))`,
		forecast, period, forecast, period, s.runsPerTarget-1, forecast, period)
	if err != nil {
		return fmt.Errorf("store: prune runs of %s/%s: %w", forecast, period, err)
	}
	return nil
}

func nullString(s string) sql.NullString { return sql.NullString{String: s, Valid: s != ""} }

// toNS converts a time to Unix nanoseconds; the zero time is stored as 0.
func toNS(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

// fromNS is the inverse of toNS; results are UTC.
func fromNS(ns int64) time.Time {
	if ns == 0 {
		return time.Time{}
	}
	return time.Unix(0, ns).UTC()
}

// runError is err cut to MaxRunError bytes, on a character boundary.
func runError(err string) string {
	if len(err) <= MaxRunError {
		return err
	}
	cut := MaxRunError
	for cut > 0 && !utf8.RuneStart(err[cut]) {
		cut--
	}
	return err[:cut]
}
