package clari

// The spend protocol. Creating an export spends quota that the production
// pipeline shares, and Clari has no idempotency key, so every create goes
// like this (docs/client.md#the-spend-protocol):
//
//  1. Intent: the caller records (forecast, period, requested at, request)
//     durably BEFORE the POST (Spend.Intent). A crash at any later point
//     leaves the intent behind, and the next run reconciles it.
//  2. POST once. It is sent again only when Clari provably did not create
//     a job: after a 429, or a connection error that proves nothing was
//     sent (dial refused, DNS failure, dial timeout). Never after a
//     timeout, a connection reset once the request was written, a 5xx or a
//     2xx without a job id: Clari may have made the job.
//  3. After such an ambiguous outcome the job Clari may have made is looked
//     for in the job list (free) for as long as Clari may take to answer a
//     create (RunOptions.CreateSearchWindow: clari.request_timeout plus
//     clari.create_search_margin), the reads spread over the window and
//     the last one made after it closed: a job whose fileName names this
//     forecast and period, whose creation time (the id's leading 8 hex
//     digits, else startTime, else the fileName's time) is not before the
//     intent, and that no other run holds (Spend.Claimed). Titles are not
//     used: Clari's are the tab's title ("Forecast Export").
//  4. Found: it is adopted (persisted like any new job, which resolves the
//     intent). More than one: the earliest is used and each other one is
//     cancelled (a cancel frees its quota slot) and reported
//     (Spend.Duplicate). None, by the read after the window: Clari made
//     none. The intent is resolved as "no job" and the create is sent once
//     more in the same run (a new intent); a job Clari still makes for the
//     first create is cancelled as a duplicate when the run's job ends.
//     When the list cannot be read, or the re-sent create is ambiguous and
//     nothing appears for it either, the run ends api_error; the intent
//     stays and the next run, or the next start-up, reconciles it
//     (ReconcileExport) before any new create for that target.
//  5. A create Clari refused (any 4xx, a 429 whose retries ran out) or that
//     was never sent resolves the intent as "no job" (Spend.NoJob).

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/cenkalti/backoff/v4"
	"github.com/go-kit/log/level"
)

// Spend is how a run records and resolves its create intents. Every func is
// optional; without Intent nothing is recorded (tests, the audit).
type Spend struct {
	// Intent records the intent to create, at time at, before the POST is
	// sent. An error means the POST is not sent (the run ends api_error).
	Intent func(at time.Time) error
	// NoJob resolves the intent recorded at at: Clari provably made no job
	// (the create was refused or never sent).
	NoJob func(at time.Time)
	// Claimed returns the job ids other runs hold (recorded runs, jobs in
	// flight); they are never adopted.
	Claimed func(ctx context.Context) (map[string]bool, error)
	// Duplicate is called with each extra job found for one intent, after
	// it was cancelled.
	Duplicate func(jobID string)
	// Now is the clock intents are recorded with (default time.Now); it
	// must agree with Clari's, whose job ids carry their creation time.
	Now func() time.Time
}

// claimed is a copy of Claimed's answer, which the caller may add to
// (empty without Claimed).
func (s Spend) claimed(ctx context.Context) (map[string]bool, error) {
	if s.Claimed == nil {
		return map[string]bool{}, nil
	}
	cl, err := s.Claimed(ctx)
	if err != nil {
		return nil, fmt.Errorf("cannot read the job ids other runs hold: %w", err)
	}
	out := make(map[string]bool, len(cl)+1)
	maps.Copy(out, cl)
	return out, nil
}

func (s Spend) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// firstSearchStep is the wait before the second read of the job list when
// no poll interval is given. The waits double after each read: a job
// usually shows within seconds, and the list (every job the token's user
// ever made) is not read more than a few times per window.
const firstSearchStep = 100 * time.Millisecond

// AmbiguousCreateError is a create whose outcome is unknown: Clari may or
// may not have made the job (timeout, reset after the request was written,
// 5xx, a 2xx without a job id, the caller's cancellation mid-request).
type AmbiguousCreateError struct{ Err error }

