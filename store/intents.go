package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// PutIntent implements Store. The insert does nothing on a conflict with
// the target's existing intent, so two writers racing for one target (two
// leaders after a split brain) cannot both succeed: the second sees zero
// rows affected and gets ErrIntentExists. A writer that comes after the
// other's intent was resolved is stopped by the slot guard instead: the
// other's job is in flight, or its run is recorded (ErrSlotTaken). Like
// every write, the transaction holds the generation row lock before it
// reads anything (see write), so the guard sees every write committed
// before it and none can commit in between, on PostgreSQL (READ
// COMMITTED) too.
func (s *core) PutIntent(ctx context.Context, in Intent) error {
	if in.Forecast == "" || in.RequestedAt.IsZero() {
		return errors.New("store: create intent needs a forecast and a request time")
	}
	return s.write(ctx, func(tx txn) error {
		wrap := func(err error) error {
			return fmt.Errorf("store: record create intent of %s/%s: %w", in.Forecast, in.Period, err)
		}
		res, err := tx.exec(ctx, `INSERT INTO intents (forecast, period, requested_ns, term, holder, request)
			VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (forecast, period) DO NOTHING`,
			in.Forecast, in.Period, toNS(in.RequestedAt), in.Term, in.Holder, in.Request)
		if err != nil {
			return wrap(err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return wrap(err)
		}
		if n == 0 {
			return ErrIntentExists
		}
		var inflight string
		err = tx.queryRow(ctx, `SELECT job_id FROM inflight WHERE forecast = ? AND period = ?`, in.Forecast, in.Period).Scan(&inflight)
		switch {
		case errors.Is(err, sql.ErrNoRows):
		case err != nil:
			return wrap(err)
		case inflight != in.Replaces:
			return ErrSlotTaken
		}
		var runs uint64
		err = tx.queryRow(ctx, `SELECT value FROM counters WHERE forecast = ? AND period = ? AND kind = ? AND reason = ''`,
			in.Forecast, in.Period, kindRuns).Scan(&runs)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return wrap(err)
		}
		if runs != in.SeenRuns {
			return ErrSlotTaken
		}
		return nil
	})
}

// Intents implements Store.
func (s *core) Intents(ctx context.Context) ([]Intent, error) {
	var out []Intent
	err := s.read(ctx, func(tx txn) error {
		rows, err := tx.query(ctx, `SELECT forecast, period, requested_ns, term, holder, request
			FROM intents ORDER BY forecast, period`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var in Intent
			var requested int64
			if err := rows.Scan(&in.Forecast, &in.Period, &requested, &in.Term, &in.Holder, &in.Request); err != nil {
				return err
			}
			in.RequestedAt = fromNS(requested)
			out = append(out, in)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("store: list create intents: %w", err)
	}
	return out, nil
}

// ClearIntent implements Store.
func (s *core) ClearIntent(ctx context.Context, forecast, period string, requestedAt time.Time) error {
	return s.write(ctx, func(tx txn) error {
		if _, err := tx.exec(ctx, `DELETE FROM intents WHERE forecast = ? AND period = ? AND requested_ns = ?`,
			forecast, period, toNS(requestedAt)); err != nil {
			return fmt.Errorf("store: clear create intent of %s/%s: %w", forecast, period, err)
		}
		return nil
	})
}
