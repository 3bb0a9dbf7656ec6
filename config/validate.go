package config

import (
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/clari-exporter/clari_exporter/secret"

	"github.com/prometheus/common/model"

	"github.com/clari-exporter/clari_exporter/clari"
)

// Fiscal year naming conventions (fiscal_calendar.year_label).
const (
	YearLabelEnd   = "end"   // FY named after the calendar year it ends in (Clari's default)
	YearLabelStart = "start" // FY named after the calendar year it starts in
)

// Warehouse drivers.
const (
	DriverPostgres = "postgres"
	DriverSQLite   = "sqlite"
	DriverRedshift = "redshift" // through pgx, with only the SQL Redshift accepts
)

// WarehouseDrivers lists the warehouse.driver values, in the order errors
// and docs name them.
var WarehouseDrivers = []string{DriverPostgres, DriverSQLite, DriverRedshift}

// RawGrainDrivers lists the drivers that read warehouse.grain: raw. A
// Redshift table would hold the document as SUPER, read with PartiQL,
// which no engine here can run: it is refused rather than sent untested.
var RawGrainDrivers = []string{DriverPostgres, DriverSQLite}

// Bounds checked by Validate.
const (
	MaxHistoricalQuarters = 12
	minHistory            = 2
)

var (
	// forecastIDPattern: a Clari forecast tab slug (net_arr). It becomes a URL
	// path segment and a label value, so no slashes, spaces or dots.
	forecastIDPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$`)
	// tablePattern: a SQL identifier, optionally schema-qualified. The table
	// and column names are spliced into SQL, so nothing that needs quoting.
	tablePattern  = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$`)
	columnPattern = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	currencyCode  = regexp.MustCompile(`^[A-Z]{3}$`)
	// envVarName: api_key_env / dsn_env hold a variable's NAME. Pasting the
	// key itself there is an easy mistake, so a bad name is never echoed.
	envVarName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
)

// Validate checks the configuration's structure and values and returns
// every problem found, joined, each naming its field path (a *FieldError).
// It does not read secret files or environment variables (Parse does that
// through its resolution step); a config built in code with
// Secrets.APIKey already set needs no key source.
func (c *Config) Validate() error {
	errs := c.validate()
	for _, e := range errs {
		e.Source = c.Source
	}
	return errs.err()
}

func (c *Config) validate() fieldErrors {
	var errs fieldErrors
	c.validateClari(&errs)
	c.validateFiscalCalendar(&errs)
	c.validateForecasts(&errs)
	c.validateSchedule(&errs)
	c.validateSwing(&errs)
	c.validateWatch(&errs)
	c.Storage.validate(&errs, c.Secrets.StorageDSN)
	c.HA.validate(&errs)
	if c.Warehouse != nil {
		c.Warehouse.validate(&errs, c.Secrets.WarehouseDSN)
	}
	return errs
}

func positive(errs *fieldErrors, path string, d model.Duration) bool {
	if d <= 0 {
		errs.add(path, "must be > 0, got %s", d)
		return false
	}
	return true
}

