package checklist

import (
	"context"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/clari-exporter/clari_exporter/internal/every"

	"github.com/go-kit/log"
	"github.com/go-kit/log/level"

	"github.com/clari-exporter/clari_exporter/clari"
	"github.com/clari-exporter/clari_exporter/config"
	"github.com/clari-exporter/clari_exporter/fiscal"
	"github.com/clari-exporter/clari_exporter/warehouse"

	"github.com/clari-exporter/clari_exporter/checklist/readiness"
)

// DefaultRunnerInterval is how often the exporter re-runs the cheap checks.
const DefaultRunnerInterval = 10 * time.Minute

// RunnerOptions configure the exporter's periodic readiness checks.
type RunnerOptions struct {
	// Config returns the configuration in force (internal/app's);
	// required.
	Config func() *config.Config
	// WebConfigFile is the --web.config.file /metrics is served with.
	WebConfigFile string
	// Limits, when set, is a GET /admin/limits call (free; pass the
	// exporter's client or its probe) for api_token_valid and the org
	// quota part of quota_budget. Nil leaves api_token_valid out.
	Limits func(ctx context.Context) (clari.Limits, error)
	// Calendar, when set, is the exporter's fiscal calendar state
	// (fiscal.Book.State) for fiscal_calendar; nil leaves the check out.
	Calendar func() fiscal.State
	// Interval between runs (default DefaultRunnerInterval).
	Interval time.Duration
	Now      func() time.Time
	Logger   log.Logger
}

// Runner runs the cheap checks (Check.Cheap: config only, plus at most
// the free /admin/limits call; never export quota, never the warehouse,
// Prometheus or Alertmanager) periodically and keeps the last results for
// clari_readiness_check (the collector reads ReadinessChecks' plain values).
type Runner struct {
	o    RunnerOptions
	mu   sync.Mutex
	last []Result
}

// NewRunner returns a Runner; call Run (or RunNow) to fill it.
func NewRunner(o RunnerOptions) *Runner {
	if o.Interval <= 0 {
		o.Interval = DefaultRunnerInterval
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = log.NewNopLogger()
	}
	return &Runner{o: o}
}

// Run runs the checks at once and then every interval until ctx ends.
func (r *Runner) Run(ctx context.Context) {
	every.Run(ctx, r.o.Interval, func(ctx context.Context) { r.RunNow(ctx) })
}

// RunNow runs the cheap checks once, stores and returns their results.
func (r *Runner) RunNow(ctx context.Context) []Result {
	cfg := r.o.Config()
	if cfg == nil {
		return nil
	}
	o := Options{ConfigFile: cfg.Source, WebConfigFile: r.o.WebConfigFile, Now: r.o.Now, Logger: r.o.Logger}
	a := newAuditor(cfg, nil, o)
	var defs []Check
	for _, d := range Checks {
		if !d.Cheap || d.ID == CheckConfigValid {
			continue // the running config loaded: config_valid is always true here
		}
		if (d.ID == CheckAPITokenValid && r.o.Limits == nil) || (d.ID == CheckFiscalCalendar && r.o.Calendar == nil) {
			continue
		}
		defs = append(defs, d)
	}
	var once sync.Once
	var lp limitsProbe
	a.limits = func() (limitsProbe, error) {
		once.Do(func() {
			lp.url = strings.TrimSuffix(cfg.Clari.BaseURL, "/") + "/admin/limits"
			if r.o.Limits == nil {
				lp.err = errors.New("no limits probe")
				return
			}
			start := time.Now()
			lp.limits, lp.err = r.o.Limits(ctx)
			lp.latency = time.Since(start)
		})
		return lp, lp.err
	}
	if r.o.Calendar != nil {
		a.calendar = func(context.Context) (fiscal.State, string, bool, error) {
			return r.o.Calendar(), "the exporter", true, nil
		}
	}
	a.warehouse = noWarehouse
	res := a.run(ctx, defs)
	rep := &Report{Results: res}
	a.scrub(rep)
	for _, x := range rep.Results {
		if x.Status == Fail {
			level.Warn(r.o.Logger).Log("msg", "readiness check failed", "check", x.ID, "priority", x.Priority, "detail", x.Detail) //nolint:errcheck
		}
	}
	r.mu.Lock()
	r.last = rep.Results
	r.mu.Unlock()
	return rep.Results
}

func noWarehouse() (*warehouse.Warehouse, error) { return nil, errNoWarehouse }

// Last returns the results of the latest run (nil before the first).
func (r *Runner) Last() []Result {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.last
}

// ReadinessChecks are the latest results for clari_readiness_check: PASS
// and WARN are 1 (not a failure), FAIL is 0, SKIP is left out (nothing was
// checked).
func (r *Runner) ReadinessChecks() []readiness.Check {
	return Readiness(r.Last())
}

// Readiness converts results for clari_readiness_check.
func Readiness(rs []Result) []readiness.Check {
	out := make([]readiness.Check, 0, len(rs))
	for _, x := range rs {
		if x.Status == Skip {
			continue
		}
		out = append(out, readiness.Check{ID: x.ID, Priority: x.Priority, Pass: x.Status != Fail})
	}
	return out
}
