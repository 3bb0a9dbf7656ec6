package warehouse

import (
	"context"
	"time"

	"github.com/go-kit/log/level"
)

// Check names: the keys of Result.Errors and the `check` label values.
const (
	CheckConnect        = "connect" // database unreachable, or table/columns missing
	CheckReconciliation = "reconciliation"
	CheckDuplicates     = "duplicates"
	CheckRetention      = "retention"
	CheckFreshness      = "freshness"
)

// CheckNames lists every check in the order RunChecks runs them.
var CheckNames = []string{CheckConnect, CheckReconciliation, CheckDuplicates, CheckRetention, CheckFreshness}

// CheckInput is what one run of the checks needs from the rest of the
// exporter.
type CheckInput struct {
	Now           time.Time
	CurrentPeriod string     // e.g. 2026_Q4 (required by the retention check)
	Expected      []Expected // from the store's latest snapshots
}

// Result is one run of all checks. A check that failed has its error in
// Errors (under its Check* name) and its fields left zero; the others are
// still filled. When CheckConnect failed no other check ran.
type Result struct {
	Reconciliations []Reconciliation
	DuplicateKeys   int
	SurplusRows     int
	BeyondRetention []string
	// MissingPeriods are the periods inside the retention window whose
	// latest successful export had rows while the table holds none of a
	// forecast (see MissingPeriods); part of the reconciliation check.
	MissingPeriods []string
	LastLoad       time.Time // zero when the table is empty
	Errors         map[string]error
	RanAt          time.Time
	Duration       time.Duration
}

// OK reports whether every check ran without error.
func (r Result) OK() bool { return len(r.Errors) == 0 }

// Ran reports whether check produced a value (it ran and did not fail).
func (r Result) Ran(check string) bool {
	if r.RanAt.IsZero() {
		return false
	}
	if _, failed := r.Errors[check]; failed {
		return false
	}
	if _, connFailed := r.Errors[CheckConnect]; connFailed {
		return false
	}
	return true
}

// RunChecks pings, validates the schema, then runs every check, capturing
// each check's error separately so one failing check does not hide the
// others. It never panics on a database problem.
func (w *Warehouse) RunChecks(ctx context.Context, in CheckInput) Result {
	if in.Now.IsZero() {
		in.Now = time.Now()
	}
	start := time.Now()
	res := Result{RanAt: in.Now, Errors: map[string]error{}}
	fail := func(check string, err error) {
		res.Errors[check] = err
		level.Warn(w.logger).Log("msg", "warehouse check failed", "check", check, "err", err) //nolint:errcheck
	}

	if err := w.Ping(ctx); err != nil {
		fail(CheckConnect, err)
		res.Duration = time.Since(start)
		return res
	}
	if err := w.ValidateSchema(ctx); err != nil {
		fail(CheckConnect, err)
		res.Duration = time.Since(start)
		return res
	}

	if recs, err := w.Reconcile(ctx, in.Expected); err != nil {
		fail(CheckReconciliation, err)
	} else {
		res.Reconciliations = recs
		res.MissingPeriods = MissingPeriods(recs, in.CurrentPeriod, w.r.retention.Quarters)
	}
	if k, s, err := w.DuplicateKeys(ctx); err != nil {
		fail(CheckDuplicates, err)
	} else {
		res.DuplicateKeys, res.SurplusRows = k, s
	}
	if old, err := w.PeriodsBeyondRetention(ctx, in.CurrentPeriod, w.r.retention.Quarters); err != nil {
		fail(CheckRetention, err)
	} else {
		res.BeyondRetention = old
	}
	if t, err := w.LastLoad(ctx); err != nil {
		fail(CheckFreshness, err)
	} else {
		res.LastLoad = t
	}
	res.Duration = time.Since(start)
	w.logDebug("msg", "warehouse checks done", "duration", res.Duration, "failed", len(res.Errors))
	return res
}