func (c *Config) validateClari(errs *fieldErrors) {
	cl := &c.Clari
	if u, err := url.Parse(cl.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		errs.add("clari.base_url", "must be an http(s) URL like %s, got %q", clari.ProductionBaseURL, cl.BaseURL)
	} else if u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		errs.add("clari.base_url", "must not carry credentials, a query or a fragment, got %q", secret.URL(cl.BaseURL))
	}

	validateSecretSource(errs, "clari", "api_key", cl.APIKeyFile, cl.APIKeyEnv, cl.APIKey, c.Secrets.APIKey)
	if cl.RotatedAt != "" {
		if _, err := parseRotatedAt(cl.RotatedAt); err != nil {
			errs.add("clari.rotated_at", "must be a date (2026-01-31) or RFC 3339 time (2026-01-31T09:00:00Z), got %q", cl.RotatedAt)
		}
	}
	positive(errs, "clari.rotation_policy", cl.RotationPolicy)
	positive(errs, "clari.request_timeout", cl.RequestTimeout)
	positive(errs, "clari.probe_interval", cl.ProbeInterval)
	okPoll := positive(errs, "clari.poll_interval", cl.PollInterval)
	okTimeout := positive(errs, "clari.poll_timeout", cl.PollTimeout)
	if okPoll && okTimeout && cl.PollInterval > cl.PollTimeout {
		errs.add("clari.poll_interval", "must not exceed clari.poll_timeout (%s), got %s", cl.PollTimeout, cl.PollInterval)
	}
	if cl.CreateSearchMargin < 0 {
		errs.add("clari.create_search_margin", "must be >= 0, got %s", cl.CreateSearchMargin)
	}
	if cl.MaxRequeues < 0 {
		errs.add("clari.max_requeues", "must be >= 0, got %d", cl.MaxRequeues)
	}

	if r := cl.Retry; r.Enabled {
		okInit := positive(errs, "clari.retry.initial_interval", r.InitialInterval)
		okMax := positive(errs, "clari.retry.max_interval", r.MaxInterval)
		if okInit && okMax && r.InitialInterval > r.MaxInterval {
			errs.add("clari.retry.initial_interval", "must not exceed clari.retry.max_interval (%s), got %s", r.MaxInterval, r.InitialInterval)
		}
		positive(errs, "clari.retry.max_elapsed_time", r.MaxElapsedTime)
	}
	if b := cl.Breaker; b.Enabled {
		if b.ConsecutiveFailures < 1 {
			errs.add("clari.breaker.consecutive_failures", "must be >= 1, got %d", b.ConsecutiveFailures)
		}
		positive(errs, "clari.breaker.open_timeout", b.OpenTimeout)
	}
	if cl.Pacing.RequestsPerSecond <= 0 {
		errs.add("clari.pacing.requests_per_second", "must be > 0, got %g", cl.Pacing.RequestsPerSecond)
	}
	if cl.Pacing.Burst < 1 {
		errs.add("clari.pacing.burst", "must be >= 1, got %d", cl.Pacing.Burst)
	}
}

func (c *Config) validateFiscalCalendar(errs *fieldErrors) {
	fc := c.FiscalCalendar
	if fc == (FiscalCalendar{}) {
		// Learned from Clari's period dates. CSV results carry dates but no
		// period id, so a CSV export cannot teach the calendar: without one
		// JSON forecast the exporter would have to guess it.
		if len(c.Forecasts) > 0 && !slices.ContainsFunc(c.Forecasts, func(f Forecast) bool { return f.ExportFormat != string(clari.FormatCSV) }) {
			errs.add("fiscal_calendar", "required when every forecast exports CSV: CSV results carry no period id, so the calendar cannot be learned from them; "+
				"set fiscal_calendar.start_month (the month your fiscal year starts, e.g. 2) and year_label, or export one forecast as JSON")
		}
		return
	}
	if fc.StartMonth < 1 || fc.StartMonth > 12 {
		errs.add("fiscal_calendar.start_month", "must be a month number 1..12 (the month the fiscal year starts; omit the whole section to learn it from Clari), got %d", fc.StartMonth)
	}
	if fc.YearLabel != YearLabelEnd && fc.YearLabel != YearLabelStart {
		errs.add("fiscal_calendar.year_label", "must be %q or %q, got %q", YearLabelEnd, YearLabelStart, fc.YearLabel)
	}
}

