package clarisim

// A production pipeline beside the exporter: other users' exports that show
// only in /admin/limits (org-wide), a long job history of the token user, and
// pipeline jobs made by a scenario that succeed, fail, get stuck, come back
// empty, swing or are never downloaded. The pipeline watch reads all of it
// without spending quota.

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"time"

	"github.com/clari-exporter/clari_exporter/clari"
)

// OrgJob is an export made by another user of the org: it counts against the
// org's quota and shows in /admin/limits, never in the token user's job list.
type OrgJob struct {
	// Created is when the job was made.
	Created time.Time
	// Duration is how long it runs (listed in runningJobIds meanwhile).
	Duration time.Duration
	// IDTime, when not zero, is the time embedded in the job's id instead of
	// Created: an implausible one (in the future, or before the quota
	// window) models an id that does not carry its creation time.
	IDTime time.Time
}

// OrgLoad is a steady stream of other users' exports: one every Every from
// From on (From may lie in the past), each running for Duration.
type OrgLoad struct {
	From     time.Time
	Every    time.Duration
	Duration time.Duration
}

// PipelineJob is one job the simulated production pipeline creates with the
// token user's identity, so it is listed by GET /export/jobs.
type PipelineJob struct {
	// At is when, after the pipeline's start, the job is created.
	At time.Duration
	// Forecast is the forecast tab (default: the tenant's first).
	Forecast string
	// Period is the exported period (default: the current quarter then).
	Period string
	// Final is DONE (default), FAILED, ABORTED, CANCELLED or NeverFinish
	// (a stuck job).
	Final clari.JobStatus
	// Duration is creation → end (default 30 s); the job is SCHEDULED for
	// its first quarter.
	Duration time.Duration
	// Empty makes the results contain no entries.
	Empty bool
	// Ratio multiplies money values (a swing against an export with another
	// ratio); 0 means 1.
	Ratio float64
	// Undownloaded: the pipeline never downloads the results (a wasted
	// export). Otherwise its own download counts once it is DONE.
	Undownloaded bool
	// Format is the result format (default JSON).
	Format clari.ExportFormat
	// Types is typesToExport (nil: Clari's default).
	Types []string
	// Truncation makes the DONE job's document incomplete and its record
	// say so (rowsTruncated / cellsTruncated).
	Truncation JobTruncation
}

// pipelineState is the simulator's part for the above.
type pipelineState struct {
	org      []orgJob
	load     *OrgLoad
	loadNext int // index of the next load job to materialise
	start    time.Time
	plan     []PipelineJob // sorted by At
	planNext int
}

type orgJob struct {
	id      string
	created time.Time
	ends    time.Time
}

func (s *Sim) newOrgJobLocked(j OrgJob) string {
	idTime := j.Created
	if !j.IDTime.IsZero() {
		idTime = j.IDTime
	}
	s.counter++
	id := timedID(idTime, mix(uint64(s.seed)^0x6f7267)+s.counter)
	s.pipe.org = append(s.pipe.org, orgJob{id: id, created: j.Created, ends: j.Created.Add(j.Duration)})
	return id
}

// AddOrgJobs adds exports made by other users of the org and returns their ids.
func (s *Sim) AddOrgJobs(jobs ...OrgJob) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	ids := make([]string, len(jobs))
	for i, j := range jobs {
		ids[i] = s.newOrgJobLocked(j)
	}
	return ids
}

