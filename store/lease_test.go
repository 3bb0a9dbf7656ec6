package store

import (
	"context"
	"testing"
	"time"
)

func openPostgres(t *testing.T) *Postgres {
	t.Helper()
	s, _ := openStore(t, postgresBackend)
	return s.(*Postgres)
}

// expire makes the lease lapse now, as if its holder stopped renewing.
func expire(t *testing.T, p *Postgres, name string) {
	t.Helper()
	rawExec(t, p, `UPDATE leader_lease SET expires_at = clock_timestamp() - interval '1 second' WHERE name = ?`, name)
}

func TestLeaseTermsNeverOverlap(t *testing.T) {
	p := openPostgres(t)
	ctx := context.Background()
	const name, ttl = "leader", time.Minute

	if _, ok, err := p.CurrentLease(ctx, name); err != nil || ok {
		t.Fatalf("a lease before anyone took it: %v %v", ok, err)
	}
	if free, err := p.LeaseFree(ctx, name); err != nil || !free {
		t.Fatalf("a lease nobody took is not free: %v %v", free, err)
	}
	t1, ok, err := p.AcquireLease(ctx, name, "a", ttl)
	if err != nil || !ok || t1 != 1 {
		t.Fatalf("first acquire: term %d ok %v err %v", t1, ok, err)
	}
	if _, ok, err := p.AcquireLease(ctx, name, "b", ttl); err != nil || ok {
		t.Fatalf("b took a running lease: ok %v err %v", ok, err)
	}
	if _, ok, _ := p.AcquireLease(ctx, name, "a", ttl); ok {
		t.Fatal("a running lease was taken again as a new term by its own holder")
	}
	if ok, err := p.RenewLease(ctx, name, "a", t1, ttl); err != nil || !ok {
		t.Fatalf("renew: %v %v", ok, err)
	}
	if free, _ := p.LeaseFree(ctx, name); free {
		t.Fatal("a running lease is free")
	}
	if ok, _ := p.RenewLease(ctx, name, "b", t1, ttl); ok {
		t.Fatal("a non-holder renewed")
	}

	expire(t, p, name)
	if ok, _ := p.RenewLease(ctx, name, "a", t1, ttl); ok {
		t.Fatal("a lapsed lease was renewed")
	}
	t2, ok, err := p.AcquireLease(ctx, name, "b", ttl)
	if err != nil || !ok || t2 != t1+1 {
		t.Fatalf("takeover: term %d ok %v err %v, want term %d", t2, ok, err, t1+1)
	}
	// The old holder's stale renew and release touch nothing.
	if ok, _ := p.RenewLease(ctx, name, "a", t1, ttl); ok {
		t.Fatal("a stale renew touched the newer term")
	}
	if ok, _ := p.ReleaseLease(ctx, name, "a", t1); ok {
		t.Fatal("a stale release touched the newer term")
	}
	l, ok, err := p.CurrentLease(ctx, name)
	if err != nil || !ok || l.Holder != "b" || l.Term != t2 || l.Expired {
		t.Fatalf("lease after stale calls: %+v %v %v", l, ok, err)
	}
	if !l.ExpiresAt.After(l.AcquiredAt.Add(ttl - time.Second)) {
		t.Fatalf("expiry %v is not acquired %v + ttl", l.ExpiresAt, l.AcquiredAt)
	}

	// A release hands over at once, as the next term.
	if ok, err := p.ReleaseLease(ctx, name, "b", t2); err != nil || !ok {
		t.Fatalf("release: %v %v", ok, err)
	}
	if l, _, _ := p.CurrentLease(ctx, name); !l.Expired {
		t.Fatalf("released lease not expired: %+v", l)
	}
	if free, _ := p.LeaseFree(ctx, name); !free {
		t.Fatal("a released lease is not free")
	}
	t3, ok, err := p.AcquireLease(ctx, name, "a", ttl)
	if err != nil || !ok || t3 != t2+1 {
		t.Fatalf("acquire after release: term %d ok %v err %v", t3, ok, err)
	}
	// Another lease name is independent.
	if tx, ok, _ := p.AcquireLease(ctx, "other", "b", ttl); !ok || tx != 1 {
		t.Fatalf("independent lease: %d %v", tx, ok)
	}
}