func (c *Config) validateForecasts(errs *fieldErrors) {
	if len(c.Forecasts) == 0 {
		if c.ZeroQuota() {
			return // zero-quota mode reports on the pipeline's forecasts (watch.forecasts)
		}
		errs.add("forecasts", "at least one forecast is required (the tab slug from the Clari URL, e.g. id: net_arr)")
		return
	}
	seen := map[string]int{}
	for i, f := range c.Forecasts {
		p := fmt.Sprintf("forecasts[%d]", i)
		switch {
		case f.ID == "":
			errs.add(p+".id", "must not be empty (the forecast tab slug, e.g. net_arr)")
		case !forecastIDPattern.MatchString(f.ID):
			errs.add(p+".id", "must be a forecast tab slug (letters, digits, '_' and '-'), got %q", f.ID)
		default:
			if j, dup := seen[f.ID]; dup {
				errs.add(p+".id", "%q is already used by forecasts[%d]", f.ID, j)
			} else {
				seen[f.ID] = i
			}
		}
		if len(f.TypesToExport) == 0 {
			errs.add(p+".types_to_export", "must list at least one of %s", strings.Join(clari.AllDataTypes, ", "))
		}
		seenType := map[string]bool{}
		for k, t := range f.TypesToExport {
			tp := fmt.Sprintf("%s.types_to_export[%d]", p, k)
			switch {
			case !slices.Contains(clari.AllDataTypes, t):
				errs.add(tp, "must be one of %s, got %q", strings.Join(clari.AllDataTypes, ", "), t)
			case seenType[t]:
				errs.add(tp, "%q is listed twice", t)
			}
			seenType[t] = true
		}
		if f.HistoricalQuarters < 0 || f.HistoricalQuarters > MaxHistoricalQuarters {
			errs.add(p+".historical_quarters", "must be 0..%d, got %d", MaxHistoricalQuarters, f.HistoricalQuarters)
		}
		for k, label := range f.ExtraPeriods {
			if _, _, err := ParsePeriodLabel(label); err != nil {
				errs.add(fmt.Sprintf("%s.extra_periods[%d]", p, k), "%v", err)
			}
		}
		if f.ExportFormat != string(clari.FormatJSON) && f.ExportFormat != string(clari.FormatCSV) {
			errs.add(p+".export_format", "must be %s or %s, got %q", clari.FormatJSON, clari.FormatCSV, f.ExportFormat)
		}
		if f.Currency != "" && !currencyCode.MatchString(f.Currency) {
			errs.add(p+".currency", "must be an ISO 4217 code like USD, got %q", f.Currency)
		}
		if ci := c.Schedule.CurrentInterval; f.CurrentMaxAge != 0 && ci > 0 && f.CurrentMaxAge < ci {
			errs.add(p+".current_max_age", "must be at least schedule.current_interval (%s), got %s: the period would count as missing between runs", ci, f.CurrentMaxAge)
		}
		if hi := c.Schedule.HistoricalInterval; f.HistoricalMaxAge != 0 && hi > 0 && f.HistoricalMaxAge < hi {
			errs.add(p+".historical_max_age", "must be at least schedule.historical_interval (%s), got %s: the periods would count as missing between runs", hi, f.HistoricalMaxAge)
		}
	}
}

func (c *Config) validateSchedule(errs *fieldErrors) {
	s := c.Schedule
	okCur := positive(errs, "schedule.current_interval", s.CurrentInterval)
	okHist := positive(errs, "schedule.historical_interval", s.HistoricalInterval)
	if s.QuotaReserve < 0 {
		errs.add("schedule.quota_reserve", "must be >= 0, got %d", s.QuotaReserve)
	}
	if s.MonthlyBudget < 1 {
		errs.add("schedule.monthly_budget", "must be >= 1, got %d", s.MonthlyBudget)
		return
	}
	if !okCur || !okHist || !s.Enabled {
		return
	}
	if cost, breakdown := c.MonthlyExportCost(); cost > s.MonthlyBudget {
		errs.add("schedule", "costs %s exports per 30 days, over monthly_budget %s: %s (raise schedule.monthly_budget, lengthen the intervals or export fewer historical quarters)",
			thousands(cost), thousands(s.MonthlyBudget), breakdown)
	}
}

func (c *Config) validateSwing(errs *fieldErrors) {
	s := c.Swing
	if s.Threshold <= 0 {
		errs.add("swing.threshold", "must be > 0 (0.20 = a 20%% swing), got %g", s.Threshold)
	}
	if s.MinBaseline < 0 {
		errs.add("swing.min_baseline", "must be >= 0, got %g", s.MinBaseline)
	}
	if s.MinAbsChange < 0 {
		errs.add("swing.min_abs_change", "must be >= 0, got %g", s.MinAbsChange)
	}
	if s.MinHistory < minHistory {
		errs.add("swing.min_history", "must be >= %d (a swing needs two snapshots), got %d", minHistory, s.MinHistory)
	}
}

