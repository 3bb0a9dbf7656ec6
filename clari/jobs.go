package clari

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/go-kit/log/level"
)

// cancelTimeout bounds the best-effort cancel of a job we give up on, which
// runs even when the caller's context has ended.
const cancelTimeout = 30 * time.Second

// RunOptions configures RunExport and ResumeExport. There are no defaults:
// config decides them (clari.poll_interval, clari.poll_timeout,
// clari.max_requeues).
type RunOptions struct {
	// PollInterval is the wait between job status polls.
	PollInterval time.Duration
	// Timeout bounds each job from its create (or the resume) to a terminal
	// status. A job past it is cancelled and re-queued.
	Timeout time.Duration
	// MaxRequeues is how many new jobs may replace timed-out ones (1: at
	// most 2 jobs). 0 or negative means none.
	MaxRequeues int
	// Persist is called with each new job id BEFORE polling starts, so a
	// restart can resume the job instead of spending quota on a new one.
	// An error aborts the run: the job is cancelled and the outcome is
	// api_error.
	Persist func(jobID string) error
	// Visitor receives the decoded results of the DONE job.
	Visitor Visitor
	// Format of the results; default the request's ExportFormat, else JSON.
	Format ExportFormat
	// Spend records and resolves the create intent of every job the run
	// creates (the spend protocol, see spend.go).
	Spend Spend
	// CreateSearchWindow is how long the job list is searched for the job
	// of a create whose outcome is unknown before Clari is taken to have
	// made none (spend.go): as long as Clari may take to answer a create.
	CreateSearchWindow time.Duration
}

// RunResult is how an export run ended.
type RunResult struct {
	// JobID is the last job of the run ("" when none was created).
	JobID string
	// Outcome classifies the end; Err says why for every outcome but done.
	Outcome Outcome
	// Requeues counts jobs created after a predecessor timed out.
	Requeues int
	// Duration runs from the first create (or the resume) to the results
	// being decoded or the failure.
	Duration time.Duration
	Err      error
	// Job is the last status seen of JobID.
	Job Job
}

func (o RunOptions) withFormat(req ExportRequest) RunOptions {
	o.MaxRequeues = max(o.MaxRequeues, 0)
	if o.Format == "" {
		o.Format = req.ExportFormat
	}
	if o.Format == "" {
		o.Format = FormatJSON
	}
	return o
}

// errJobTimeout marks a job that did not finish within RunOptions.Timeout.
var errJobTimeout = errors.New("job did not finish within the timeout")

// RunExport creates an export job, persists its id, polls it until it ends
// and streams its results into o.Visitor. A job that does not end within
// o.Timeout is cancelled and replaced by a new one up to o.MaxRequeues times.
//
// When ctx ends while a job runs, the job is NOT cancelled (it is persisted
// and can be resumed with ResumeExport after a restart); the outcome is then
// api_error with an Err that matches context.Canceled/DeadlineExceeded.
func (c *Client) RunExport(ctx context.Context, req ExportRequest, o RunOptions) RunResult {
	o = o.withFormat(req)
	start := time.Now()
	res := c.run(ctx, req, o, "")
	res.Duration = time.Since(start)
	return res
}

// ResumeExport continues a run whose job id was persisted before a restart:
// it polls jobID (its Timeout counts from now), fetches its results when
// DONE, and re-queues like RunExport when it times out.
func (c *Client) ResumeExport(ctx context.Context, jobID string, req ExportRequest, o RunOptions) RunResult {
	o = o.withFormat(req)
	start := time.Now()
	var res RunResult
	if strings.TrimSpace(jobID) == "" {
		res = RunResult{Outcome: OutcomeAPIError, Err: errors.New("clari: resume export: empty job id")}
	} else {
		res = c.run(ctx, req, o, jobID)
	}
	res.Duration = time.Since(start)
	return res
}

