package checklist

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/go-kit/log"

	"github.com/clari-exporter/clari_exporter/clari"
	"github.com/clari-exporter/clari_exporter/config"
	"github.com/clari-exporter/clari_exporter/secret"
	"github.com/clari-exporter/clari_exporter/warehouse"
)

// DefaultTimeout is the audit's overall deadline (--timeout).
const DefaultTimeout = 30 * time.Second

// Options configure one audit run (`clari_exporter check`).
type Options struct {
	ConfigFile string
	// EnvConfigs are the other environments' config files (--env-config),
	// compared by token fingerprint.
	EnvConfigs []string
	// WebConfigFile is the exporter-toolkit web config the exporter serves
	// /metrics with (--web.config.file).
	WebConfigFile   string
	PrometheusURL   string
	AlertmanagerURL string
	// Timeout bounds the whole audit (default 30s): network checks give up
	// before it and report FAIL.
	Timeout time.Duration
	// Now is the clock (nil: time.Now).
	Now func() time.Time
	// ClariHTTPClient, when set, is used for Clari requests (tests point
	// https://api.clari.com at a simulator with it).
	ClariHTTPClient *http.Client
	// HTTPClient is used for Prometheus and Alertmanager (nil: a default
	// client).
	HTTPClient *http.Client
	Logger     log.Logger
}

// UsageError is a problem with how the audit was called (an unreadable
// --config.file): `check` exits 2 on it.
type UsageError struct{ Err error }

func (e *UsageError) Error() string { return e.Err.Error() }
func (e *UsageError) Unwrap() error { return e.Err }

// Run audits the configuration in o.ConfigFile and returns one Result per
// check in Checks order. The error is a *UsageError when the config
// file cannot be read; every other problem is a FAIL line of its check.
// Run never spends export quota: the only Clari calls are GET /admin/limits
// and GET /audit/events?limit=1.
func Run(ctx context.Context, o Options) (*Report, error) {
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = log.NewNopLogger()
	}
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{}
	}
	start := o.Now()
	cfg, problems, err := config.LoadForAudit(o.ConfigFile)
	if err != nil {
		return nil, &UsageError{Err: fmt.Errorf("cannot read --config.file: %w", err)}
	}

	// Network checks stop a little before the deadline so the report is
	// written in time.
	margin := min(o.Timeout/10, time.Second)
	ctx, cancel := context.WithTimeout(ctx, o.Timeout-margin)
	defer cancel()

	a := newAuditor(cfg, problems, o)
	defer a.close()
	results := a.run(ctx, Checks)

	rep := &Report{Config: o.ConfigFile, StartedAt: start, Results: results}
	if cfg != nil {
		rep.Environment = cfg.Clari.Environment
	}
	a.scrub(rep)
	rep.Summary, rep.ExitCode = Summarize(rep.Results)
	rep.Duration = o.Now().Sub(start)
	return rep, nil
}

// auditor holds one run's inputs and the probes several checks share.
type auditor struct {
	cfg      *config.Config // nil when the file did not decode
	problems []*config.FieldError
	o        Options
	now      time.Time
	secrets  *secret.Scrubber

	// calendar reads the exporter's fiscal calendar state; nil: from
	// Prometheus (calendar.go).
	calendar calendarSource

	// Shared probes, run at most once per audit.
	limits    func() (limitsProbe, error)
	warehouse func() (*warehouse.Warehouse, error)
	opened    *warehouse.Warehouse // set by the default warehouse func; closed by close
}

type limitsProbe struct {
	url     string
	limits  clari.Limits
	latency time.Duration
	err     error
}

func newAuditor(cfg *config.Config, problems []*config.FieldError, o Options) *auditor {
	a := &auditor{cfg: cfg, problems: problems, o: o, now: o.Now()}
	// What the report must never show: cfg's secrets and the passwords of
	// the Prometheus and Alertmanager URLs.
	a.secrets = &secret.Scrubber{}
	if cfg != nil {
		a.secrets = cfg.Scrubber()
	}
	a.secrets.AddURL(o.PrometheusURL)
	a.secrets.AddURL(o.AlertmanagerURL)
	return a
}

// run runs defs concurrently (the network checks share one deadline) and
// returns their results in defs order.
func (a *auditor) run(ctx context.Context, defs []Check) []Result {
	if a.limits == nil {
		var once sync.Once
		var lp limitsProbe
		a.limits = func() (limitsProbe, error) {
			once.Do(func() { lp = a.probeLimits(ctx) })
			return lp, lp.err
		}
	}
	if a.warehouse == nil {
		var whOnce sync.Once
		var whErr error
		a.warehouse = func() (*warehouse.Warehouse, error) {
			whOnce.Do(func() { a.opened, whErr = a.openWarehouse(ctx) })
			return a.opened, whErr
		}
	}

	out := make([]Result, len(defs))
	var wg sync.WaitGroup
	for i, d := range defs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out[i] = a.check(ctx, d)
		}()
	}
	wg.Wait()
	return out
}

// check runs c; every check but config_valid needs a decoded config.
func (a *auditor) check(ctx context.Context, c Check) Result {
	if a.cfg == nil && c.ID != CheckConfigValid {
		return result(c.ID, Skip, "the configuration file did not parse (see config_valid)")
	}
	return c.run(ctx, a)
}

func (a *auditor) close() {
	if a.opened != nil {
		a.opened.Close()
	}
}

// checkConfigValid: the exporter refuses to start with a config that
// fails validation, so any problem is a P1 FAIL; each problem is also
// reported under its own check where one exists.
func (a *auditor) checkConfigValid() Result {
	if len(a.problems) > 0 {
		msgs := make([]string, len(a.problems))
		for i, p := range a.problems {
			msgs[i] = strings.TrimPrefix(p.Error(), "config: ")
		}
		verb := "problems"
		if len(msgs) == 1 {
			verb = "problem"
		}
		what := "the exporter would refuse this file"
		if a.cfg == nil {
			what = "the file does not decode; nothing else can be checked"
		}
		return result(CheckConfigValid, Fail, fmt.Sprintf("%s, %d %s: %s", what, len(msgs), verb, strings.Join(msgs, "; ")))
	}
	ids := make([]string, len(a.cfg.Forecasts))
	for i, f := range a.cfg.Forecasts {
		ids[i] = f.ID
	}
	env := a.cfg.Clari.Environment
	if env == "" {
		env = "(not set)"
	}
	return result(CheckConfigValid, Pass, fmt.Sprintf("%s loads: forecasts %s, environment %s, %d warning(s)",
		a.o.ConfigFile, strings.Join(ids, ", "), env, len(a.cfg.Warnings())))
}

// problemAt returns the problems whose path starts with one of prefixes.
func (a *auditor) problemAt(prefixes ...string) []*config.FieldError {
	var out []*config.FieldError
	for _, p := range a.problems {
		for _, pre := range prefixes {
			if p.Path == pre || strings.HasPrefix(p.Path, pre+".") || strings.HasPrefix(p.Path, pre+"[") {
				out = append(out, p)
				break
			}
		}
	}
	return out
}

// deadlineDetail turns a context deadline into words for FAIL lines.
func deadlineDetail(ctx context.Context, err error) string {
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return "no answer before the audit's deadline (--timeout)"
	}
	return err.Error()
}
