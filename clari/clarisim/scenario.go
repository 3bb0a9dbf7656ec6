package clarisim

import (
	"time"

	"github.com/clari-exporter/clari_exporter/clari"
)

// Envelope variants of job and job-list responses.
const (
	// JobWrapped answers GET/PATCH /export/jobs/{id} with {"job":{...}}
	// (every real caller sees this; the default).
	JobWrapped = "wrapped"
	// JobFlat answers with the job object itself (the reference says so).
	JobFlat = "flat"
	// ListArray answers GET /export/jobs with a bare array (the default).
	ListArray = "array"
	// ListObject answers GET /export/jobs with {"jobs":[...]}.
	ListObject = "object"
)

// NeverFinish as a final status makes a job stay STARTED forever.
const NeverFinish = clari.StatusStarted

// Scenario is the switchable behaviour of the simulator. The zero value is
// the documented default behaviour of Clari. Install it with Sim.SetScenario;
// YAML keys are those of the clari-sim --scenario.file.
type Scenario struct {
	// JobEnvelope is JobWrapped (default) or JobFlat.
	JobEnvelope string `yaml:"job_envelope"`
	// ListEnvelope is ListArray (default) or ListObject.
	ListEnvelope string `yaml:"list_envelope"`
	// CreateStatus is the status of a successful create: 200 (default) or
	// any other 2xx such as 202.
	CreateStatus int `yaml:"create_status"`

	// JobDuration is how long a job takes from create to its final status,
	// measured on the simulator clock (default 0: DONE at once).
	JobDuration time.Duration `yaml:"job_duration"`
	// ScheduledFor is how long a job stays SCHEDULED before STARTED
	// (default JobDuration/4, never more than JobDuration).
	ScheduledFor time.Duration `yaml:"scheduled_for"`
	// FinalStatus is how jobs end: DONE (default), FAILED, ABORTED,
	// CANCELLED, or NeverFinish (STARTED forever).
	FinalStatus clari.JobStatus `yaml:"final_status"`
	// Truncation makes every DONE job deliver an incomplete document and
	// say so in its record (zero: complete exports).
	Truncation JobTruncation `yaml:"truncation"`

	// MonthlyQuota is the number of jobs per QuotaWindow (default 1000;
	// negative means 0: every create is rejected).
	MonthlyQuota int `yaml:"monthly_quota"`
	// ConcurrentLimit is the number of unfinished jobs allowed (default 3;
	// negative means 0).
	ConcurrentLimit int `yaml:"concurrent_limit"`
	// QuotaWindow is the rolling quota window (default 30 days).
	QuotaWindow time.Duration `yaml:"quota_window"`
	// ResultsTTL is how long results stay downloadable after a job ends
	// (default 30 days).
	ResultsTTL time.Duration `yaml:"results_ttl"`

	// RejectCRMTypes answers 400 type_not_supported to creates asking for
	// crm_total or crm_closed.
	RejectCRMTypes bool `yaml:"reject_crm_types"`
	// NoOptIn lists forecast ids whose creates get 401 no_optin.
	NoOptIn []string `yaml:"no_opt_in"`
	// DuplicateEvery > 0 repeats every n-th JSON entry as a stale copy (see
	// ExportParams.DuplicateEvery).
	DuplicateEvery int `yaml:"duplicate_every"`
	// KeyOrder fixes the order of the top-level JSON lists; nil derives it
	// from the seed.
	KeyOrder []string `yaml:"key_order"`
	// CSVCRLF ends CSV result lines with CRLF; CSVBOM starts CSV results
	// with a UTF-8 byte order mark (both off by default).
	CSVCRLF bool `yaml:"csv_crlf"`
	CSVBOM  bool `yaml:"csv_bom"`

	// CRMTotalKey is the JSON key of crm_total values: "aggregationTotal"
	// (default) or the legacy "crmTotalValue".
	CRMTotalKey string `yaml:"crm_total_key"`
	// StringIDs sends the ids Clari sends either way (an entry's updatedBy,
	// an audit event's actorId) as JSON strings; by default they are
	// numbers. orgId and a job's userId are always numbers.
	StringIDs bool `yaml:"string_ids"`
	// OmitTypes lists requested data types that results leave out: Clari
	// accepted the type and delivered no value of it.
	OmitTypes []string `yaml:"omit_types"`

	// AuditEvents is the number of audit events besides one per created job
	// (default 25; negative means none).
	AuditEvents int `yaml:"audit_events"`
	// AuditPageSize is the page size when the request has no limit
	// (default 10).
	AuditPageSize int `yaml:"audit_page_size"`

	// Forecasts holds per-forecast behaviour, keyed by forecast id.
	Forecasts map[string]ForecastScenario `yaml:"forecasts"`
	// Faults replaces the fault queue when the scenario is installed.
	Faults []Fault `yaml:"faults"`
}

