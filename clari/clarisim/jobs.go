package clarisim

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/clari-exporter/clari_exporter/clari"
)

// job is one export job and everything needed to answer about it.
type job struct {
	id           string
	forecast     string
	req          clari.ExportRequest
	params       ExportParams
	period       string
	fellBack     bool
	created      time.Time
	scheduledFor time.Duration
	duration     time.Duration
	final        clari.JobStatus
	cancelledAt  time.Time
	foreign      bool
	resultsTTL   time.Duration
	// downloads counts result downloads through the API; selfDownload adds
	// the download a simulated pipeline makes of its own DONE job.
	downloads    int
	selfDownload bool
	pipeline     bool // made by StartPipeline or AddJobHistory, not a POST
	// rowsTruncated and cellsTruncated are what the record of the DONE job
	// says (params.Truncation, worked out once at creation).
	rowsTruncated, cellsTruncated clari.Truncation
}

// shown reports whether the job exists at now: a create fault can make
// Clari finish a create after the client gave up, and until then the job is
// not in the job list, unknown to GET and costs nothing.
func (j *job) shown(now time.Time) bool { return !j.created.After(now) }

// view is the job as Clari reports it at now.
func (j *job) view(now time.Time) clari.Job {
	v := clari.Job{
		JobID:    j.id,
		Title:    "Forecast Export", // the tab's title: it names neither forecast nor period
		FileType: string(j.params.Format),
		Currency: j.params.Currency,
	}
	v.FileName = fileNameOf(j)
	elapsed := now.Sub(j.created)
	started := j.created.Add(j.scheduledFor)
	ended := j.created.Add(j.duration)
	switch {
	case !j.cancelledAt.IsZero():
		v.Status = clari.StatusCancelled
		if j.cancelledAt.After(started) {
			v.StartTime = started.UnixMilli()
		}
		ended = j.cancelledAt
	case elapsed < j.scheduledFor:
		v.Status = clari.StatusScheduled
		return v
	case j.final == NeverFinish || elapsed < j.duration:
		v.Status = clari.StatusStarted
		v.StartTime = started.UnixMilli()
		return v
	default:
		v.Status = j.final
		v.StartTime = started.UnixMilli()
	}
	v.EndTime = ended.UnixMilli()
	v.ExpiredTime = ended.Add(j.resultsTTL).UnixMilli()
	if v.Status == clari.StatusDone {
		v.RowsTruncated, v.CellsTruncated = j.rowsTruncated, j.cellsTruncated
		v.Downloads = j.downloads
		if j.selfDownload {
			v.Downloads++
		}
	}
	return v
}

// jobJSON is a job on the wire: clari.Job plus keys clients must ignore.
type jobJSON struct {
	clari.Job
	ForecastID string `json:"forecastId"`
	ExportType string `json:"exportType"`
	CreatedBy  string `json:"createdBy"`
	CreatedOn  int64  `json:"createdOn"`
	// UserID is the token user's numeric id: Clari sends a job's userId
	// as a number.
	UserID int64 `json:"userId"`
}

func (j *job) wire(now time.Time) jobJSON {
	return jobJSON{Job: j.view(now), ForecastID: j.forecast, ExportType: "FORECAST", CreatedBy: UserID(0), CreatedOn: j.created.UnixMilli(), UserID: userNumber(0)}
}

// JobInfo is what the simulator knows about a job, for tests.
type JobInfo struct {
	// Job is the job as GET /export/jobs/{id} reports it now.
	Job clari.Job
	// ForecastID is the forecast of the create path.
	ForecastID string
	// Request is the decoded create body (ScopeID holds the object form
	// compacted when scopeId was an object).
	Request clari.ExportRequest
	// Period is the exported period (after silent fallback).
	Period string
	// FellBack reports that the requested period or an unknown parameter
	// made Clari export the current quarter.
	FellBack bool
	// Params generate the job's result document (see Summarize).
	Params ExportParams
	// Created is the simulator time of the create.
	Created time.Time
	// Foreign marks a job of another user (AddForeignJob).
	Foreign bool
	// Pipeline marks a job of the simulated production pipeline
	// (StartPipeline, AddJobHistory), not made by a create call.
	Pipeline bool
}

func (j *job) info(now time.Time) JobInfo {
	return JobInfo{Job: j.view(now), ForecastID: j.forecast, Request: j.req, Period: j.period, FellBack: j.fellBack, Params: j.params, Created: j.created, Foreign: j.foreign, Pipeline: j.pipeline}
}

