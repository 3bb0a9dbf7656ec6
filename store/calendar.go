package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// CalendarPeriod is one fiscal period as a Clari document stated it
// (timePeriods[]): what package fiscal learns the tenant's calendar from,
// and checks a configured calendar against. It is kept across restarts so
// that neither learning nor finding a wrong calendar costs a second export.
type CalendarPeriod struct {
	PeriodID  string // "2027_Q4"
	StartDate string // "2026-11-01", as Clari wrote it
	EndDate   string // "2027-01-31"
	// Origin says which document stated it: "export" (the exporter's own)
	// or "pipeline" (an inspected pipeline export).
	Origin string
	SeenAt time.Time
}

// CalendarPeriod returns the stored period; ok is false when none was
// stored yet.
func (c *core) CalendarPeriod(ctx context.Context) (p CalendarPeriod, ok bool, err error) {
	err = c.read(ctx, func(tx txn) error {
		var seen int64
		err := tx.queryRow(ctx, `SELECT period_id, start_date, end_date, origin, seen_ns FROM fiscal_calendar WHERE id = 1`).
			Scan(&p.PeriodID, &p.StartDate, &p.EndDate, &p.Origin, &seen)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			return nil
		case err != nil:
			return fmt.Errorf("store: read the fiscal calendar: %w", err)
		}
		p.SeenAt, ok = time.Unix(0, seen).UTC(), true
		return nil
	})
	return p, ok, err
}

// PutCalendarPeriod replaces the stored period.
func (c *core) PutCalendarPeriod(ctx context.Context, p CalendarPeriod) error {
	return c.write(ctx, func(tx txn) error {
		_, err := tx.exec(ctx, `INSERT INTO fiscal_calendar (id, period_id, start_date, end_date, origin, seen_ns) VALUES (1, ?, ?, ?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET period_id = excluded.period_id, start_date = excluded.start_date,
			end_date = excluded.end_date, origin = excluded.origin, seen_ns = excluded.seen_ns`,
			p.PeriodID, p.StartDate, p.EndDate, p.Origin, p.SeenAt.UnixNano())
		if err != nil {
			return fmt.Errorf("store: save the fiscal calendar: %w", err)
		}
		return nil
	})
}