// ForecastScenario is behaviour specific to one forecast id.
type ForecastScenario struct {
	// FinalStatus overrides Scenario.FinalStatus for this forecast.
	FinalStatus clari.JobStatus `yaml:"final_status"`
	// JobDuration overrides Scenario.JobDuration when > 0.
	JobDuration time.Duration `yaml:"job_duration"`
	// EmptyPeriods lists periods ("2025_Q1", after fallback) whose exports
	// have no entries; "*" means every period.
	EmptyPeriods []string `yaml:"empty_periods"`
	// Ratio multiplies the money values (except quota) of exports of this
	// forecast; 0 means 1.
	Ratio float64 `yaml:"ratio"`
	// Truncation overrides Scenario.Truncation for this forecast when set.
	Truncation JobTruncation `yaml:"truncation"`
}

// FaultKind names an injected failure.
type FaultKind string

// Fault kinds.
const (
	// FaultTooManyRequests answers 429, with Retry-After when set.
	FaultTooManyRequests FaultKind = "429"
	// FaultServerError answers Status (default 500).
	FaultServerError FaultKind = "5xx"
	// FaultHang never answers: the handler blocks until the request's
	// context is cancelled (or Sim.Close).
	FaultHang FaultKind = "hang"
	// FaultTruncate sends the first Bytes bytes of the body and then aborts
	// the connection (the client sees an unexpected EOF).
	FaultTruncate FaultKind = "truncate"
	// FaultMalformed sends the first Bytes bytes of the body, then garbage,
	// and ends the response cleanly (the client sees invalid JSON/CSV).
	FaultMalformed FaultKind = "malformed"
	// FaultSlow delays the answer by Delay (or until the request's context
	// ends), then serves the request normally.
	FaultSlow FaultKind = "slow"
	// FaultReset drops the connection before the simulator handles the
	// request: Clari never saw it, so nothing happens (a create makes no
	// job and costs no quota), and the client sees the connection end
	// without an answer.
	FaultReset FaultKind = "reset"
	// FaultCreateThenError creates the job (it exists and costs quota) and
	// then answers Status (default 500 internal_server_error; 502, 503 and
	// 504 answer like a gateway) to the create.
	FaultCreateThenError FaultKind = "create_then_500"
	// FaultCreateThenHang creates the job and never answers the create:
	// the client gives up (its request timeout) not knowing the job exists.
	FaultCreateThenHang FaultKind = "create_then_hang"
	// FaultCreateThenReset reads the create, creates the job and drops the
	// connection without an answer (a reset after the request was written).
	FaultCreateThenReset FaultKind = "create_then_reset"
)

// createFaults are the kinds that make the job before failing the create.
var createFaults = []FaultKind{FaultCreateThenError, FaultCreateThenHang, FaultCreateThenReset}

func isCreateFault(k FaultKind) bool {
	for _, c := range createFaults {
		if k == c {
			return true
		}
	}
	return false
}

// Fault is an injected failure for the next Count matching requests.
type Fault struct {
	Kind FaultKind `yaml:"kind" json:"kind"`
	// Endpoint restricts the fault to one endpoint (clari.Endpoint* names:
	// create_export, get_job, list_jobs, cancel_job, results, limits,
	// audit_events); empty matches every endpoint.
	Endpoint string `yaml:"endpoint" json:"endpoint"`
	// Count is the number of matching requests hit (0 means 1); negative
	// means every matching request until ClearFaults.
	Count int `yaml:"count" json:"count"`
	// RetryAfter is the Retry-After header value of a 429, sent verbatim
	// ("3" or an HTTP date); empty sends none.
	RetryAfter string `yaml:"retry_after" json:"retry_after"`
	// Status is the code of FaultServerError (default 500).
	Status int `yaml:"status" json:"status"`
	// Bytes is how much of the body FaultTruncate/FaultMalformed let through
	// (default 512).
	Bytes int `yaml:"bytes" json:"bytes"`
	// Delay is the wait of FaultSlow (default 1s). For the create_then_*
	// kinds it is how long (simulator clock) after the create Clari makes
	// the job: until then it is not in the job list, unknown to GET and
	// counts no quota, and its id and times are those of its late creation
	// (Clari finishing the create after the client gave up).
	Delay time.Duration `yaml:"delay" json:"delay"`
	// Jobs is how many jobs a create_then_* create makes (default 1): two
	// jobs for one POST (a gateway retrying upstream) is a hazard too.
	Jobs int `yaml:"jobs" json:"jobs"`
}

