package landing

import (
	"cmp"
	"context"
	"maps"
	"slices"
	"strconv"
	"time"

	"github.com/clari-exporter/clari_exporter/checklist"
	"github.com/clari-exporter/clari_exporter/snapshot"
	"github.com/clari-exporter/clari_exporter/store"
	"github.com/clari-exporter/clari_exporter/watch"
)

// row is one run as the page shows it.
type row struct {
	Forecast, Period string
	Run              store.Run
	Outcome          string // ok or failed
	Reason           string // the failure reason; "" when ok
	// Error says why the run failed: as recorded with it, else as its
	// log lines tell it; "" when the run succeeded or neither is known.
	Error string
	Link  string // the run's page
}

type target struct {
	Forecast, Period string
	Current          bool
	Interval         time.Duration
	Last             *row // nil: never ran
	Spark            *sparkline
	Marks            marks
}

// marks are what a target went through besides its runs' outcomes.
type marks struct {
	Requeues uint64
	Skips    []count     // skipped exports by reason, only those > 0
	Swings   []swingMark // anomalous swings of the newest export
	Drift    *drift      // the warehouse does not hold the export's rows
}

type count struct {
	Reason string
	N      uint64
}

// swingMark is an anomalous swing as a ratio only: the totals it compares
// are revenue and stay off the page.
type swingMark struct {
	Field string
	Ratio float64
}

type drift struct {
	Expected, Actual int
	Ratio            float64
}

// pipelineTarget is a pipeline target as the page shows it.
type pipelineTarget struct {
	watch.Target
	// Failed is true when the newest inspected export failed its check
	// or the newest job did not end DONE; Why says which.
	Failed bool
	Why    string
	// CheckFailures are the failed checks by reason, only those > 0.
	CheckFailures []count
	Marks         marks
}

// readiness is /-/ready's answer beside the audit's: green only when the
// state is loaded and no P1 check fails.
type readiness struct {
	Class string // ok, warn or failed
	Text  string
}

type view struct {
	Options
	Now time.Time
	// ZeroQuota: the exporter creates no exports (schedule off, watch on),
	// so the pipeline comes first and no empty export tables are shown.
	ZeroQuota bool
	Targets   []target
	InFlight  []store.InFlight
	Recent    []row
	Bound     int
	Watch     *watch.State // nil: no pipeline section
	Pipeline  []pipelineTarget
	Statuses  []string // the watch's terminal status vocabulary
	// Audit lists the audit's failing and warning checks, P1 first; nil
	// when it has not run.
	Audit     []checklist.Result
	AuditRan  bool
	Readiness readiness
	Errors    []string
}

// runTail is how long after a run's end its closing lines (done, failed,
// the swing) may still be logged: they follow the run's store write.
const runTail = 10 * time.Second

type key struct{ forecast, period string }

// view reads the state. A store error is noted on the page and logged
// rather than failing it: the links and the targets still help. Its text
// stays in the log: a database error can name the server and the user.
func (h *Handler) view(ctx context.Context) view {
	now := h.o.Now()
	cfg := h.o.Config()
	v := view{Options: h.o, Now: now, Bound: RecentRuns, Statuses: watch.Statuses, ZeroQuota: cfg.ZeroQuota()}
	recent, err := h.o.Runs.RecentRuns(ctx, RecentRuns)
	if err != nil {
		h.o.Logger.Warn("landing page: reading runs", "err", err)
		v.Errors = append(v.Errors, "The runs could not be read (see the exporter's log).")
	}
	byTarget := make(map[key][]store.Run)
	for _, run := range recent {
		k := key{run.Forecast, run.Period}
		byTarget[k] = append(byTarget[k], run)
	}
	exported, drifts := h.exportMarks(), h.drifts()
	// A run as a place in its target's runs: its row (error text, window)
	// is built only for the runs the page shows.
	type runRef struct {
		runs []store.Run
		i    int
	}
	var recentRefs []runRef
	// Only the configured targets, in their order: a target that left the
	// config keeps its runs in the store until they are pruned.
	for _, t := range cfg.Targets(now) {
		k := key{t.Forecast, t.Period}
		runs := byTarget[k]
		tv := target{Forecast: t.Forecast, Period: t.Period, Current: t.Current, Interval: t.Interval,
			Spark: newSparkline(runs), Marks: exported[k]}
		tv.Marks.Drift = drifts[k]
		if len(runs) > 0 {
			last := h.row(runs, 0)
			tv.Last = &last
		}
		for i := range runs {
			recentRefs = append(recentRefs, runRef{runs, i})
		}
		v.Targets = append(v.Targets, tv)
	}
	slices.SortStableFunc(recentRefs, func(a, b runRef) int { return b.runs[b.i].FinishedAt.Compare(a.runs[a.i].FinishedAt) })
	for _, r := range recentRefs[:min(len(recentRefs), RecentRuns)] {
		v.Recent = append(v.Recent, h.row(r.runs, r.i))
	}
	inflight, err := h.o.Runs.InFlight(ctx)
	if err != nil {
		h.o.Logger.Warn("landing page: reading in-flight jobs", "err", err)
		v.Errors = append(v.Errors, "The jobs in flight could not be read (see the exporter's log).")
	}
	slices.SortFunc(inflight, func(a, b store.InFlight) int {
		return cmp.Or(cmp.Compare(a.Forecast, b.Forecast), cmp.Compare(a.Period, b.Period))
	})
	v.InFlight = inflight
	if h.o.Pipeline != nil {
		if st := h.o.Pipeline.State(); st != nil && st.Enabled {
			v.Watch = st
			v.Pipeline = pipelineTargets(st, drifts)
		}
	}
	h.audit(&v)
	return v
}

