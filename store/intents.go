package store

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// PutIntent implements Store. The insert does nothing on a conflict with
// the target's existing intent, so two writers racing for one target (two
// leaders after a split brain) cannot both succeed: the second sees zero
// rows affected and gets ErrIntentExists.
func (s *core) PutIntent(ctx context.Context, in Intent) error {
	if in.Forecast == "" || in.RequestedAt.IsZero() {
		return errors.New("store: create intent needs a forecast and a request time")
	}
	return s.write(ctx, func(tx txn) error {
		res, err := tx.exec(ctx, `INSERT INTO intents (forecast, period, requested_ns, term, holder, request)
			VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (forecast, period) DO NOTHING`,
			in.Forecast, in.Period, toNS(in.RequestedAt), in.Term, in.Holder, in.Request)
		if err != nil {
			return fmt.Errorf("store: record create intent of %s/%s: %w", in.Forecast, in.Period, err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return fmt.Errorf("store: record create intent of %s/%s: %w", in.Forecast, in.Period, err)
		}
		if n == 0 {
			return ErrIntentExists
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
