package checklist

import (
	"time"
)

// Status is the outcome of one check.
type Status string

// Statuses. A WARN is a gap worth fixing that does not block go-live; a
// SKIP says why the check could not run (its detail names the reason).
const (
	Pass Status = "PASS"
	Warn Status = "WARN"
	Fail Status = "FAIL"
	Skip Status = "SKIP"
)

// Priorities, from the checklist's risk table: P1 blocks go-live (the
// audit exits 1 on a P1 FAIL).
const (
	P1 = "P1"
	P2 = "P2"
	P3 = "P3"
)

// Sections group the checks like the checklist does.
const (
	SectionConfig     = "Configuration"
	SectionAuth       = "Authentication & security"
	SectionAPI        = "API configuration"
	SectionResilience = "Error handling & resilience"
	SectionData       = "Data quality & warehouse"
	SectionMonitoring = "Monitoring & alerting"
)

// Sections lists the sections in report order.
var Sections = []string{SectionConfig, SectionAuth, SectionAPI, SectionResilience, SectionData, SectionMonitoring}

// Definition is what a check is, independent of a run.
type Definition struct {
	ID       string // stable, the `check` label of clari_readiness_check
	Section  string
	Items    []int // rows of the checklist (CHECKLIST.md) it automates
	Title    string
	Priority string
	// Cheap checks need no network except the free /admin/limits probe and
	// never spend export quota: the exporter runs them periodically.
	Cheap bool
}

// Check IDs.
const (
	CheckConfigValid          = "config_valid"
	CheckAPIKeySecretStore    = "api_key_secret_store"
	CheckAPITokenValid        = "api_token_valid"
	CheckAPIKeyRotation       = "api_key_rotation"
	CheckTokenPerEnvironment  = "token_per_environment"
	CheckLeastPrivilege       = "least_privilege"
	CheckMetricsProtected     = "metrics_protected"
	CheckProductionBaseURL    = "production_base_url"
	CheckExportTypes          = "export_types"
	CheckPeriodCoverage       = "period_coverage"
	CheckFiscalCalendar       = "fiscal_calendar"
	CheckQuotaBudget          = "quota_budget"
	CheckRetryBreaker         = "retry_breaker"
	CheckJobTimeoutRequeue    = "job_timeout_requeue"
	CheckEmptyExportDetection = "empty_export_detection"
	CheckStorageMode          = "storage_mode"
	CheckPipelineWatch        = "pipeline_watch"
	CheckWarehouseReachable   = "warehouse_reachable"
	CheckWarehouseUpsertKey   = "warehouse_upsert_key"
	CheckWarehouseRetention   = "warehouse_retention"
	CheckPrometheusRules      = "prometheus_rules"
	CheckPrometheusTarget     = "prometheus_target"
	CheckAlertmanagerRoute    = "alertmanager_route"
)