// validateSecretSource checks that exactly one source of the secret <name>
// in section is set — <name>_file (recommended), <name>_env or inline
// <name> — unless it was resolved already (a config built in code), and
// that an env source names a variable rather than holding the value.
func validateSecretSource(errs *fieldErrors, section, name, file, env string, inline, resolved Secret) {
	var sources []string
	for _, src := range []struct {
		key string
		set bool
	}{{name + "_file", file != ""}, {name + "_env", env != ""}, {name, inline != ""}} {
		if src.set {
			sources = append(sources, src.key)
		}
	}
	switch {
	case len(sources) == 0 && resolved == "":
		errs.add(section, "set exactly one of %s_file (recommended), %s_env or %s; none is set", name, name, name)
	case len(sources) > 1:
		errs.add(section+"."+sources[1], "set exactly one of %s_file, %s_env or %s; got %s", name, name, name, strings.Join(sources, " and "))
	}
	if env != "" && !envVarName.MatchString(env) {
		errs.add(section+"."+name+"_env", "must be the name of an environment variable (letters, digits, '_'), not its value; the value given is not shown")
	}
}

func (w *Warehouse) validate(errs *fieldErrors, resolvedDSN Secret) {
	if !slices.Contains(WarehouseDrivers, w.Driver) {
		errs.add("warehouse.driver", "must be one of %s, got %q", strings.Join(WarehouseDrivers, ", "), w.Driver)
	}
	validateSecretSource(errs, "warehouse", "dsn", w.DSNFile, w.DSNEnv, w.DSN, resolvedDSN)
	if !tablePattern.MatchString(w.Table) {
		errs.add("warehouse.table", "must be a SQL identifier, optionally schema-qualified (schema.table), got %q", w.Table)
	}
	cols := []struct{ key, name string }{
		{"forecast", w.Columns.Forecast}, {"period", w.Columns.Period}, {"time_frame", w.Columns.TimeFrame},
		{"user", w.Columns.User}, {"field", w.Columns.Field}, {"data_type", w.Columns.DataType},
		{"value", w.Columns.Value}, {"updated_on", w.Columns.UpdatedOn}, {"loaded_at", w.Columns.LoadedAt},
		{"currency", w.Columns.Currency}, {"document", w.Columns.Document},
	}
	used := map[string]string{}
	for _, col := range cols {
		p := "warehouse.columns." + col.key
		if !columnPattern.MatchString(col.name) {
			errs.add(p, "must be a SQL column name (letters, digits, '_'), got %q", col.name)
			continue
		}
		if other, dup := used[strings.ToLower(col.name)]; dup {
			errs.add(p, "%q is already the column of warehouse.columns.%s", col.name, other)
			continue
		}
		used[strings.ToLower(col.name)] = col.key
	}
	positive(errs, "warehouse.check_interval", w.CheckInterval)
	positive(errs, "warehouse.statement_timeout", w.StatementTimeout)
	positive(errs, "warehouse.max_load_age", w.MaxLoadAge)
	if w.SinkBatchSize < 1 {
		errs.add("warehouse.sink_batch_size", "must be > 0, got %d", w.SinkBatchSize)
	}
	if w.Retention.Quarters < 1 {
		errs.add("warehouse.retention.quarters", "must be >= 1, got %d", w.Retention.Quarters)
	}
	w.validateGrain(errs)
}

// validateGrain: a raw-grain table is one a pipeline lands and the
// exporter only checks; the sink and retention enforcement write row
// grain only.
func (w *Warehouse) validateGrain(errs *fieldErrors) {
	switch w.Grain {
	case GrainRow:
	case GrainRaw:
		if slices.Contains(WarehouseDrivers, w.Driver) && !slices.Contains(RawGrainDrivers, w.Driver) {
			errs.add("warehouse.grain", "raw is read on %s only, not on driver %s (its SUPER documents need PartiQL, not supported yet): land the entries one per row and use grain: row", strings.Join(RawGrainDrivers, " and "), w.Driver)
		}
		if w.Sink {
			errs.add("warehouse.grain", "raw is for checking a table a pipeline lands (one JSON document per export); the sink writes row grain only: set warehouse.sink: false, or warehouse.grain: row for a table the sink writes")
		}
		if w.Retention.Enforce {
			errs.add("warehouse.grain", "raw tables are checked, not pruned: set warehouse.retention.enforce: false (retention is still reported), or warehouse.grain: row")
		}
	default:
		errs.add("warehouse.grain", "must be %s or %s, got %q", GrainRow, GrainRaw, w.Grain)
	}
}

// parseRotatedAt accepts RFC 3339 or a bare date (midnight UTC).
func parseRotatedAt(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	return time.Parse(time.DateOnly, s)
}

// thousands formats n with comma separators: 1440 → "1,440".
func thousands(n int) string {
	s := fmt.Sprint(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}