func (e *AmbiguousCreateError) Error() string {
	return fmt.Sprintf("%v (Clari may have created the job)", e.Err)
}

func (e *AmbiguousCreateError) Unwrap() error { return e.Err }

// IsAmbiguousCreate reports whether err is a create whose outcome is unknown.
func IsAmbiguousCreate(err error) bool {
	var ae *AmbiguousCreateError
	return errors.As(err, &ae)
}

// ErrNoJobFound is ReconcileExport's answer when Clari's job list holds no
// job for the intent: the intent can be resolved as "no job".
var ErrNoJobFound = errors.New("clari: no job for the create intent in Clari's job list")

// CreateExport sends the create POST once and returns the job id. Clari
// answers 200 (reference) or 202; any 2xx is accepted. It is retried only
// after a 429 or a connection error that proves nothing was sent; every
// outcome that leaves open whether Clari made the job is returned as an
// *AmbiguousCreateError (see the spend protocol above), every other error
// (400 quota, 401, ...) as is.
func (c *Client) CreateExport(ctx context.Context, req ExportRequest) (string, error) {
	const ep = EndpointCreateExport
	if err := checkID(ep, "forecast id", req.ForecastID); err != nil {
		return "", err
	}
	body, err := json.Marshal(req)
	if err != nil {
		return "", fmt.Errorf("clari: %s: encoding request: %v", ep, err)
	}
	r := &request{endpoint: ep, method: http.MethodPost, path: "/export/forecast/" + url.PathEscape(req.ForecastID), body: body}
	var jobID string
	err = c.res.withRetry(ctx, ep, func(int) error {
		err := c.res.attempt(ctx, ep, func() error {
			return c.once(ctx, r, func(resp *http.Response, b io.Reader) error {
				id, err := decodeCreated(resp.StatusCode, b)
				if err != nil {
					return err
				}
				jobID = id
				return nil
			})
		})
		var mr *MalformedResponseError
		switch {
		case err == nil:
			return nil
		case isStatus(err, http.StatusTooManyRequests), isNotSent(err):
			return err // provably not created: the retry policy decides
		case IsBreakerOpen(err):
			return backoff.Permanent(err) // refused here, never sent
		case errors.As(err, &mr), IsRetryable(err), isParentContext(err):
			// A 2xx without a job id, a 5xx, a timeout, a reset after the
			// request was written, or our own cancellation mid-request.
			return backoff.Permanent(&AmbiguousCreateError{Err: err})
		}
		return backoff.Permanent(err)
	})
	if err != nil {
		return "", err
	}
	return jobID, nil
}

func isStatus(err error, code int) bool {
	var ae *APIError
	return errors.As(err, &ae) && ae.StatusCode == code
}

func isNotSent(err error) bool {
	var ne *NetworkError
	return errors.As(err, &ne) && ne.NotSent
}

func isParentContext(err error) bool {
	var pc parentContextError
	return errors.As(err, &pc)
}

// adoptClockSkew is how much earlier than the intent a job's creation time
// may be and still be adopted: ids carry whole seconds, and Clari's clock
// and ours differ a little.
const adoptClockSkew = time.Second

// jobCreated is a job's creation time: its id's, else startTime, else its
// fileName's. ok is false when none is known.
func jobCreated(j Job, f ExportFileName) (time.Time, bool) {
	if t, ok := JobIDTime(j.JobID); ok && t.Unix() > 0 {
		return t, true
	}
	if j.StartTime > 0 {
		return time.UnixMilli(j.StartTime).UTC(), true
	}
	if !f.Created.IsZero() {
		return f.Created, true
	}
	return time.Time{}, false
}

