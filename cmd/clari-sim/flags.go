package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/alecthomas/kingpin/v2"
	"github.com/clari-exporter/clari_exporter/clari/clarisim"
)

// flags are the command line of clari-sim.
type flags struct {
	listenAddress string
	apiKeyFlag    string
	apiKeyFile    string
	seed          int64
	scenarioFile  string
	logLevel      string
	logFormat     string
	tenant        clarisim.TenantSpec
	fiscalStart   int
	weekStart     string

	// Scenario overrides, applied on top of the scenario file only when
	// given on the command line.
	jobDuration     time.Duration
	jobDurationSet  bool
	monthlyQuota    int
	monthlyQuotaSet bool
	concurrent      int
	concurrentSet   bool
}

func parseFlags(args []string, stderr io.Writer) (*flags, error) {
	f := &flags{}
	app := kingpin.New("clari-sim", "Simulator of the Clari Revenue API v4 (forecast exports, limits, audit events).")
	app.HelpFlag.Short('h')
	app.UsageWriter(stderr)
	app.ErrorWriter(stderr)
	app.Flag("listen-address", "Address to serve the API on.").Default(defaultListenAddress).StringVar(&f.listenAddress)
	app.Flag("api-key", "The API key clients must send in the apikey header (prefer --api-key-file or $CLARI_SIM_API_KEY).").
		Envar("CLARI_SIM_API_KEY").StringVar(&f.apiKeyFlag)
	app.Flag("api-key-file", "File holding the API key (surrounding whitespace is ignored).").StringVar(&f.apiKeyFile)
	app.Flag("seed", "Seed of job ids and generated values (same seed, same documents).").Default("1").Int64Var(&f.seed)
	app.Flag("scenario.file", "YAML file with the scenario (keys of clarisim.Scenario, see docs/simulator.md); SIGHUP re-reads it.").StringVar(&f.scenarioFile)
	app.Flag("job-duration", "Time from create to DONE (overrides the scenario file; default 20s when neither sets it).").
		Default("20s").IsSetByUser(&f.jobDurationSet).DurationVar(&f.jobDuration)
	app.Flag("monthly-quota", "Jobs allowed per rolling 30 days (overrides the scenario file).").
		Default("1000").IsSetByUser(&f.monthlyQuotaSet).IntVar(&f.monthlyQuota)
	app.Flag("concurrent-limit", "Unfinished jobs allowed at once (overrides the scenario file).").
		Default("3").IsSetByUser(&f.concurrentSet).IntVar(&f.concurrent)
	app.Flag("users", "Users in the simulated tenant.").Default("300").IntVar(&f.tenant.Users)
	app.Flag("fields", "Forecast fields in the simulated tenant.").Default("4").IntVar(&f.tenant.Fields)
	app.Flag("weeks", "Weeks per quarter.").Default("13").IntVar(&f.tenant.Weeks)
	app.Flag("quarters", "Exportable quarters (current and earlier); others fall back to the current one.").Default("4").IntVar(&f.tenant.Quarters)
	app.Flag("fiscal-start-month", "First month (1-12) of the fiscal year; the year is labelled by the year it ends.").Default("2").IntVar(&f.fiscalStart)
	app.Flag("week-start", "Weekday every week starts on: weeks are weekday-aligned and week 0 may start up to 6 days before the quarter, as Clari's. 'quarter': week 0 starts on the quarter's first day.").Default("friday").StringVar(&f.weekStart)
	app.Flag("currency", "Tenant currency (ISO code).").Default("USD").StringVar(&f.tenant.Currency)
	app.Flag("forecast", "A forecast tab id that exists (repeatable).").Default(clarisim.DefaultForecasts...).StringsVar(&f.tenant.Forecasts)
	app.Flag("log.level", "Only log messages with the given severity or above: debug, info, warn, error.").Default("info").StringVar(&f.logLevel)
	app.Flag("log.format", "Output format of log messages: logfmt or json.").Default("logfmt").StringVar(&f.logFormat)
	if _, err := app.Parse(args); err != nil {
		return nil, err
	}
	if f.fiscalStart < 1 || f.fiscalStart > 12 {
		return nil, fmt.Errorf("--fiscal-start-month %d: must be 1 to 12", f.fiscalStart)
	}
	f.tenant.FiscalStartMonth = time.Month(f.fiscalStart)
	if ws := strings.ToLower(strings.TrimSpace(f.weekStart)); ws != "quarter" {
		d, ok := weekdays[ws]
		if !ok {
			return nil, fmt.Errorf("--week-start %q: use a weekday name such as friday, or quarter", f.weekStart)
		}
		f.tenant.AlignWeeks, f.tenant.WeekStart = true, d
	}
	if f.tenant.Users < 1 || f.tenant.Fields < 1 || f.tenant.Weeks < 1 || f.tenant.Quarters < 1 {
		return nil, errors.New("--users, --fields, --weeks and --quarters must be at least 1")
	}
	if f.apiKeyFlag != "" && f.apiKeyFile != "" {
		return nil, errors.New("give --api-key or --api-key-file, not both")
	}
	return f, nil
}

// weekdays maps --week-start values to weekdays.
var weekdays = map[string]time.Weekday{
	"sunday": time.Sunday, "monday": time.Monday, "tuesday": time.Tuesday, "wednesday": time.Wednesday,
	"thursday": time.Thursday, "friday": time.Friday, "saturday": time.Saturday,
}

// apiKey returns the key to accept. Without a key the built-in test key
// is used (the simulator guards no real data).
func (f *flags) apiKey() (string, error) {
	if f.apiKeyFile != "" {
		b, err := os.ReadFile(f.apiKeyFile)
		if err != nil {
			return "", fmt.Errorf("--api-key-file: %w", err)
		}
		k := strings.TrimSpace(string(b))
		if k == "" {
			return "", fmt.Errorf("--api-key-file %s is empty", f.apiKeyFile)
		}
		return k, nil
	}
	if f.apiKeyFlag != "" {
		return f.apiKeyFlag, nil
	}
	return clarisim.DefaultAPIKey, nil
}

// keySource says where the key came from, for the start-up log line (the
// key itself is never logged).
func (f *flags) keySource() string {
	switch {
	case f.apiKeyFile != "":
		return "file"
	case f.apiKeyFlag != "":
		return "flag_or_env"
	}
	return "built_in_default"
}

// scenario reads the scenario file (if any) and applies the flag overrides.
func (f *flags) scenario() (clarisim.Scenario, error) {
	var sc clarisim.Scenario
	if f.scenarioFile != "" {
		var err error
		if sc, err = loadScenario(f.scenarioFile); err != nil {
			return sc, err
		}
	}
	if f.jobDurationSet || sc.JobDuration == 0 {
		sc.JobDuration = f.jobDuration
	}
	if f.monthlyQuotaSet {
		sc.MonthlyQuota = f.monthlyQuota
	}
	if f.concurrentSet {
		sc.ConcurrentLimit = f.concurrent
	}
	return sc, sc.Validate()
}