// Definitions lists every check in report order.
var Definitions = []Definition{
	{CheckConfigValid, SectionConfig, []int{24}, "Configuration loads", P1, true},
	{CheckAPIKeySecretStore, SectionAuth, []int{1}, "API key from a secrets manager (file or env var), not inline", P1, true},
	{CheckAPITokenValid, SectionAuth, []int{2, 24}, "Token accepted by the configured Clari API", P1, true},
	{CheckAPIKeyRotation, SectionAuth, []int{3}, "Key rotated within policy", P1, true},
	{CheckTokenPerEnvironment, SectionAuth, []int{4}, "Separate tokens per environment", P2, false},
	{CheckLeastPrivilege, SectionAuth, []int{5}, "Token limited to what exports need", P3, false},
	{CheckMetricsProtected, SectionAuth, nil, "/metrics protected when forecast values are exposed", P2, true},
	{CheckProductionBaseURL, SectionAPI, []int{6}, "Production base URL", P2, true},
	{CheckExportTypes, SectionAPI, []int{8}, "Required typesToExport configured", P2, true},
	{CheckPeriodCoverage, SectionAPI, []int{9}, "Period coverage: current quarter + 4 historical", P2, true},
	{CheckFiscalCalendar, SectionAPI, []int{9}, "Fiscal calendar learned from Clari or verified against its period dates", P1, true},
	{CheckQuotaBudget, SectionAPI, []int{24}, "Schedule within the export quota budget", P2, true},
	{CheckRetryBreaker, SectionResilience, []int{7, 13, 14}, "Retry with backoff and circuit breaker enabled", P2, true},
	{CheckJobTimeoutRequeue, SectionResilience, []int{12, 16}, "Job polling timeout and re-queue configured", P2, true},
	{CheckEmptyExportDetection, SectionResilience, []int{15}, "Empty exports detected as failures", P1, true},
	{CheckStorageMode, SectionResilience, nil, "Storage mode (single replica or shared, one leader)", P3, true},
	{CheckPipelineWatch, SectionMonitoring, []int{12, 15, 19, 20}, "Production pipeline watched from Clari's job records (zero quota)", P3, true},
	{CheckWarehouseReachable, SectionData, []int{23}, "Warehouse reachable with the configured table", P2, false},
	{CheckWarehouseUpsertKey, SectionData, []int{17}, "Warehouse natural key is unique (upsert key)", P2, false},
	{CheckWarehouseRetention, SectionData, []int{18}, "Warehouse retention window set and kept", P2, false},
	{CheckPrometheusRules, SectionMonitoring, []int{20}, "Prometheus has the shipped alert rules loaded", P1, false},
	{CheckPrometheusTarget, SectionMonitoring, []int{19, 22}, "Prometheus scrapes the exporter", P1, false},
	{CheckAlertmanagerRoute, SectionMonitoring, []int{20}, "A critical alert routes to a receiver", P1, false},
}

// Definition returns the definition of id.
func definition(id string) Definition {
	for _, d := range Definitions {
		if d.ID == id {
			return d
		}
	}
	panic("checklist: unknown check " + id) // programming error, caught by tests
}

// Result is one check's outcome.
type Result struct {
	ID       string `json:"id"`
	Section  string `json:"section"`
	Items    []int  `json:"checklist_items,omitempty"`
	Title    string `json:"title"`
	Priority string `json:"priority"`
	Status   Status `json:"result"`
	// Detail is one line naming the evidence (a file and its mode, a URL and
	// its latency, a config line); never a secret.
	Detail string `json:"detail"`
}

func result(id string, s Status, detail string) Result {
	d := definition(id)
	return Result{ID: d.ID, Section: d.Section, Items: d.Items, Title: d.Title, Priority: d.Priority, Status: s, Detail: detail}
}

// Summary counts results.
type Summary struct {
	Pass   int `json:"pass"`
	Warn   int `json:"warn"`
	Fail   int `json:"fail"`
	Skip   int `json:"skip"`
	P1Fail int `json:"p1_fail"`
}

// Report is one audit run.
type Report struct {
	Config      string        `json:"config"`
	Environment string        `json:"environment,omitempty"`
	StartedAt   time.Time     `json:"started_at"`
	Duration    time.Duration `json:"-"`
	Results     []Result      `json:"checks"`
	Summary     Summary       `json:"summary"`
	ExitCode    int           `json:"exit_code"`
}

// Summarize counts r and returns the summary; ExitCode is 1 when a P1
// check failed, else 0.
func Summarize(rs []Result) (Summary, int) {
	var s Summary
	for _, r := range rs {
		switch r.Status {
		case Pass:
			s.Pass++
		case Warn:
			s.Warn++
		case Fail:
			s.Fail++
			if r.Priority == P1 {
				s.P1Fail++
			}
		case Skip:
			s.Skip++
		}
	}
	if s.P1Fail > 0 {
		return s, 1
	}
	return s, 0
}
