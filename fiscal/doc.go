// Package fiscal knows the tenant's fiscal calendar: the one configured
// (fiscal_calendar) checked against what Clari says, or, without one, the
// one learned from Clari. Clari has no endpoint for the calendar, but every
// JSON result names its periods with their dates (timePeriods[]): one
// document says how the tenant labels its quarters (docs/configuration.md
// #fiscal-calendar).
//
// A Book holds the newest period Clari stated (persisted in the store) and
// answers, for the configuration in force: which calendar is in use and
// from where (config, clari, unknown), and whether the configured one is
// contradicted by Clari (a mismatch, which holds every export until the
// configuration is fixed).
package fiscal
