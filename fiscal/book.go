package fiscal

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/go-kit/log"
	"github.com/go-kit/log/level"

	"github.com/clari-exporter/clari_exporter/clari"
	"github.com/clari-exporter/clari_exporter/config"
	"github.com/clari-exporter/clari_exporter/store"
)

// Origins of a stated period (store.CalendarPeriod.Origin).
const (
	OriginExport   = "export"   // the exporter's own export
	OriginPipeline = "pipeline" // an inspected pipeline export
)

// persistTimeout bounds the write of a stated period; it is not cancelled
// by shutdown (a learned calendar not saved is paid for again).
const persistTimeout = 10 * time.Second

// Book keeps the newest period Clari stated and judges the configured
// calendar by it. Create it with NewBook; the runner and the pipeline
// watch share one.
type Book struct {
	store  store.Store
	config func() *config.File
	logger log.Logger
	now    func() time.Time

	mu      sync.Mutex
	stated  store.CalendarPeriod // zero when Clari stated none yet
	learned config.FiscalCalendar
}

// NewBook builds a Book over the store; config is the configuration in
// force (read on every question: a reload takes effect at once).
func NewBook(st store.Store, cfg func() *config.File, logger log.Logger) *Book {
	if logger == nil {
		logger = log.NewNopLogger()
	}
	return &Book{store: st, config: cfg, logger: logger, now: time.Now}
}