// run is the lifecycle loop. resumeID, when set, is polled first instead of
// creating a job.
func (c *Client) run(ctx context.Context, req ExportRequest, o RunOptions, resumeID string) RunResult {
	if req.ExportFormat == "" && o.Format != FormatJSON {
		// Ask for the format we will decode (Clari's default is JSON).
		req.ExportFormat = o.Format
	}
	var res RunResult
	for jobs := 0; ; jobs++ {
		jobID := resumeID
		resumed := jobID != "" && jobs == 0
		if !resumed {
			id, resentAfter, err := c.create(ctx, req, o)
			if err != nil {
				res.Err = err
				res.Outcome = outcomeOf(err)
				return res
			}
			if !resentAfter.IsZero() {
				// Once the run ends, a job Clari made after all for the
				// create given up on is a duplicate: cancel it (not when
				// shutting down, which must not wait for a list read).
				defer func() {
					if ctx.Err() == nil {
						c.cancelLate(ctx, req, o, resentAfter, id)
					}
				}()
			}
			jobID = id
			res.Job = Job{JobID: id}
			if o.Persist != nil {
				if perr := o.Persist(jobID); perr != nil {
					c.cancelQuietly(ctx, jobID, "persisting the job id failed")
					res.JobID = jobID
					res.Outcome = OutcomeAPIError
					res.Err = fmt.Errorf("clari: persisting export job id %s failed, job cancelled: %w", jobID, perr)
					return res
				}
			}
		}
		res.JobID = jobID
		level.Debug(c.logger).Log("msg", "polling export job", "forecast", req.ForecastID, "period", req.TimePeriod, "job_id", jobID, "resumed", resumed)

		job, err := c.poll(ctx, jobID, o, !resumed)
		if job.JobID != "" {
			res.Job = job
		}
		if errors.Is(err, errJobTimeout) {
			c.cancelQuietly(ctx, jobID, "timed out")
			if res.Requeues < o.MaxRequeues && ctx.Err() == nil {
				res.Requeues++
				level.Warn(c.logger).Log("msg", "export job timed out; cancelled it and re-queued a new one", "forecast", req.ForecastID, "period", req.TimePeriod, "job_id", jobID, "timeout", o.Timeout, "requeue", res.Requeues)
				continue
			}
			res.Outcome = OutcomeTimeout
			res.Err = fmt.Errorf("clari: export job %s (forecast %s, period %s) did not finish within %s after %d re-queue(s); cancelled", jobID, req.ForecastID, periodLabel(req.TimePeriod), o.Timeout, res.Requeues)
			return res
		}
		if err != nil {
			res.Outcome = OutcomeAPIError
			res.Err = fmt.Errorf("clari: polling export job %s: %w", jobID, err)
			return res
		}
		switch job.Status {
		case StatusDone:
			if job.Truncated() {
				// An incomplete document must never pass as an export: it
				// is not even read, so nothing of it reaches a snapshot or
				// the warehouse.
				res.Outcome = OutcomeTruncated
				res.Err = fmt.Errorf("clari: export job %s (forecast %s, period %s) is DONE but Clari truncated its document (rowsTruncated %s, cellsTruncated %s); not used",
					jobID, req.ForecastID, periodLabel(req.TimePeriod), job.RowsTruncated, job.CellsTruncated)
				return res
			}
			if err := c.Results(ctx, jobID, o.Format, o.Visitor); err != nil {
				res.Err = err
				res.Outcome = outcomeOf(err)
				return res
			}
			res.Outcome = OutcomeDone
			return res
		case StatusFailed:
			res.Outcome = OutcomeFailed
		case StatusAborted:
			res.Outcome = OutcomeAborted
		default: // StatusCancelled (poll only returns terminal statuses)
			res.Outcome = OutcomeCancelled
		}
		res.Err = fmt.Errorf("clari: export job %s (forecast %s, period %s) ended %s", jobID, req.ForecastID, periodLabel(req.TimePeriod), job.Status)
		return res
	}
}

func periodLabel(p string) string {
	if p == "" {
		return "current"
	}
	return p
}

// outcomeOf classifies an error that ended a run.
func outcomeOf(err error) Outcome {
	var de *DecodeError
	switch {
	case IsQuotaExhausted(err):
		return OutcomeQuota
	case errors.As(err, &de):
		return OutcomeDecodeError
	}
	return OutcomeAPIError
}

