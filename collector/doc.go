// Package collector holds the Prometheus collectors of clari_exporter.
//
// Nothing here talks to Clari on a scrape except the live probe (probe.go),
// which is rate-limited to one GET /admin/limits per probe interval and
// bounded by the scrape deadline. Every other collector builds const metrics
// in Collect() from cheap in-memory state its producers publish: as plain
// values of their I/O-free state packages (health/probe, warehouse/checkstate, fiscal/calendar,
// leader/leadership, checklist/readiness) where a producer has
// one, otherwise through the small interfaces defined here. collector never
// depends on clari, store or warehouse (internal/archtest).
//
// One file per collector:
//
//	api.go        clari_api_* request/retry/breaker instrumentation (implements clari.Instrumentation)
//	probe.go      clari_up, probe latency and quota from /admin/limits (cached, rate-limited)
//	handler.go    the /metrics handler that gives the probe its per-scrape deadline
//	exporter.go   clari_exporter_* build/config/leader and key rotation
//	export.go     clari_export_* and clari_forecast_* from the runner's state
//	warehouse.go  clari_reconciliation_* and clari_warehouse_*
//	readiness.go  clari_readiness_check
//	register.go   Set: builds them all in one place; registers them, or gathers them (fast path)
//	families.go   the fast path: metric families built directly, merged without per-series checks
//	gzip.go       response compression at gzip.BestSpeed
//	metric.go     helpers shared by the collectors
package collector