// SetOrgLoad starts a steady stream of other users' exports (replacing a
// previous one; jobs already made stay).
func (s *Sim) SetOrgLoad(l OrgLoad) error {
	if l.Every <= 0 {
		return errorf("org load: every must be > 0")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pipe.load, s.pipe.loadNext = &l, 0
	return nil
}

// StartPipeline schedules a production pipeline's jobs from start on
// (replacing a previous plan; jobs already made stay). Jobs appear when the
// simulator clock reaches start + At.
func (s *Sim) StartPipeline(start time.Time, jobs []PipelineJob) error {
	plan := slices.Clone(jobs)
	for i, j := range plan {
		if err := validStatus(j.Final); err != nil {
			return errorf("pipeline job %d: %v", i, err)
		}
		if j.Forecast != "" && !s.tenant.HasForecast(j.Forecast) {
			return errorf("pipeline job %d: forecast %q is not one of the tenant's", i, j.Forecast)
		}
		if j.At < 0 || j.Duration < 0 || j.Ratio < 0 {
			return errorf("pipeline job %d: at, duration and ratio must not be negative", i)
		}
	}
	slices.SortStableFunc(plan, func(a, b PipelineJob) int { return int(a.At - b.At) })
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pipe.start, s.pipe.plan, s.pipe.planNext = start, plan, 0
	return nil
}

// AddJobHistory adds n finished jobs of the token user spread evenly over
// [from, to), round robin over the tenant's forecasts: every 25th FAILED,
// every 50th CANCELLED, the rest DONE and downloaded. Jobs inside the quota
// window count against it like any other.
func (s *Sim) AddJobHistory(n int, from, to time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	step := to.Sub(from) / time.Duration(max(n, 1))
	for i := range n {
		created := from.Add(time.Duration(i) * step)
		final := clari.StatusDone
		switch {
		case i%50 == 49:
			final = clari.StatusCancelled
		case i%25 == 24:
			final = clari.StatusFailed
		}
		f := s.tenant.Forecasts[i%len(s.tenant.Forecasts)]
		s.addPipelineJobLocked(created, PipelineJob{Forecast: f, Final: final, Duration: 40 * time.Second})
	}
}

func (s *Sim) addPipelineJobLocked(created time.Time, p PipelineJob) *job {
	if p.Forecast == "" {
		p.Forecast = s.tenant.Forecasts[0]
	}
	q, _ := ResolvePeriod(s.tenant, p.Period, created)
	if p.Final == "" {
		p.Final = clari.StatusDone
	}
	if p.Duration == 0 {
		p.Duration = 30 * time.Second
	}
	if p.Format == "" {
		p.Format = clari.FormatJSON
	}
	ratio := p.Ratio
	if ratio == 0 {
		ratio = 1
	}
	id := s.newJobIDLocked(created)
	j := &job{
		id: id, forecast: p.Forecast, period: q.ID(), created: created,
		scheduledFor: p.Duration / 4, duration: p.Duration, final: p.Final, resultsTTL: s.sc.ResultsTTL,
		selfDownload: !p.Undownloaded, pipeline: true,
		req: clari.ExportRequest{ForecastID: p.Forecast, TimePeriod: q.ID(), TypesToExport: p.Types, ExportFormat: p.Format},
		params: ExportParams{ForecastID: p.Forecast, Period: q.ID(), Types: p.Types, Format: p.Format,
			Currency: s.tenant.Currency, Now: created, Ratio: ratio, Empty: p.Empty, Truncation: p.Truncation},
	}
	j.rowsTruncated, j.cellsTruncated = p.Truncation.flags(s.tenant, j.params, s.seed)
	s.jobs[id] = j
	s.order = append(s.order, id)
	return j
}

// advanceLocked makes the org load's and the pipeline's jobs that are due.
func (s *Sim) advanceLocked(now time.Time) {
	if l := s.pipe.load; l != nil {
		for {
			at := l.From.Add(time.Duration(s.pipe.loadNext) * l.Every)
			if at.After(now) {
				break
			}
			s.pipe.loadNext++
			if now.Sub(at) >= s.sc.QuotaWindow {
				continue // long rolled out: no need to keep it
			}
			s.newOrgJobLocked(OrgJob{Created: at, Duration: l.Duration})
		}
	}
	for s.pipe.planNext < len(s.pipe.plan) {
		p := s.pipe.plan[s.pipe.planNext]
		at := s.pipe.start.Add(p.At)
		if at.After(now) {
			break
		}
		s.pipe.planNext++
		s.addPipelineJobLocked(at, p)
	}
}

func (s *Sim) advance() {
	now := s.clock()
	s.mu.Lock()
	s.advanceLocked(now)
	s.mu.Unlock()
}

// orgUsageLocked adds the other users' exports to the token user's usage.
func (s *Sim) orgUsageLocked(now time.Time, submitted, running []string) ([]string, []string) {
	s.advanceLocked(now)
	for _, o := range s.pipe.org {
		if age := now.Sub(o.created); age >= 0 && age < s.sc.QuotaWindow {
			submitted = append(submitted, o.id)
			if now.Before(o.ends) {
				running = append(running, o.id)
			}
		}
	}
	return submitted, running
}

// OrgUsage is the simulator's own arithmetic of the org's quota now.
type OrgUsage struct {
	Submitted, Running int
	// ByOthers counts submitted exports not created through POST by the
	// token user's API calls: other users' and the pipeline's.
	ByOthers int
	// OldestRunningCreated is the creation time of the oldest running
	// export (zero when none runs).
	OldestRunningCreated time.Time
}

// OrgUsage returns the counts behind /admin/limits now.
func (s *Sim) OrgUsage() OrgUsage {
	now := s.clock()
	s.mu.Lock()
	defer s.mu.Unlock()
	submitted, running := s.usageLocked(now)
	u := OrgUsage{Submitted: len(submitted), Running: len(running)}
	created := func(id string) (time.Time, bool) {
		if j, ok := s.jobs[id]; ok {
			return j.created, j.pipeline
		}
		for _, o := range s.pipe.org {
			if o.id == id {
				return o.created, true
			}
		}
		return time.Time{}, false
	}
	for _, id := range submitted {
		if _, other := created(id); other {
			u.ByOthers++
		}
	}
	for _, id := range running {
		if c, _ := created(id); u.OldestRunningCreated.IsZero() || c.Before(u.OldestRunningCreated) {
			u.OldestRunningCreated = c
		}
	}
	return u
}

// ProjectQuotaExhaustion is the simulator's own answer to "when will the
// available monthly quota first be at or below reserve", from what it
// knows: the exports in the window rolling out, the org load and the
// pipeline plan going on. ok is false when that is not within horizon. The
// exporter, which only sees ids, must come close to it.
func (s *Sim) ProjectQuotaExhaustion(reserve int, horizon time.Duration) (time.Time, bool) {
	now := s.clock()
	s.mu.Lock()
	defer s.mu.Unlock()
	submitted, _ := s.usageLocked(now)
	quota := s.sc.quota()
	type event struct {
		at    time.Time
		delta int
	}
	var ev []event
	for _, id := range submitted {
		var c time.Time
		if j, ok := s.jobs[id]; ok {
			c = j.created
		} else {
			for _, o := range s.pipe.org {
				if o.id == id {
					c = o.created
				}
			}
		}
		ev = append(ev, event{c.Add(s.sc.QuotaWindow), -1})
	}
	end := now.Add(horizon)
	if l := s.pipe.load; l != nil {
		for k := s.pipe.loadNext; ; k++ {
			at := l.From.Add(time.Duration(k) * l.Every)
			if at.After(end) {
				break
			}
			ev = append(ev, event{at, +1}, event{at.Add(s.sc.QuotaWindow), -1})
		}
	}
	for _, p := range s.pipe.plan[s.pipe.planNext:] {
		at := s.pipe.start.Add(p.At)
		ev = append(ev, event{at, +1}, event{at.Add(s.sc.QuotaWindow), -1})
	}
	// Roll-offs first at equal times: an id leaves the window as the
	// next one enters it.
	slices.SortStableFunc(ev, func(a, b event) int {
		if c := a.at.Compare(b.at); c != 0 {
			return c
		}
		return a.delta - b.delta
	})
	used := len(submitted)
	if quota-used <= reserve {
		return now, true
	}
	for _, e := range ev {
		if e.at.After(end) {
			break
		}
		used += e.delta
		if quota-used <= reserve {
			return e.at, true
		}
	}
	return time.Time{}, false
}

// listJobs answers GET /export/jobs streaming: a history of 100,000 jobs is
// encoded in batches, never held whole.
func (s *Sim) listJobs(w http.ResponseWriter) {
	now := s.clock()
	s.mu.Lock()
	env := s.sc.ListEnvelope
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	s.writeBody(w, http.StatusOK, clari.EndpointListJobs, false, func(out io.Writer) error {
		bw := bufio.NewWriterSize(out, 64<<10)
		if env == ListObject {
			bw.WriteString(`{"jobs":`)
		}
		bw.WriteByte('[')
		first := true
		batch := make([]jobJSON, 0, 512)
		for i := 0; ; {
			batch = batch[:0]
			s.mu.Lock()
			for ; i < len(s.order) && len(batch) < cap(batch); i++ {
				if j := s.jobs[s.order[i]]; !j.foreign && j.shown(now) {
					batch = append(batch, j.wire(now))
				}
			}
			done := i >= len(s.order)
			s.mu.Unlock()
			for _, v := range batch {
				b, err := json.Marshal(v)
				if err != nil {
					return err
				}
				if !first {
					bw.WriteByte(',')
				}
				first = false
				if _, err := bw.Write(b); err != nil {
					return err
				}
			}
			if done {
				break
			}
		}
		bw.WriteByte(']')
		if env == ListObject {
			bw.WriteByte('}')
		}
		bw.WriteByte('\n')
		return bw.Flush()
	})
}

// timedID is a job id whose first 8 hex digits are t in Unix seconds.
func timedID(t time.Time, h uint64) string {
	return fmt.Sprintf("%08x%016x", uint32(t.Unix()), mix(h))
}

// fileNameOf is the job's fileName as Clari forms it.
func fileNameOf(j *job) string {
	format := j.params.Format
	if format == "" {
		format = clari.FormatJSON
	}
	name, err := clari.ExportFileNameFor(j.forecast, j.period, int(mix(uint64(len(j.id))^uint64(j.created.UnixNano()))%10000), j.created, format)
	if err != nil {
		return j.forecast + "_" + j.period + "." + string(format) // a period not YYYY_QN: no Clari name exists
	}
	return name
}