// Load reads the stored period: at start-up, and whenever a follower of a
// shared store catches up with what the leader learned.
func (b *Book) Load(ctx context.Context) error {
	p, ok, err := b.store.CalendarPeriod(ctx)
	if err != nil {
		return fmt.Errorf("reading the learned fiscal calendar: %w", err)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if ok {
		b.hold(p)
	}
	return nil
}

// hold makes p the stated period; mu held.
func (b *Book) hold(p store.CalendarPeriod) {
	b.stated = p
	cal, err := Learn(p)
	if err != nil {
		level.Error(b.logger).Log("msg", "Clari's period dates fit no fiscal calendar of calendar-month quarters; set fiscal_calendar in the configuration", "err", err)
	}
	b.learned = cal
}

// InUse returns the calendar in use under cfg and its source: the
// configured one, else the learned one, else the zero calendar and
// SourceUnknown.
func (b *Book) InUse(cfg *config.File) (config.FiscalCalendar, string) {
	if cfg.FiscalCalendar.Known() {
		return cfg.FiscalCalendar, SourceConfig
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.learned.Known() {
		return b.learned, SourceClari
	}
	return config.FiscalCalendar{}, SourceUnknown
}

// Resolve returns cfg with the calendar in use in FiscalCalendar (cfg
// itself when configured or still unknown, else a shallow copy), for the
// readers that only need dates of periods: targets, CSV rows, retention.
func (b *Book) Resolve(cfg *config.File) *config.File {
	cal, source := b.InUse(cfg)
	if source != SourceClari {
		return cfg
	}
	c := *cfg
	c.FiscalCalendar = cal
	return &c
}

// MismatchError says that Clari's period dates contradict the configured
// calendar, and what to configure instead.
type MismatchError struct {
	Configured config.FiscalCalendar
	Period     store.CalendarPeriod
	// Clari is the calendar the period fits; zero when it fits none.
	Clari  config.FiscalCalendar
	detail error
}

func (e *MismatchError) Error() string {
	return fmt.Sprintf("fiscal calendar mismatch: %v; %s", e.detail, e.Fix())
}

// Problem says what disagrees, without the fix.
func (e *MismatchError) Problem() string { return e.detail.Error() }

// Fix names the configuration that would agree with Clari.
func (e *MismatchError) Fix() string {
	if !e.Clari.Known() {
		return "Clari's periods are not calendar-month quarters: check the period dates in Clari's export and set fiscal_calendar to match"
	}
	return "set " + Fix(e.Clari)
}

// Mismatch returns a *MismatchError when cfg configures a calendar that
// the newest period Clari stated contradicts, else nil. It costs nothing:
// a reload that fixes the calendar clears it at once, one that does not
// is caught without another export.
func (b *Book) Mismatch(cfg *config.File) *MismatchError {
	if !cfg.FiscalCalendar.Known() {
		return nil
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.mismatch(cfg.FiscalCalendar, b.stated)
}

func (b *Book) mismatch(cal config.FiscalCalendar, p store.CalendarPeriod) *MismatchError {
	if p.PeriodID == "" {
		return nil
	}
	err := Agrees(cal, p)
	if err == nil {
		return nil
	}
	clariCal, _ := Learn(p)
	return &MismatchError{Configured: cal, Period: p, Clari: clariCal, detail: err}
}

// Observe takes a period a Clari document stated (origin: OriginExport or
// OriginPipeline): without a configured calendar it teaches it; with one it
// is checked, and a *MismatchError returned when it disagrees. A period
// that changes what is known is persisted (a learned calendar is not paid
// for again after a restart, nor is a mismatch found twice). Any other
// error means nothing could be learned from it.
func (b *Book) Observe(ctx context.Context, cfg *config.File, origin string, tp clari.TimePeriod) error {
	p := store.CalendarPeriod{PeriodID: tp.TimePeriodID, StartDate: tp.StartDate, EndDate: tp.EndDate, Origin: origin, SeenAt: b.now().UTC()}
	learned, learnErr := Learn(p)
	b.mu.Lock()
	changed := b.stated.PeriodID == "" || learned != b.learned
	previous := b.learned
	var mismatch *MismatchError
	if cfg.FiscalCalendar.Known() {
		mismatch = b.mismatch(cfg.FiscalCalendar, p)
		// The evidence kept is the newest period that says something new:
		// a contradiction replaces an agreeing period, never the reverse
		// by an older document alone.
		changed = changed || (mismatch != nil && b.mismatch(cfg.FiscalCalendar, b.stated) == nil)
	} else if learnErr != nil {
		b.mu.Unlock()
		return learnErr
	}
	if changed {
		b.hold(p)
	}
	b.mu.Unlock()
	if changed {
		if previous.Known() && learned.Known() && previous != learned {
			level.Warn(b.logger).Log("msg", "Clari's period dates say another fiscal calendar than the one learned before; the newest wins",
				"before", Describe(previous), "now", Describe(learned), "period", p.PeriodID)
		} else if learned.Known() && !cfg.FiscalCalendar.Known() {
			level.Info(b.logger).Log("msg", "fiscal calendar learned from Clari", "calendar", Describe(learned),
				"period", p.PeriodID, "start", p.StartDate, "end", p.EndDate, "origin", origin)
		}
		pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), persistTimeout)
		defer cancel()
		if err := b.store.PutCalendarPeriod(pctx, p); err != nil {
			level.Error(b.logger).Log("msg", "cannot save the fiscal period Clari stated; it is learned again after a restart", "err", err)
		}
	}
	if mismatch != nil {
		return mismatch
	}
	return nil
}

// ObserveAll is Observe for every period one document stated. It returns
// the first mismatch, if any, and the periods nothing could be learned
// from.
func (b *Book) ObserveAll(ctx context.Context, cfg *config.File, origin string, periods []clari.TimePeriod) (mismatch *MismatchError, unlearnable []error) {
	for _, p := range periods {
		err := b.Observe(ctx, cfg, origin, p)
		if m, ok := err.(*MismatchError); ok {
			if mismatch == nil {
				mismatch = m
			}
		} else if err != nil {
			unlearnable = append(unlearnable, err)
		}
	}
	return mismatch, unlearnable
}

// State returns the calendar in use under the configuration in force.
func (b *Book) State() State {
	cfg := b.config()
	cal, source := b.InUse(cfg)
	s := State{Source: source, StartMonth: cal.StartMonth, YearLabel: cal.YearLabel}
	if source == SourceUnknown {
		return s
	}
	if s.YearLabel == "" {
		s.YearLabel = config.YearLabelEnd
	}
	if m := b.Mismatch(cfg); m != nil {
		s.Mismatch, s.Problem, s.Fix = true, m.Problem(), m.Fix()
		return s
	}
	b.mu.Lock()
	s.Verified = b.stated.PeriodID != ""
	b.mu.Unlock()
	return s
}
