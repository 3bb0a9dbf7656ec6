package checklist

import "context"

// Check is one audit check: what it is and how it runs, in one value (the
// shape of mysqld_exporter's scrapers), so adding a check is adding a row.
type Check struct {
	ID       string // stable, the `check` label of clari_readiness_check
	Section  string
	Items    []int // rows of the checklist (CHECKLIST.md) it automates
	Title    string
	Priority string
	// Cheap checks need no network except the free /admin/limits probe and
	// never spend export quota: the exporter runs them periodically.
	Cheap bool
	// run produces the check's result from one audit's shared probes.
	run func(ctx context.Context, a *auditor) Result
}

// Check IDs: the values of clari_readiness_check's `check` label.
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

// Checks lists every check in report order.
var Checks = []Check{
	{ID: CheckConfigValid, Section: SectionConfig, Items: []int{24}, Title: "Configuration loads", Priority: P1, Cheap: true,
		run: func(_ context.Context, a *auditor) Result { return a.checkConfigValid() }},
	{ID: CheckAPIKeySecretStore, Section: SectionAuth, Items: []int{1}, Title: "API key from a secrets manager (file or env var), not inline", Priority: P1, Cheap: true,
		run: func(_ context.Context, a *auditor) Result { return a.checkKeySource() }},
	{ID: CheckAPITokenValid, Section: SectionAuth, Items: []int{2, 24}, Title: "Token accepted by the configured Clari API", Priority: P1, Cheap: true,
		run: func(_ context.Context, a *auditor) Result { return a.checkTokenValid() }},
	{ID: CheckAPIKeyRotation, Section: SectionAuth, Items: []int{3}, Title: "Key rotated within policy", Priority: P1, Cheap: true,
		run: func(_ context.Context, a *auditor) Result { return checkRotation(a.cfg, a.now) }},
	{ID: CheckTokenPerEnvironment, Section: SectionAuth, Items: []int{4}, Title: "Separate tokens per environment", Priority: P2,
		run: func(_ context.Context, a *auditor) Result { return a.checkTokenPerEnvironment() }},
	{ID: CheckLeastPrivilege, Section: SectionAuth, Items: []int{5}, Title: "Token limited to what exports need", Priority: P3,
		run: func(ctx context.Context, a *auditor) Result { return a.checkLeastPrivilege(ctx) }},
	{ID: CheckMetricsProtected, Section: SectionAuth, Title: "/metrics protected when forecast values are exposed", Priority: P2, Cheap: true,
		run: func(_ context.Context, a *auditor) Result { return checkMetricsProtected(a.cfg, a.o.WebConfigFile) }},
	{ID: CheckProductionBaseURL, Section: SectionAPI, Items: []int{6}, Title: "Production base URL", Priority: P2, Cheap: true,
		run: func(_ context.Context, a *auditor) Result { return checkBaseURL(a.cfg) }},
	{ID: CheckExportTypes, Section: SectionAPI, Items: []int{8}, Title: "Required typesToExport configured", Priority: P2, Cheap: true,
		run: func(_ context.Context, a *auditor) Result { return checkExportTypes(a.cfg) }},
	{ID: CheckPeriodCoverage, Section: SectionAPI, Items: []int{9}, Title: "Period coverage: current quarter + 4 historical", Priority: P2, Cheap: true,
		run: func(_ context.Context, a *auditor) Result { return checkPeriodCoverage(a.cfg, a.now) }},
	{ID: CheckFiscalCalendar, Section: SectionAPI, Items: []int{9}, Title: "Fiscal calendar learned from Clari or verified against its period dates", Priority: P1, Cheap: true,
		run: func(ctx context.Context, a *auditor) Result { return a.checkFiscalCalendar(ctx) }},
	{ID: CheckQuotaBudget, Section: SectionAPI, Items: []int{24}, Title: "Schedule within the export quota budget", Priority: P2, Cheap: true,
		run: func(_ context.Context, a *auditor) Result {
			lp, err := a.limits()
			return checkQuotaBudget(a.cfg, lp, err)
		}},
	{ID: CheckRetryBreaker, Section: SectionResilience, Items: []int{7, 13, 14}, Title: "Retry with backoff and circuit breaker enabled", Priority: P2, Cheap: true,
		run: func(_ context.Context, a *auditor) Result { return checkRetryBreaker(a.cfg) }},
	{ID: CheckJobTimeoutRequeue, Section: SectionResilience, Items: []int{12, 16}, Title: "Job polling timeout and re-queue configured", Priority: P2, Cheap: true,
		run: func(_ context.Context, a *auditor) Result { return checkJobTimeout(a.cfg) }},
	{ID: CheckEmptyExportDetection, Section: SectionResilience, Items: []int{15}, Title: "Empty exports detected as failures", Priority: P1, Cheap: true,
		run: func(_ context.Context, a *auditor) Result { return checkEmptyExport(a.cfg) }},
	{ID: CheckStorageMode, Section: SectionResilience, Title: "Storage mode (single replica or shared, one leader)", Priority: P3, Cheap: true,
		run: func(_ context.Context, a *auditor) Result { return checkStorageMode(a.cfg) }},
	{ID: CheckPipelineWatch, Section: SectionMonitoring, Items: []int{12, 15, 19, 20}, Title: "Production pipeline watched from Clari's job records (zero quota)", Priority: P3, Cheap: true,
		run: func(_ context.Context, a *auditor) Result { return checkPipelineWatch(a.cfg) }},
	{ID: CheckWarehouseReachable, Section: SectionData, Items: []int{23}, Title: "Warehouse reachable with the configured table", Priority: P2,
		run: func(_ context.Context, a *auditor) Result { return a.checkWarehouseReachable() }},
	{ID: CheckWarehouseUpsertKey, Section: SectionData, Items: []int{17}, Title: "Warehouse natural key is unique (upsert key)", Priority: P2,
		run: func(ctx context.Context, a *auditor) Result { return a.checkWarehouseUpsertKey(ctx) }},
	{ID: CheckWarehouseRetention, Section: SectionData, Items: []int{18}, Title: "Warehouse retention window set and kept", Priority: P2,
		run: func(ctx context.Context, a *auditor) Result { return a.checkWarehouseRetention(ctx) }},
	{ID: CheckPrometheusRules, Section: SectionMonitoring, Items: []int{20}, Title: "Prometheus has the shipped alert rules loaded", Priority: P1,
		run: func(ctx context.Context, a *auditor) Result { return a.checkPrometheusRules(ctx) }},
	{ID: CheckPrometheusTarget, Section: SectionMonitoring, Items: []int{19, 22}, Title: "Prometheus scrapes the exporter", Priority: P1,
		run: func(ctx context.Context, a *auditor) Result { return a.checkPrometheusTarget(ctx) }},
	{ID: CheckAlertmanagerRoute, Section: SectionMonitoring, Items: []int{20}, Title: "A critical alert routes to a receiver", Priority: P1,
		run: func(ctx context.Context, a *auditor) Result { return a.checkAlertmanagerRoute(ctx) }},
}

// byID indexes Checks for result; filled in init because the checks' own
// functions build results through it (a package-level initializer would be
// an initialization cycle).
var byID map[string]Check

func init() {
	byID = make(map[string]Check, len(Checks))
	for _, c := range Checks {
		byID[c.ID] = c
	}
}

// definition returns the check named id.
func definition(id string) Check {
	c, ok := byID[id]
	if !ok {
		panic("checklist: unknown check " + id) // programming error, caught by tests
	}
	return c
}