// FindCreated lists Clari's jobs once and returns those that can be the job
// of a create intent of req made at since: fileName names req's forecast
// and period, created at since or later, and not in claimed. Oldest first.
func (c *Client) FindCreated(ctx context.Context, req ExportRequest, since time.Time, claimed map[string]bool) ([]Job, error) {
	jobs, err := c.ListJobs(ctx)
	if err != nil {
		return nil, err
	}
	type cand struct {
		job     Job
		created time.Time
	}
	var out []cand
	for _, j := range jobs {
		if j.JobID == "" || claimed[j.JobID] {
			continue
		}
		f, err := ParseExportFileName(j.FileName)
		if err != nil || f.ForecastID != req.ForecastID || (req.TimePeriod != "" && f.TimePeriod != req.TimePeriod) {
			continue
		}
		created, ok := jobCreated(j, f)
		if !ok || created.Before(since.Truncate(time.Second).Add(-adoptClockSkew)) {
			continue
		}
		out = append(out, cand{j, created})
	}
	slices.SortStableFunc(out, func(a, b cand) int { return a.created.Compare(b.created) })
	found := make([]Job, len(out))
	for i, c := range out {
		found[i] = c.job
	}
	return found, nil
}

// findJob searches for the job of the intent made at since, reading the
// job list at once, then after a poll interval, then after waits that
// double, until deadline; the last read is made at or after it: "" from
// that read means Clari made no job for the intent. It
// returns the job to use, having cancelled and reported every other
// candidate. An error means the read after the deadline failed: whether
// Clari made the job is unknown.
func (c *Client) findJob(ctx context.Context, req ExportRequest, o RunOptions, since, deadline time.Time) (string, error) {
	step := o.PollInterval
	if step <= 0 {
		step = firstSearchStep
	}
	for ; ; step *= 2 {
		last := !time.Now().Before(deadline)
		claimed, err := o.Spend.claimed(ctx)
		if err != nil {
			return "", err
		}
		found, err := c.FindCreated(ctx, req, since, claimed)
		if err == nil && len(found) > 0 {
			c.dropDuplicates(ctx, req, o, found[1:])
			return found[0].JobID, nil
		}
		if last {
			if err != nil {
				return "", fmt.Errorf("listing jobs failed: %w", err)
			}
			return "", nil
		}
		if err := sleepCtx(ctx, min(step, time.Until(deadline))); err != nil {
			return "", err
		}
	}
}

// cancelLate cancels the jobs Clari made after all for a create of this run
// that was given up as "no job" (intent at since): keep is the run's job,
// which replaced it. Each is a duplicate of keep.
func (c *Client) cancelLate(ctx context.Context, req ExportRequest, o RunOptions, since time.Time, keep string) {
	claimed, err := o.Spend.claimed(ctx)
	var late []Job
	if err == nil {
		claimed[keep] = true
		late, err = c.FindCreated(ctx, req, since, claimed)
	}
	if err != nil {
		level.Warn(c.logger).Log("msg", "cannot look for a late job of the create given up on", "forecast", req.ForecastID, "period", req.TimePeriod, "err", err)
		return
	}
	c.dropDuplicates(ctx, req, o, late)
}

// dropDuplicates cancels the extra jobs Clari made for one intent (a cancel
// frees the quota slot) and reports each.
func (c *Client) dropDuplicates(ctx context.Context, req ExportRequest, o RunOptions, extra []Job) {
	for _, j := range extra {
		level.Warn(c.logger).Log("msg", "Clari made more than one job for one create; cancelling the extra one", "forecast", req.ForecastID, "period", req.TimePeriod, "job_id", j.JobID)
		c.cancelQuietly(ctx, j.JobID, "duplicate job for one create intent")
		if o.Spend.Duplicate != nil {
			o.Spend.Duplicate(j.JobID)
		}
	}
}