// row is runs[i] (a target's runs, newest first) with its error text: as
// recorded with the run, else from the lines it logged in this process.
func (h *Handler) row(runs []store.Run, i int) row {
	run := runs[i]
	rw := row{Forecast: run.Forecast, Period: run.Period, Run: run, Outcome: "ok", Link: runLink(run)}
	if run.Success() {
		return rw
	}
	rw.Outcome, rw.Reason, rw.Error = "failed", run.Outcome, run.Error
	// A run recorded before the store kept errors: what its log said, if
	// this process saw it.
	if rw.Error == "" && h.o.Logs != nil {
		from, to := runWindow(runs, i)
		lines, _ := h.o.Logs.Lines(run.Forecast, run.Period, from, to)
		rw.Error = errorText(lines)
	}
	return rw
}

// runWindow is when runs[i] (newest first) logged: from its start to a
// little after its end, but never into the next run of its target.
func runWindow(runs []store.Run, i int) (from, to time.Time) {
	run := runs[i]
	from = run.StartedAt
	if from.IsZero() {
		from = run.FinishedAt.Add(-run.Duration)
	}
	to = run.FinishedAt.Add(runTail)
	if i > 0 && !runs[i-1].StartedAt.IsZero() && runs[i-1].StartedAt.Before(to) {
		to = runs[i-1].StartedAt.Add(-time.Nanosecond)
	}
	return from, to
}

// exportMarks reads the runner's published state: re-queues, skips and
// anomalous swings per target.
func (h *Handler) exportMarks() map[key]marks {
	out := map[key]marks{}
	if h.o.Export == nil {
		return out
	}
	st := h.o.Export()
	if st == nil {
		return out
	}
	for _, t := range st.Targets {
		out[key{t.Forecast, t.Period}] = marks{Requeues: t.Requeues, Skips: counts(t.Skips), Swings: anomalous(t.Swings)}
	}
	return out
}

// drifts are the reconciled targets whose warehouse rows differ from the
// export's.
func (h *Handler) drifts() map[key]*drift {
	out := map[key]*drift{}
	if h.o.Warehouse == nil {
		return out
	}
	for _, r := range h.o.Warehouse().Reconciliations {
		if r.Actual != r.Expected {
			out[key{r.Forecast, r.Period}] = &drift{Expected: r.Expected, Actual: r.Actual, Ratio: r.MismatchRatio}
		}
	}
	return out
}

func pipelineTargets(st *watch.State, drifts map[key]*drift) []pipelineTarget {
	out := make([]pipelineTarget, 0, len(st.Targets))
	for _, t := range st.Targets {
		p := pipelineTarget{Target: t, CheckFailures: counts(t.CheckFailures),
			Marks: marks{Swings: anomalous(t.Swings), Drift: drifts[key{t.Forecast, t.Period}]}}
		switch {
		case t.LastCheck.Failed():
			p.Failed, p.Why = true, t.LastCheck.Reason+": the newest inspected export (job "+t.LastCheck.JobID+") failed its check"
		case t.LastJobKnown && !t.LastJobSuccess:
			p.Failed, p.Why = true, "the newest job did not end DONE"
		}
		out = append(out, p)
	}
	return out
}

// audit lists the audit's failing and warning checks, P1 first, and says
// whether the exporter is ready beside them.
func (h *Handler) audit(v *view) {
	var results []checklist.Result
	if h.o.Audit != nil {
		results = h.o.Audit()
	}
	v.AuditRan = results != nil
	p1 := 0
	for _, r := range results {
		if r.Status == checklist.Fail || r.Status == checklist.Warn {
			v.Audit = append(v.Audit, r)
		}
		if r.Status == checklist.Fail && r.Priority == "P1" {
			p1++
		}
	}
	slices.SortStableFunc(v.Audit, func(a, b checklist.Result) int {
		return cmp.Or(cmp.Compare(a.Priority, b.Priority), cmp.Compare(statusRank(a.Status), statusRank(b.Status)))
	})
	v.Readiness = readinessOf(h.o.Ready == nil || h.o.Ready(), v.AuditRan, p1, len(v.Audit))
}

func statusRank(s checklist.Status) int {
	if s == checklist.Fail {
		return 0
	}
	return 1
}

func readinessOf(ready, auditRan bool, p1Fails, problems int) readiness {
	switch {
	case !ready:
		return readiness{"failed", "not ready: loading the persisted state"}
	case p1Fails > 0:
		return readiness{"failed", "state loaded, but the audit has " + plural(p1Fails, "P1 failure") + " (below): not ready for production"}
	case !auditRan:
		return readiness{"warn", "state loaded; the audit has not run yet"}
	case problems > 0:
		return readiness{"warn", "ready; the audit has " + plural(problems, "lower-priority finding") + " (below)"}
	}
	return readiness{"ok", "ready; the audit passes"}
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return strconv.Itoa(n) + " " + what + "s"
}

// counts lists the reasons with a count above 0, by reason.
func counts(m map[string]uint64) []count {
	var out []count
	for _, r := range slices.Sorted(maps.Keys(m)) {
		if m[r] > 0 {
			out = append(out, count{r, m[r]})
		}
	}
	return out
}

func anomalous(swings []snapshot.Swing) []swingMark {
	var out []swingMark
	for _, s := range swings {
		if s.Anomalous {
			out = append(out, swingMark{Field: s.Field, Ratio: s.Ratio})
		}
	}
	return out
}