// withDefaults returns the scenario with zero values replaced.
func (sc Scenario) withDefaults() Scenario {
	if sc.JobEnvelope == "" {
		sc.JobEnvelope = JobWrapped
	}
	if sc.ListEnvelope == "" {
		sc.ListEnvelope = ListArray
	}
	if sc.CreateStatus == 0 {
		sc.CreateStatus = 200
	}
	if sc.FinalStatus == "" {
		sc.FinalStatus = clari.StatusDone
	}
	if sc.MonthlyQuota == 0 {
		sc.MonthlyQuota = 1000
	}
	if sc.ConcurrentLimit == 0 {
		sc.ConcurrentLimit = 3
	}
	if sc.QuotaWindow <= 0 {
		sc.QuotaWindow = 30 * 24 * time.Hour
	}
	if sc.ResultsTTL <= 0 {
		sc.ResultsTTL = 30 * 24 * time.Hour
	}
	if sc.AuditEvents == 0 {
		sc.AuditEvents = 25
	}
	if sc.AuditPageSize <= 0 {
		sc.AuditPageSize = 10
	}
	return sc
}

// Validate reports a scenario the simulator cannot serve.
func (sc Scenario) Validate() error {
	switch sc.JobEnvelope {
	case "", JobWrapped, JobFlat:
	default:
		return errorf("job_envelope %q: use %q or %q", sc.JobEnvelope, JobWrapped, JobFlat)
	}
	switch sc.ListEnvelope {
	case "", ListArray, ListObject:
	default:
		return errorf("list_envelope %q: use %q or %q", sc.ListEnvelope, ListArray, ListObject)
	}
	if sc.CreateStatus != 0 && (sc.CreateStatus < 200 || sc.CreateStatus > 299) {
		return errorf("create_status %d: must be 2xx", sc.CreateStatus)
	}
	if err := validStatus(sc.FinalStatus); err != nil {
		return errorf("final_status: %v", err)
	}
	for id, f := range sc.Forecasts {
		if err := validStatus(f.FinalStatus); err != nil {
			return errorf("forecasts.%s.final_status: %v", id, err)
		}
		if f.Ratio < 0 {
			return errorf("forecasts.%s.ratio %v: must not be negative", id, f.Ratio)
		}
	}
	for i, f := range sc.Faults {
		if err := f.validate(); err != nil {
			return errorf("faults[%d]: %v", i, err)
		}
	}
	switch sc.CRMTotalKey {
	case "", CRMTotalKeyAggregation, CRMTotalKeyLegacy:
	default:
		return errorf("crm_total_key %q: use %q or %q", sc.CRMTotalKey, CRMTotalKeyAggregation, CRMTotalKeyLegacy)
	}
	for _, t := range sc.OmitTypes {
		if typeIndex(t) < 0 {
			return errorf("omit_types: unknown data type %q (use %v)", t, clari.AllDataTypes)
		}
	}
	for _, k := range sc.KeyOrder {
		ok := false
		for _, t := range topLevelKeys {
			ok = ok || k == t
		}
		if !ok {
			return errorf("key_order: unknown key %q (use %v)", k, topLevelKeys)
		}
	}
	return nil
}

func validStatus(s clari.JobStatus) error {
	switch s {
	case "", clari.StatusDone, clari.StatusFailed, clari.StatusAborted, clari.StatusCancelled, NeverFinish:
		return nil
	}
	return errorf("status %q: use DONE, FAILED, ABORTED, CANCELLED or STARTED (never finishes)", s)
}

func (f Fault) validate() error {
	switch f.Kind {
	case FaultTooManyRequests, FaultServerError, FaultHang, FaultSlow, FaultReset, FaultTruncate, FaultMalformed,
		FaultCreateThenError, FaultCreateThenHang, FaultCreateThenReset:
	default:
		return errorf("kind %q: use 429, 5xx, hang, slow, reset, truncate, malformed, create_then_500, create_then_hang or create_then_reset", f.Kind)
	}
	if f.Jobs < 0 || f.Jobs > 10 {
		return errorf("jobs %d: must be 0..10", f.Jobs)
	}
	if f.Status != 0 && (f.Status < 500 || f.Status > 599) {
		return errorf("status %d: must be 5xx", f.Status)
	}
	if (f.Kind == FaultTruncate || f.Kind == FaultMalformed) && f.Endpoint != "" && f.Endpoint != clari.EndpointResults {
		return errorf("kind %s applies to the results endpoint only", f.Kind)
	}
	if isCreateFault(f.Kind) && f.Endpoint != "" && f.Endpoint != clari.EndpointCreateExport {
		return errorf("kind %s applies to the create_export endpoint only", f.Kind)
	}
	switch f.Endpoint {
	case "", clari.EndpointCreateExport, clari.EndpointGetJob, clari.EndpointListJobs, clari.EndpointCancelJob,
		clari.EndpointResults, clari.EndpointLimits, clari.EndpointAuditEvents:
	default:
		return errorf("endpoint %q: unknown endpoint name", f.Endpoint)
	}
	return nil
}

// quota and concurrency are the effective limits (negative means 0). The
// stored values stay negative so that applying defaults again is harmless.
func (sc Scenario) quota() int       { return max(0, sc.MonthlyQuota) }
func (sc Scenario) concurrency() int { return max(0, sc.ConcurrentLimit) }
