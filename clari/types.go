// Package clari is the client for the Clari Revenue API v4: requests, typed
// errors, resilience (pacing → circuit breaker → retry), the export job
// lifecycle and streaming decoding of export results (JSON and CSV).
//
// The types in this file are the shared vocabulary of the whole project: the
// simulator serves them, the decoders produce them, snapshot/ consumes them.
package clari

import (
	"encoding/json"
	"time"
)

// ProductionBaseURL is Clari's production API root. The checklist's sample code
// uses /v1 and Bearer auth; both are wrong for the real API.
const ProductionBaseURL = "https://api.clari.com/v4"

// Data types a forecast export can carry (the typesToExport vocabulary).
const (
	DataForecast        = "forecast"
	DataQuota           = "quota"
	DataForecastUpdated = "forecast_updated"
	DataAdjustment      = "adjustment"
	DataCRMTotal        = "crm_total"
	DataCRMClosed       = "crm_closed"
)

// AllDataTypes lists every value typesToExport accepts, in Clari's order.
var AllDataTypes = []string{DataForecast, DataQuota, DataForecastUpdated, DataAdjustment, DataCRMTotal, DataCRMClosed}

// Entry is one value of an export, normalised so that JSON and CSV results
// decode to the same thing: one Entry per user × field × week × data type.
//
// A JSON entry carrying forecastValue and quotaValue becomes two Entries
// (DataType "forecast" and "quota"); a CSV row is one Entry already.
type Entry struct {
	// UserID identifies the user. JSON: userId. CSV has no Clari user id, so
	// it is the "CRM User ID" column (or Email when that is empty); a person
	// in several hierarchy nodes is one user per node (see DecodeCSV).
	UserID string
	// FieldID identifies the forecast field. JSON: fieldId. CSV: the Field
	// column (the field's display name).
	FieldID string
	// TimePeriodID is the fiscal quarter, e.g. "2026_Q4".
	TimePeriodID string
	// TimeFrameID is the week, "TF:yyyy-mm-dd" (the week's start date).
	TimeFrameID string
	// DataType is one of the Data* constants.
	DataType string
	// Value is the number; booleans (isUpdated, CSV "Yes"/"No") are 1/0.
	Value float64
	// HasValue is false where Clari sent null or an empty cell.
	HasValue bool
	// UpdatedOn is epoch milliseconds; 0 when the format does not carry it (CSV).
	UpdatedOn int64
	// Currency is the ISO code ("USD"), empty when absent.
	Currency string
}

// User is an item of the result's users list: one person in one hierarchy
// node (a person in several nodes is several Users with one CRMID).
type User struct {
	UserID        string
	Name          string
	Email         string
	CRMID         string
	HierarchyID   string
	HierarchyName string
	// ParentHierarchyID and ParentHierarchyName are the parent node's, ""
	// for the root (Clari sends null).
	ParentHierarchyID   string
	ParentHierarchyName string
	// ScopeID is the node's scope as Clari sends it: a JSON-encoded string,
	// kept as is.
	ScopeID string
}

// Field is an item of the result's fields list.
type Field struct {
	FieldID   string
	FieldName string
	FieldType string
}

// TimePeriod is an item of the result's timePeriods list.
type TimePeriod struct {
	TimePeriodID string
	Type         string
	Label        string
	Year         string
	StartDate    string
	EndDate      string
	// CRMID is the CRM's id of the period.
	CRMID string
}

// TimeFrame is an item of the result's timeFrames list (a 7-day week).
type TimeFrame struct {
	TimeFrameID string
	StartDate   string
	EndDate     string
}

// Visitor receives the items of an export result as they are decoded, so a
// result of any size is never held in memory. Nil funcs are skipped. An error
// returned by a func stops decoding and is returned as is.
//
// The Entry passed to the Entry func is reused: copy it to keep it.
type Visitor struct {
	Entry      func(*Entry) error
	User       func(User) error
	Field      func(Field) error
	TimePeriod func(TimePeriod) error
	TimeFrame  func(TimeFrame) error

	// PeriodOf maps a day to the id of the fiscal period containing it
	// ("2026_Q4"): the tenant's fiscal calendar. CSV results have no period
	// column (Timeframe is a month label), so a CSV row's TimePeriodID is
	// the period of its week (Week 0 by its last day, as it may start before
	// the quarter; other weeks by their Start Day); a row outside the
	// requested quarter then shows as another period (period_mismatch).
	// Required to decode CSV; JSON does not use it.
	PeriodOf func(day time.Time) string
	// UnknownDataType is called after a CSV document once for each Data
	// Type label the decoder does not know, in order of first appearance,
	// with the number of rows of it that were skipped. JSON does not use
	// it (unknown JSON keys are simply ignored).
	UnknownDataType func(label string, rows int) error
}

// JobStatus is the status of an export job as Clari reports it.
type JobStatus string

// Known job statuses. Any other value is treated as still running (but the
// poll is still bounded by its timeout).
const (
	StatusScheduled JobStatus = "SCHEDULED"
	StatusStarted   JobStatus = "STARTED"
	StatusDone      JobStatus = "DONE"
	StatusFailed    JobStatus = "FAILED"
	StatusCancelled JobStatus = "CANCELLED"
	StatusAborted   JobStatus = "ABORTED"
)

// Terminal reports whether no further status change will come.
func (s JobStatus) Terminal() bool {
	switch s {
	case StatusDone, StatusFailed, StatusCancelled, StatusAborted:
		return true
	}
	return false
}

