package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Lease is the current row of a leader lease, as the database sees it.
type Lease struct {
	Holder string
	// Term grows by one every time the lease changes hands (or is taken
	// again after it lapsed); it is never reset, since the row is never
	// deleted.
	Term       int64
	AcquiredAt time.Time
	ExpiresAt  time.Time
	// Expired is ExpiresAt ≤ the database's clock now.
	Expired bool
}

// All lease statements use clock_timestamp() (the database's clock at the
// statement, not at the transaction start) and compare expiry in the
// database: the one clock every replica agrees on. ttl is sent in
// microseconds.

// AcquireLease takes the lease name for holder for ttl when nobody holds it
// (no row yet, or the row expired or was released), as a new term. ok is
// false, without error, when another holder's lease is still running.
func (p *Postgres) AcquireLease(ctx context.Context, name, holder string, ttl time.Duration) (term int64, ok bool, err error) {
	if p.closed.Load() {
		return 0, false, ErrClosed
	}
	err = p.db.QueryRowContext(ctx, `INSERT INTO leader_lease AS l (name, holder, term, acquired_at, expires_at)
		VALUES ($1, $2, 1, clock_timestamp(), clock_timestamp() + $3 * interval '1 microsecond')
		ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, term = l.term + 1,
			acquired_at = excluded.acquired_at, expires_at = excluded.expires_at
		WHERE l.expires_at <= clock_timestamp()
		RETURNING term`, name, holder, ttl.Microseconds()).Scan(&term)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return 0, false, nil
	case err != nil:
		return 0, false, fmt.Errorf("store: acquire lease %q: %w", name, p.scrub.Err(err))
	}
	return term, true, nil
}

// RenewLease extends holder's lease of term by ttl from now. ok is false
// when the lease is no longer that term's (taken over, or lapsed): a stale
// renew can never touch a newer term.
func (p *Postgres) RenewLease(ctx context.Context, name, holder string, term int64, ttl time.Duration) (bool, error) {
	return p.leaseUpdate(ctx, "renew", `UPDATE leader_lease SET expires_at = clock_timestamp() + $4 * interval '1 microsecond'
		WHERE name = $1 AND holder = $2 AND term = $3 AND expires_at > clock_timestamp()`, name, holder, term, ttl.Microseconds())
}

// ReleaseLease ends holder's lease of term now, so a follower can take it
// at once. Like a renew, it touches nothing when the term is not current.
func (p *Postgres) ReleaseLease(ctx context.Context, name, holder string, term int64) (bool, error) {
	return p.leaseUpdate(ctx, "release", `UPDATE leader_lease SET expires_at = clock_timestamp()
		WHERE name = $1 AND holder = $2 AND term = $3 AND expires_at > clock_timestamp()`, name, holder, term)
}

func (p *Postgres) leaseUpdate(ctx context.Context, what, q string, args ...any) (bool, error) {
	if p.closed.Load() {
		return false, ErrClosed
	}
	res, err := p.db.ExecContext(ctx, q, args...)
	if err != nil {
		return false, fmt.Errorf("store: %s lease %q: %w", what, args[0], p.scrub.Err(err))
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("store: %s lease %q: %w", what, args[0], p.scrub.Err(err))
	}
	return n == 1, nil
}

// CurrentLease reads the lease row; ok is false when nobody ever held it.
func (p *Postgres) CurrentLease(ctx context.Context, name string) (l Lease, ok bool, err error) {
	if p.closed.Load() {
		return Lease{}, false, ErrClosed
	}
	err = p.db.QueryRowContext(ctx, `SELECT holder, term, acquired_at, expires_at, expires_at <= clock_timestamp()
		FROM leader_lease WHERE name = $1`, name).Scan(&l.Holder, &l.Term, &l.AcquiredAt, &l.ExpiresAt, &l.Expired)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return Lease{}, false, nil
	case err != nil:
		return Lease{}, false, fmt.Errorf("store: read lease %q: %w", name, p.scrub.Err(err))
	}
	return l, true, nil
}

// LeaseFree reports whether the lease can be taken now (never held,
// released or lapsed): the cheap read followers poll before they try to
// acquire.
func (p *Postgres) LeaseFree(ctx context.Context, name string) (bool, error) {
	if p.closed.Load() {
		return false, ErrClosed
	}
	var held bool
	err := p.db.QueryRowContext(ctx, `SELECT expires_at > clock_timestamp() FROM leader_lease WHERE name = $1`, name).Scan(&held)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return true, nil
	case err != nil:
		return false, fmt.Errorf("store: read lease %q: %w", name, p.scrub.Err(err))
	}
	return !held, nil
}