// Jobs returns every job in creation order.
func (s *Sim) Jobs() []JobInfo {
	now := s.clock()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.advanceLocked(now)
	out := make([]JobInfo, 0, len(s.order))
	for _, id := range s.order {
		out = append(out, s.jobs[id].info(now))
	}
	return out
}

// Job returns one job.
func (s *Sim) Job(id string) (JobInfo, bool) {
	now := s.clock()
	s.mu.Lock()
	defer s.mu.Unlock()
	j, ok := s.jobs[id]
	if !ok {
		return JobInfo{}, false
	}
	return j.info(now), true
}

// NextJobEnds makes the next job created for forecastID ("" = any forecast)
// end with status (FAILED, ABORTED, CANCELLED, DONE or NeverFinish). Calls
// queue up.
func (s *Sim) NextJobEnds(forecastID string, status clari.JobStatus) error {
	if err := validStatus(status); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextStatus[forecastID] = append(s.nextStatus[forecastID], status)
	return nil
}

// NextJobTruncated makes the next job created for forecastID ("" = any
// forecast) a truncated one (see JobTruncation): it ends DONE as usual with
// half the entries, and its record says rowsTruncated/cellsTruncated. Calls
// queue up.
func (s *Sim) NextJobTruncated(forecastID string, t JobTruncation) error {
	if !t.set() {
		return errorf("next job truncated: set rows, cells or both")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextTrunc[forecastID] = append(s.nextTrunc[forecastID], t)
	return nil
}

// Swing multiplies the money values (except quota) of every export of
// forecastID created from now on by ratio, on top of earlier swings and the
// scenario's Ratio: totals move by ratio between the previous export and
// the next one.
func (s *Sim) Swing(forecastID string, ratio float64) error {
	if !(ratio > 0) {
		return errorf("swing ratio %v must be positive", ratio)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if r, ok := s.ratios[forecastID]; ok {
		ratio *= r
	}
	s.ratios[forecastID] = ratio
	return nil
}

// SetEmpty makes exports of forecastID for period ("*" = every period)
// return no entries (empty false undoes it). period is the exported one,
// after fallback.
func (s *Sim) SetEmpty(forecastID, period string, empty bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.empty[forecastID] == nil {
		s.empty[forecastID] = map[string]bool{}
	}
	s.empty[forecastID][period] = empty
}

// AddForeignJob adds a DONE job that belongs to another user: every request
// for it gets 403. It costs no quota and is not listed.
func (s *Sim) AddForeignJob() string {
	now := s.clock()
	s.mu.Lock()
	defer s.mu.Unlock()
	id := s.newJobIDLocked(now)
	q := QuarterOf(now, s.tenant.FiscalStartMonth)
	s.jobs[id] = &job{id: id, forecast: s.tenant.Forecasts[0], period: q.ID(), created: now, final: clari.StatusDone, foreign: true, resultsTTL: s.sc.ResultsTTL,
		params: ExportParams{ForecastID: s.tenant.Forecasts[0], Period: q.ID(), Now: now, Format: clari.FormatJSON, Currency: s.tenant.Currency}}
	s.order = append(s.order, id)
	return id
}

// newJobIDLocked returns a new job id whose first 8 hex digits are its
// creation time, as Clari's (ObjectId style) are.
func (s *Sim) newJobIDLocked(created time.Time) string {
	s.counter++
	return timedID(created, mix(uint64(s.seed))+s.counter)
}

// usageLocked returns the jobs submitted inside the quota window and the
// unfinished ones (both own jobs only).
func (s *Sim) usageLocked(now time.Time) (submitted, running []string) {
	submitted, running = []string{}, []string{}
	for _, id := range s.order {
		j := s.jobs[id]
		if j.foreign || !j.shown(now) {
			continue
		}
		if now.Sub(j.created) < s.sc.QuotaWindow {
			submitted = append(submitted, id)
		}
		if !j.view(now).Status.Terminal() {
			running = append(running, id)
		}
	}
	return s.orgUsageLocked(now, submitted, running)
}

func (s *Sim) createExport(w http.ResponseWriter, r *http.Request, rt route) {
	now := s.clock()
	s.mu.Lock()
	s.stats.CreateCalls++
	sc := s.sc
	s.mu.Unlock()
	const ns = "export"
	if !s.tenant.HasForecast(rt.forecast) {
		s.writeError(w, http.StatusBadRequest, ns, "no_such_forecast_config", "No forecast configuration found for forecastId "+rt.forecast)
		return
	}
	for _, f := range sc.NoOptIn {
		if f == rt.forecast {
			s.writeError(w, http.StatusUnauthorized, ns, "no_optin", "User has not opted in to forecast "+rt.forecast)
			return
		}
	}
	req, unknownParam, msg := decodeCreateBody(r)
	if msg != "" {
		s.writeError(w, http.StatusBadRequest, ns, "invalid_request", msg)
		return
	}
	req.ForecastID = rt.forecast
	for _, t := range req.TypesToExport {
		if typeIndex(t) < 0 {
			s.writeError(w, http.StatusBadRequest, ns, "type_not_supported", "Export type "+t+" is not supported")
			return
		}
		if sc.RejectCRMTypes && (t == clari.DataCRMTotal || t == clari.DataCRMClosed) {
			s.writeError(w, http.StatusBadRequest, ns, "type_not_supported", "Export type "+t+" is not supported for this org")
			return
		}
	}
	format := clari.ExportFormat(strings.ToUpper(string(req.ExportFormat)))
	switch format {
	case "":
		format = clari.FormatJSON
	case clari.FormatJSON, clari.FormatCSV:
	default:
		s.writeError(w, http.StatusBadRequest, ns, "invalid_request", "exportFormat must be JSON or CSV")
		return
	}
	currency := req.Currency
	if _, ok := usdRates[currency]; !ok {
		currency = s.tenant.Currency // unknown currency: silently the tenant's
	}
	period := req.TimePeriod
	if unknownParam {
		period = "" // Clari ignores the whole request's period then
	}
	q, fellBack := ResolvePeriod(s.tenant, period, now)
	fellBack = fellBack || (unknownParam && req.TimePeriod != "" && req.TimePeriod != q.ID())

	s.mu.Lock()
	submitted, running := s.usageLocked(now)
	if len(submitted) >= sc.quota() || len(running) >= sc.concurrency() {
		s.mu.Unlock()
		s.writeError(w, http.StatusBadRequest, ns, "export_monthly_quota_reached",
			"Export quota reached: monthly quota or concurrent job limit exhausted")
		return
	}
	fs := sc.Forecasts[rt.forecast]
	final := sc.FinalStatus
	if fs.FinalStatus != "" {
		final = fs.FinalStatus
	}
	for _, key := range []string{rt.forecast, ""} {
		if qu := s.nextStatus[key]; len(qu) > 0 {
			final, s.nextStatus[key] = qu[0], qu[1:]
			break
		}
	}
	trunc := sc.Truncation
	if fs.Truncation.set() {
		trunc = fs.Truncation
	}
	for _, key := range []string{rt.forecast, ""} {
		if qu := s.nextTrunc[key]; len(qu) > 0 {
			trunc, s.nextTrunc[key] = qu[0], qu[1:]
			break
		}
	}
	duration := sc.JobDuration
	if fs.JobDuration > 0 {
		duration = fs.JobDuration
	}
	sched := sc.ScheduledFor
	if sched == 0 {
		sched = duration / 4
	}
	sched = min(sched, duration)
	ratio := 1.0
	if fs.Ratio > 0 {
		ratio = fs.Ratio
	}
	if r, ok := s.ratios[rt.forecast]; ok {
		ratio *= r
	}
	empty := s.empty[rt.forecast]["*"] || s.empty[rt.forecast][q.ID()]
	for _, p := range fs.EmptyPeriods {
		empty = empty || p == "*" || p == q.ID()
	}
	s.mu.Unlock()
	// A create fault makes the job(s) first, so they exist and cost quota
	// whatever the client hears.
	fault, faulted := s.takeFault(clari.EndpointCreateExport, createFaults...)
	n, created := 1, now
	if faulted {
		// Clari may finish the create after the client gave up: the job is
		// made then, with that time in its id.
		n, created = max(1, fault.Jobs), now.Add(max(0, fault.Delay))
	}
	s.mu.Lock()
	var id string
	for range n {
		id = s.newJobIDLocked(created)
		j := &job{
			id: id, forecast: rt.forecast, req: req, period: q.ID(), fellBack: fellBack, created: created,
			scheduledFor: sched, duration: duration, final: final, resultsTTL: sc.ResultsTTL,
			params: ExportParams{
				ForecastID: rt.forecast, Period: q.ID(), Types: req.TypesToExport, IncludeHistorical: req.IncludeHistorical,
				Format: format, Currency: currency, ScopeID: req.ScopeID, Now: created, Ratio: ratio, Empty: empty,
				DuplicateEvery: sc.DuplicateEvery, KeyOrder: sc.KeyOrder, CSVCRLF: sc.CSVCRLF, CSVBOM: sc.CSVBOM,
				CRMTotalKey: sc.CRMTotalKey, StringIDs: sc.StringIDs, OmitTypes: sc.OmitTypes, Truncation: trunc,
			},
		}
		j.rowsTruncated, j.cellsTruncated = trunc.flags(s.tenant, j.params, s.seed)
		s.jobs[id] = j
		s.order = append(s.order, id)
		s.stats.JobsCreated++
	}
	s.mu.Unlock()

	switch {
	case !faulted:
		writeJSON(w, sc.CreateStatus, map[string]string{"jobId": id})
	case fault.Kind == FaultCreateThenError:
		s.write5xx(w, fault.Status)
	case fault.Kind == FaultCreateThenHang:
		select {
		case <-r.Context().Done():
		case <-s.done:
		}
		panic(http.ErrAbortHandler)
	default: // FaultCreateThenReset: the request was read; no answer at all
		panic(http.ErrAbortHandler)
	}
}

// decodeCreateBody reads the create body. unknownParam reports a key Clari
// does not know (it then silently exports the current quarter); msg is a
// 400 message for a body that is not JSON or has wrongly typed values.
func decodeCreateBody(r *http.Request) (req clari.ExportRequest, unknownParam bool, msg string) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		return req, false, "could not read the request body"
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return req, false, ""
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(body, &raw); err != nil {
		return req, false, "request body is not a JSON object: " + err.Error()
	}
	for k, v := range raw {
		var err error
		switch k {
		case "timePeriod":
			err = json.Unmarshal(v, &req.TimePeriod)
		case "typesToExport":
			err = json.Unmarshal(v, &req.TypesToExport)
		case "scopeId":
			req.ScopeID, err = decodeScope(v)
		case "currency":
			err = json.Unmarshal(v, &req.Currency)
		case "schedule":
			err = json.Unmarshal(v, &req.Schedule)
		case "includeHistorical":
			err = json.Unmarshal(v, &req.IncludeHistorical)
		case "exportFormat":
			var f string
			err = json.Unmarshal(v, &f)
			req.ExportFormat = clari.ExportFormat(f)
		default:
			unknownParam = true
		}
		if err != nil {
			return req, unknownParam, "parameter " + k + " has the wrong type"
		}
	}
	return req, unknownParam, ""
}

// decodeScope accepts scopeId as a string or as an object (one caller sends
// {"scopeId":"1905::MGR"} or similar); an object without a known id key is
// kept as compact JSON.
func decodeScope(v json.RawMessage) (string, error) {
	var s string
	if err := json.Unmarshal(v, &s); err == nil {
		return s, nil
	}
	var obj map[string]any
	if err := json.Unmarshal(v, &obj); err != nil {
		return "", err
	}
	for _, k := range []string{"scopeId", "id", "value"} {
		if s, ok := obj[k].(string); ok {
			return s, nil
		}
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, v); err != nil {
		return "", err
	}
	return buf.String(), nil
}

// lookupJob finds a job for a request, answering 400/403 itself when it
// cannot be served.
func (s *Sim) lookupJob(w http.ResponseWriter, id string) (*job, bool) {
	now := s.clock()
	s.mu.Lock()
	j, ok := s.jobs[id]
	s.mu.Unlock()
	if !ok || !j.shown(now) {
		s.writeError(w, http.StatusBadRequest, "export", "invalid_jobId", "No job found with jobId "+id)
		return nil, false
	}
	if j.foreign {
		s.writeError(w, http.StatusForbidden, "export", "forbidden", "Job "+id+" belongs to another user")
		return nil, false
	}
	return j, true
}

func (s *Sim) writeJob(w http.ResponseWriter, j *job, now time.Time) {
	s.mu.Lock()
	env := s.sc.JobEnvelope
	v := j.wire(now)
	s.mu.Unlock()
	if env == JobFlat {
		writeJSON(w, http.StatusOK, v)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"job": v})
}