// Job is an export job (GET /export/jobs/{id}), envelope removed.
type Job struct {
	JobID       string    `json:"jobId"`
	Status      JobStatus `json:"status"`
	StartTime   int64     `json:"startTime,omitempty"`   // epoch ms
	EndTime     int64     `json:"endTime,omitempty"`     // epoch ms
	ExpiredTime int64     `json:"expiredTime,omitempty"` // epoch ms
	Title       string    `json:"title,omitempty"`
	FileName    string    `json:"fileName,omitempty"`
	FileType    string    `json:"fileType,omitempty"`
	Currency    string    `json:"currency,omitempty"`
	// Downloads counts the downloads of the job's results (anyone's).
	Downloads int `json:"downloads,omitempty"`
	// UserID is the id of the user who created the job; Clari sends it as a
	// number (kept as its decimal text) or a string, so it is decoded by
	// the client's own wire type, not by these tags.
	UserID string `json:"-"`
	// RowsTruncated and CellsTruncated say the job's document is
	// incomplete (see Truncated); Clari sends each as a boolean or a count.
	RowsTruncated  Truncation `json:"rowsTruncated"`
	CellsTruncated Truncation `json:"cellsTruncated"`
}

// ExportFormat is the result document format.
type ExportFormat string

// Result formats.
const (
	FormatJSON ExportFormat = "JSON"
	FormatCSV  ExportFormat = "CSV"
)

// ExportRequest is the body of POST /export/forecast/{forecastId}. Zero
// values are omitted, so Clari applies its defaults.
type ExportRequest struct {
	ForecastID        string       `json:"-"`
	TimePeriod        string       `json:"timePeriod,omitempty"`
	TypesToExport     []string     `json:"typesToExport,omitempty"`
	ScopeID           string       `json:"scopeId,omitempty"`
	Currency          string       `json:"currency,omitempty"`
	Schedule          string       `json:"schedule,omitempty"`
	IncludeHistorical bool         `json:"includeHistorical,omitempty"`
	ExportFormat      ExportFormat `json:"exportFormat,omitempty"`
}

// Limits is GET /admin/limits, envelope removed.
type Limits struct {
	ConcurrentLimit          int      `json:"concurrentLimit"`
	MonthlyQuota             int      `json:"monthlyQuota"`
	AvailableConcurrentLimit int      `json:"availableConcurrentLimit"`
	AvailableMonthlyQuota    int      `json:"availableMonthlyQuota"`
	RunningJobIDs            []string `json:"runningJobIds,omitempty"`
	SubmittedJobIDs          []string `json:"submittedJobIds,omitempty"`
}

// AuditEvent is one item of GET /audit/events.
type AuditEvent struct {
	Event string `json:"event"`
	// ActorID is the acting user's id. Clari sends it as a number or a
	// string; a number is kept as its decimal text.
	ActorID        string `json:"actorId"`
	EventTimestamp int64  `json:"eventTimestamp"`
}

// UnmarshalJSON accepts actorId as a string or a number (and
// eventTimestamp as a number or numeric string): one id in an unexpected
// form must not fail a whole audit page.
func (e *AuditEvent) UnmarshalJSON(b []byte) error {
	var w struct {
		Event          flexString `json:"event"`
		ActorID        flexString `json:"actorId"`
		EventTimestamp flexMillis `json:"eventTimestamp"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*e = AuditEvent{Event: string(w.Event), ActorID: string(w.ActorID), EventTimestamp: int64(w.EventTimestamp)}
	return nil
}

// Outcome classifies how an export job ended, as the runner and the metrics
// see it. The strings are the `reason` label values of
// clari_export_failures_total (except OutcomeDone and OutcomeQuota).
type Outcome string

// Export outcomes.
const (
	OutcomeDone        Outcome = "done"
	OutcomeFailed      Outcome = "failed"
	OutcomeAborted     Outcome = "aborted"
	OutcomeCancelled   Outcome = "cancelled"
	OutcomeTimeout     Outcome = "timeout"
	OutcomeQuota       Outcome = "quota"
	OutcomeAPIError    Outcome = "api_error"
	OutcomeDecodeError Outcome = "decode_error"
	// OutcomeTruncated: the job is DONE but its record says the document
	// is incomplete (rowsTruncated or cellsTruncated); it is not read.
	OutcomeTruncated Outcome = "truncated"
)

// Instrumentation lets collector/ count what the client does without this
// package importing Prometheus. Every method must be safe for concurrent use
// and cheap. A nil Instrumentation is allowed (NopInstrumentation is used).
type Instrumentation interface {
	// Request is called once per HTTP attempt. code is the status code as a
	// string ("200", "429") or "error" when no response arrived.
	Request(endpoint, code string, d time.Duration)
	// Retry is called before each retry; reason is "429", "5xx", "network"
	// or "timeout".
	Retry(endpoint, reason string)
	// BreakerState is called on every breaker state change and once at
	// construction; state is "closed", "half_open" or "open".
	BreakerState(state string)
}

// NopInstrumentation discards everything.
type NopInstrumentation struct{}

func (NopInstrumentation) Request(string, string, time.Duration) {}
func (NopInstrumentation) Retry(string, string)                  {}
func (NopInstrumentation) BreakerState(string)                   {}

// Endpoint names: the `endpoint` label of the API metrics. Bounded, never a
// URL (job ids must not become label values).
const (
	EndpointCreateExport = "create_export"
	EndpointGetJob       = "get_job"
	EndpointListJobs     = "list_jobs"
	EndpointCancelJob    = "cancel_job"
	EndpointResults      = "results"
	EndpointLimits       = "limits"
	EndpointAuditEvents  = "audit_events"
)