// poll waits for jobID to reach a terminal status or o.Timeout to pass.
// waitFirst skips the immediate first poll of a job just created (it is
// never done that fast). Errors the resilience layer gave up on end the
// poll, except breaker refusals: those skip a tick (the timeout still
// bounds the wait).
func (c *Client) poll(ctx context.Context, jobID string, o RunOptions, waitFirst bool) (Job, error) {
	deadline := time.Now().Add(o.Timeout)
	pctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	var last Job
	first := true
	for {
		if !first || waitFirst {
			wait := o.PollInterval
			if rem := time.Until(deadline); rem < wait {
				wait = rem
			}
			if err := sleepCtx(pctx, wait); err != nil {
				if ctx.Err() != nil {
					return last, ctx.Err()
				}
				return last, errJobTimeout
			}
		}
		first = false
		job, err := c.GetJob(pctx, jobID)
		switch {
		case err == nil:
			last = job
			if last.JobID == "" {
				last.JobID = jobID
			}
			if job.Status.Terminal() {
				return last, nil
			}
			// SCHEDULED, STARTED or a status we do not know: still running.
		case ctx.Err() != nil:
			return last, ctx.Err()
		case pctx.Err() != nil, errors.Is(err, context.DeadlineExceeded):
			// The job's own deadline, including a request that could not
			// even be paced before it (rate.Wait refuses early): a timeout,
			// not an API error.
			return last, errJobTimeout
		case IsBreakerOpen(err):
			level.Debug(c.logger).Log("msg", "circuit breaker open; skipping a poll", "job_id", jobID)
		default:
			return last, err
		}
		if time.Now().After(deadline) {
			return last, errJobTimeout
		}
	}
}

// cancelQuietly cancels a job we are abandoning, best effort: even when ctx
// has ended (a shutdown) the slot should be freed, so it uses a fresh,
// bounded context.
func (c *Client) cancelQuietly(ctx context.Context, jobID, why string) {
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cancelTimeout)
	defer cancel()
	switch err := c.CancelJob(cctx, jobID); {
	case err == nil:
	case IsCancelOfEndedJob(err):
		// Nothing to free: the job ended before the cancel reached Clari.
		level.Info(c.logger).Log("msg", "export job had already ended; nothing to cancel", "job_id", jobID, "why", why)
	default:
		level.Warn(c.logger).Log("msg", "could not cancel export job", "job_id", jobID, "why", why, "err", err)
	}
}

// --- wire decoding of job documents ---

// wireJob is a job as Clari may send it: times as numbers or strings,
// currency as a code or an object.
type wireJob struct {
	JobID       flexString `json:"jobId"`
	ID          flexString `json:"id"`
	Status      flexString `json:"status"`
	StartTime   flexMillis `json:"startTime"`
	EndTime     flexMillis `json:"endTime"`
	ExpiredTime flexMillis `json:"expiredTime"`
	Title       flexString `json:"title"`
	FileName    flexString `json:"fileName"`
	FileType    flexString `json:"fileType"`
	Currency    flexString `json:"currency"`
	Downloads   flexMillis `json:"downloads"`
	UserID      flexString `json:"userId"`
	// The truncation flags: a boolean or a count (Truncation reads both).
	RowsTruncated  Truncation `json:"rowsTruncated"`
	CellsTruncated Truncation `json:"cellsTruncated"`
}

func (w wireJob) job() Job {
	id := string(w.JobID)
	if id == "" {
		id = string(w.ID)
	}
	return Job{
		JobID:          id,
		Status:         JobStatus(strings.ToUpper(strings.TrimSpace(string(w.Status)))),
		StartTime:      int64(w.StartTime),
		EndTime:        int64(w.EndTime),
		ExpiredTime:    int64(w.ExpiredTime),
		Title:          string(w.Title),
		FileName:       string(w.FileName),
		FileType:       string(w.FileType),
		Currency:       string(w.Currency),
		Downloads:      int(max(0, min(int64(w.Downloads), math.MaxInt32))),
		UserID:         string(w.UserID),
		RowsTruncated:  w.RowsTruncated,
		CellsTruncated: w.CellsTruncated,
	}
}

