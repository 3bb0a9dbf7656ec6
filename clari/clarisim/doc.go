// Package clarisim is a faithful in-process simulator of the Clari Revenue
// API v4 (see /work/shared/clari-api.md and docs/simulator.md): an
// http.Handler that tests mount behind httptest.NewServer, and that
// cmd/clari-sim serves standalone.
//
// Routes (relative to the handler root; a leading /v4 is accepted too):
//
//	POST  /export/forecast/{forecastId}   → {"jobId":"<24 hex>"} (200, or Scenario.CreateStatus)
//	GET   /export/jobs                    → [job...] or {"jobs":[job...]}
//	GET   /export/jobs/{jobId}            → {"job":{...}} or the flat job
//	PATCH /export/jobs/{jobId}            ← {"type":"CANCEL"} → {"status":"CANCELLED","successful":true}; an ended job 400 export_failed_to_cancel
//	GET   /export/jobs/{jobId}/results    → the JSON or CSV document, streamed
//	GET   /admin/limits                   → {"jobs":{...}}
//	GET   /audit/events?limit=N[&dateFrom=…&dateTo=…] → {"items":[...],"actors":[...],"nextLink":"http://host/audit/events?limit=N&offset=K…"}
//
// Auth is the header "apikey: <key>"; a missing or wrong key gets 401
// {"message":"Invalid authentication credentials"}, an unknown route 404
// {"message":"no Route matched with those values"}, API errors
// {"code","namespace","errorId","message","orgId"}.
//
// # Result documents
//
// Values are generated deterministically from the seed, the forecast id and
// the exported period: the same TenantSpec, ExportParams and seed give
// byte-identical documents. Documents are streamed while generated, so any
// size can be served (WriteResultJSON/WriteResultCSV without HTTP, for
// benchmarks).
//
// JSON: the five lists entries, users, fields, timePeriods, timeFrames in a
// seed-dependent order, and nothing else: no key Clari does not send.
// Entries carry userId, fieldId, timePeriodId, timeFrameId ("TF:yyyy-mm-dd",
// the week start), one value key per requested type (forecast →
// forecastValue, quota → quotaValue, adjustment → adjustmentValue with
// adjustedBy and adjustedOn,
// crm_total → aggregationTotal (Scenario.CRMTotalKey: crmTotalValue),
// crm_closed → crmClosedValue, forecast_updated → isUpdated; types in
// Scenario.OmitTypes are left out), updatedBy (a number; a string with
// Scenario.StringIDs), updatedOn (epoch ms) and currency {"code","symbol"}.
// Users carry userId, name, email, crmId, hierarchyId, hierarchyName,
// parentHierarchyId and parentHierarchyName (null for the root node) and
// scopeId (a JSON-encoded string); a person in several hierarchy nodes
// (TenantSpec.SharedEvery) is one user per node with the same crmId.
// timePeriods carry crmId. About 1 in 31 forecastValue is null. Money
// values are numbers with two decimals.
//
// CSV: header
//
//	User,Email,CRM User ID,Role,Parent Role,Timeframe,Field,Week,Start Day,End Day,Data Type,Data Value
//
// one row per user × field × week × data type (types in clari.AllDataTypes
// order), where
//   - User is the user's name, CRM User ID the user's crmId (JSON users[].crmId);
//   - Timeframe is the month label of the week's start and the fiscal
//     year, "November FY 2026" (CSVTimeframe): there is no period column;
//   - Field is the field's display NAME (JSON fields[].fieldName), e.g. "Best Case";
//   - Week is the 0-based week index within the quarter;
//   - Start Day / End Day are the week's first and last day, MM/DD/YYYY;
//   - Data Type is Forecast Value, Quota Value, Forecast Updated,
//     Adjustment Value, CRM Total or CRM Closed (CSVDataTypeNames);
//   - Data Value is money like "$3,000,190.00" or "-$1,234.50" (symbol of
//     the currency: $ € £ ¥ CA$ A$, else "CHF 1,234.00"), "Yes"/"No" for
//     Forecast Updated, and empty for null;
//   - values with commas or quotes are CSV-quoted (RFC 4180);
//   - lines end with LF (CRLF with Scenario.CSVCRLF), no BOM unless
//     Scenario.CSVBOM.
//
// # Calendar
//
// The default tenant has a February year with weeks from Friday
// (TenantSpec.WithFebruaryYear), as real tenants are not on the calendar
// year. A fiscal year starts in TenantSpec.FiscalStartMonth and is named by the
// calendar year it ends in. The current quarter is the one containing the
// simulator clock. Week N starts N-1 weeks after the quarter's first day;
// with TenantSpec.AlignWeeks weeks start on TenantSpec.WeekStart and week 0
// is the one holding the quarter's first day, so it may start up to 6 days
// before the quarter (TenantSpec.WithFebruaryYear is such a tenant).
// With includeHistorical an export carries every week of the quarter so
// far (past quarters: all Weeks), otherwise only the latest week. An empty,
// malformed, future or too old (more than Quarters-1 back) period, or any
// unknown body parameter, silently exports the current quarter.
package clarisim