// create runs steps 1–5 of the spend protocol for one job of a run and
// returns its id. The error's outcome is the run's. resentAfter is the
// intent time of a create given up as "no job" before the one that made
// the job (zero when none): a job Clari makes for it later is a duplicate
// (cancelLate).
func (c *Client) create(ctx context.Context, req ExportRequest, o RunOptions) (id string, resentAfter time.Time, err error) {
	for sent := 1; ; sent++ {
		at := o.Spend.now()
		if o.Spend.Intent != nil {
			if err := o.Spend.Intent(at); err != nil {
				return "", resentAfter, fmt.Errorf("clari: recording the create intent of %s/%s failed, nothing sent: %w", req.ForecastID, periodLabel(req.TimePeriod), err)
			}
		}
		id, err := c.CreateExport(ctx, req)
		if err == nil {
			return id, resentAfter, nil
		}
		if !IsAmbiguousCreate(err) {
			if o.Spend.NoJob != nil {
				o.Spend.NoJob(at)
			}
			return "", resentAfter, err
		}
		if ctx.Err() != nil {
			// Shutting down mid-create: the intent stays; start-up reconciles.
			return "", resentAfter, err
		}
		window := o.CreateSearchWindow
		level.Warn(c.logger).Log("msg", "create export outcome unknown; looking for the job Clari may have made instead of sending it again", "forecast", req.ForecastID, "period", req.TimePeriod, "search_window", window, "err", err)
		found, ferr := c.findJob(ctx, req, o, at, time.Now().Add(window))
		switch {
		case ferr != nil:
			return "", resentAfter, fmt.Errorf("%w; cannot tell whether Clari made the job (%v): not sending it again; the create intent is kept and reconciled before the next create of %s/%s",
				err, ferr, req.ForecastID, periodLabel(req.TimePeriod))
		case found != "":
			level.Info(c.logger).Log("msg", "adopting the job Clari made despite the failed create", "forecast", req.ForecastID, "period", req.TimePeriod, "job_id", found)
			return found, resentAfter, nil
		case sent > 1:
			return "", resentAfter, fmt.Errorf("%w; the re-sent create's outcome is unknown too and no job for %s/%s appeared in Clari's job list within %s: not sending it a third time; the create intent is kept and reconciled before the next create of this target",
				err, req.ForecastID, periodLabel(req.TimePeriod), window)
		}
		// The list read after the window holds no job for the intent:
		// Clari made none, so sending again spends quota once.
		if o.Spend.NoJob != nil {
			o.Spend.NoJob(at)
		}
		resentAfter = at
		level.Warn(c.logger).Log("msg", "no job appeared in Clari's job list within the search window: Clari made none; sending the create once more", "forecast", req.ForecastID, "period", req.TimePeriod, "search_window", window)
	}
}

// ReconcileExport resolves a create intent left by an earlier run (made at
// since): it looks for the job Clari may have made, like a run does after
// an ambiguous create. Found: the job is adopted (o.Persist), duplicates
// cancelled, and it is polled and its results decoded like ResumeExport.
// Not found: the result's Err is ErrNoJobFound and nothing was spent, so
// the caller can resolve the intent and create anew.
func (c *Client) ReconcileExport(ctx context.Context, since time.Time, req ExportRequest, o RunOptions) RunResult {
	o = o.withFormat(req)
	start := time.Now()
	// Clari has had since the intent to make the job: the search ends a
	// window after the intent, at once for an intent of long ago.
	id, err := c.findJob(ctx, req, o, since, since.Add(o.CreateSearchWindow))
	var res RunResult
	switch {
	case err != nil:
		res = RunResult{Outcome: OutcomeAPIError, Err: fmt.Errorf("clari: reconciling the create intent of %s/%s: %w", req.ForecastID, periodLabel(req.TimePeriod), err)}
	case id == "":
		res = RunResult{Err: ErrNoJobFound}
	default:
		level.Info(c.logger).Log("msg", "adopting the job of a create intent left by an earlier run", "forecast", req.ForecastID, "period", req.TimePeriod, "job_id", id)
		if o.Persist != nil {
			if perr := o.Persist(id); perr != nil {
				res = RunResult{JobID: id, Outcome: OutcomeAPIError, Err: fmt.Errorf("clari: persisting adopted job id %s failed: %w", id, perr)}
				break
			}
		}
		res = c.run(ctx, req, o, id)
	}
	res.Duration = time.Since(start)
	return res
}