// decodeJobDocument reads {"job":{...}} or a flat job object.
func decodeJobDocument(b []byte) (Job, error) {
	var env struct {
		Job json.RawMessage `json:"job"`
	}
	if err := json.Unmarshal(b, &env); err != nil {
		return Job{}, fmt.Errorf("not a JSON object: %s", jsonErrText(err))
	}
	obj := b
	if t := bytes.TrimSpace(env.Job); len(t) > 0 && t[0] == '{' {
		obj = t
	}
	var w wireJob
	if err := json.Unmarshal(obj, &w); err != nil {
		return Job{}, fmt.Errorf("job: %s", jsonErrText(err))
	}
	j := w.job()
	if j.JobID == "" {
		return Job{}, errors.New(`no "jobId" in the job document`)
	}
	return j, nil
}

// decodeJobList reads a bare array of jobs or {"jobs":[...]}.
func decodeJobList(b []byte) ([]Job, error) {
	t := bytes.TrimSpace(b)
	var raw []json.RawMessage
	switch {
	case len(t) > 0 && t[0] == '[':
		if err := json.Unmarshal(t, &raw); err != nil {
			return nil, fmt.Errorf("job list: %s", jsonErrText(err))
		}
	case len(t) > 0 && t[0] == '{':
		var env struct {
			Jobs []json.RawMessage `json:"jobs"`
		}
		if err := json.Unmarshal(t, &env); err != nil {
			return nil, fmt.Errorf("job list: %s", jsonErrText(err))
		}
		raw = env.Jobs
	default:
		return nil, errors.New("job list is neither an array nor an object")
	}
	jobs := make([]Job, 0, len(raw))
	for i, r := range raw {
		var env struct {
			Job json.RawMessage `json:"job"`
		}
		obj := []byte(r)
		if json.Unmarshal(r, &env) == nil {
			if tj := bytes.TrimSpace(env.Job); len(tj) > 0 && tj[0] == '{' {
				obj = tj
			}
		}
		var w wireJob
		if err := json.Unmarshal(obj, &w); err != nil {
			return nil, fmt.Errorf("job list item %d: %s", i, jsonErrText(err))
		}
		jobs = append(jobs, w.job())
	}
	return jobs, nil
}

// jsonErrText shortens encoding/json errors (they never contain secrets,
// but can quote long input).
func jsonErrText(err error) string { return excerpt(err.Error(), 200) }

// flexString accepts a JSON string, number, bool or null, or an object with
// a "code" member (currency as {"code":"USD","symbol":"$"}).
type flexString string

func (f *flexString) UnmarshalJSON(b []byte) error {
	t := bytes.TrimSpace(b)
	switch {
	case len(t) == 0 || bytes.Equal(t, []byte("null")):
		*f = ""
	case t[0] == '"':
		var s string
		if err := json.Unmarshal(t, &s); err != nil {
			return err
		}
		*f = flexString(s)
	case t[0] == '{':
		var o struct {
			Code string `json:"code"`
		}
		if err := json.Unmarshal(t, &o); err != nil {
			return err
		}
		*f = flexString(o.Code)
	case t[0] == '[':
		return errors.New("expected a string, got an array")
	default:
		*f = flexString(t)
	}
	return nil
}

// flexMillis accepts epoch milliseconds as a number (integer or float), a
// numeric string, an RFC 3339 string, or null.
type flexMillis int64

func (f *flexMillis) UnmarshalJSON(b []byte) error {
	t := bytes.TrimSpace(b)
	if len(t) == 0 || bytes.Equal(t, []byte("null")) {
		*f = 0
		return nil
	}
	s := string(t)
	if t[0] == '"' {
		if err := json.Unmarshal(t, &s); err != nil {
			return err
		}
		s = strings.TrimSpace(s)
		if s == "" {
			*f = 0
			return nil
		}
		if ts, err := time.Parse(time.RFC3339Nano, s); err == nil {
			*f = flexMillis(ts.UnixMilli())
			return nil
		}
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return fmt.Errorf("time %s is neither epoch milliseconds nor RFC 3339", excerpt(s, 40))
	}
	*f = flexMillis(int64(v))
	return nil
}