func (s *Sim) getJob(w http.ResponseWriter, rt route) {
	if j, ok := s.lookupJob(w, rt.jobID); ok {
		s.writeJob(w, j, s.clock())
	}
}

// cancelJob handles PATCH {"type":"CANCEL"} as Clari documents it: a job
// that has not ended is cancelled (its slot freed) and the answer is
// {"status":"CANCELLED","successful":true}; a job that already ended answers
// 400 export_failed_to_cancel.
func (s *Sim) cancelJob(w http.ResponseWriter, r *http.Request, rt route) {
	var body struct {
		Type string `json:"type"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<16)).Decode(&body); err != nil || !strings.EqualFold(body.Type, "CANCEL") {
		s.writeError(w, http.StatusBadRequest, "export", "invalid_request", `body must be {"type":"CANCEL"}`)
		return
	}
	j, ok := s.lookupJob(w, rt.jobID)
	if !ok {
		return
	}
	now := s.clock()
	s.mu.Lock()
	status := j.view(now).Status
	ended := status.Terminal()
	if !ended {
		j.cancelledAt = now
		s.stats.Cancels++
	}
	s.mu.Unlock()
	if ended {
		s.writeError(w, http.StatusBadRequest, "export", "export_failed_to_cancel", "Job "+j.id+" has already ended ("+string(status)+") and cannot be cancelled")
		return
	}
	writeJSON(w, http.StatusOK, cancelAnswer{Status: clari.StatusCancelled, Successful: true})
}

// cancelAnswer is Clari's answer to a successful cancel.
type cancelAnswer struct {
	Status     clari.JobStatus `json:"status"`
	Successful bool            `json:"successful"`
}

func (s *Sim) results(w http.ResponseWriter, r *http.Request, rt route) {
	j, ok := s.lookupJob(w, rt.jobID)
	if !ok {
		return
	}
	now := s.clock()
	s.mu.Lock()
	v := j.view(now)
	params := j.params
	s.mu.Unlock()
	if v.Status != clari.StatusDone {
		s.writeError(w, http.StatusBadRequest, "export", "invalid_jobId", "Job "+j.id+" is "+string(v.Status)+", results exist only for DONE jobs")
		return
	}
	if now.UnixMilli() >= v.ExpiredTime {
		s.writeError(w, http.StatusBadRequest, "export", "invalid_jobId", "Results of job "+j.id+" have expired")
		return
	}
	s.mu.Lock()
	s.stats.ResultsServed++
	j.downloads++
	s.mu.Unlock()
	csv := params.Format == clari.FormatCSV
	if csv {
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	} else {
		w.Header().Set("Content-Type", "application/json")
	}
	w.Header().Set("Content-Disposition", `attachment; filename="`+v.FileName+`"`)
	s.writeBody(w, http.StatusOK, clari.EndpointResults, csv, func(out io.Writer) error {
		return WriteResult(out, s.tenant, params, s.seed)
	})
}

// limitsJSON is /admin/limits on the wire (runningJobIds omitted when empty).
type limitsJSON struct {
	ConcurrentLimit          int      `json:"concurrentLimit"`
	MonthlyQuota             int      `json:"monthlyQuota"`
	AvailableConcurrentLimit int      `json:"availableConcurrentLimit"`
	AvailableMonthlyQuota    int      `json:"availableMonthlyQuota"`
	RunningJobIDs            []string `json:"runningJobIds,omitempty"`
	SubmittedJobIDs          []string `json:"submittedJobIds"`
}

// Limits returns what /admin/limits would answer now.
func (s *Sim) Limits() clari.Limits {
	// Field by field: a struct conversion would break when clari.Limits
	// grows a field.
	l := s.limitsNow()
	return clari.Limits{
		ConcurrentLimit: l.ConcurrentLimit, MonthlyQuota: l.MonthlyQuota,
		AvailableConcurrentLimit: l.AvailableConcurrentLimit, AvailableMonthlyQuota: l.AvailableMonthlyQuota,
		RunningJobIDs: l.RunningJobIDs, SubmittedJobIDs: l.SubmittedJobIDs,
	}
}

func (s *Sim) limitsNow() limitsJSON {
	now := s.clock()
	s.mu.Lock()
	defer s.mu.Unlock()
	submitted, running := s.usageLocked(now)
	l := limitsJSON{
		ConcurrentLimit:          s.sc.concurrency(),
		MonthlyQuota:             s.sc.quota(),
		AvailableConcurrentLimit: max(0, s.sc.concurrency()-len(running)),
		AvailableMonthlyQuota:    max(0, s.sc.quota()-len(submitted)),
		SubmittedJobIDs:          submitted,
	}
	if len(running) > 0 {
		l.RunningJobIDs = running
	}
	return l
}

func (s *Sim) limits(w http.ResponseWriter) {
	writeJSON(w, http.StatusOK, map[string]any{"jobs": s.limitsNow()})
}
