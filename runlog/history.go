// Package runlog keeps, in memory and bounded, the newest log lines of
// every export target, so the landing page can show what a run logged, the
// way blackbox_exporter keeps each probe's debug log in a bounded history
// and links it from its page. It sits in front of the runner's logger:
// every line still goes to the log unchanged, and a copy of each line that
// names a forecast and a period is kept for that target.
//
// What a line holds is what the log holds, which is secret-free by the
// project's rules. On top of that, values under keys that carry money
// (a swing's previous and latest totals) or might carry a credential are
// replaced by Hidden: the landing page shows no revenue figure and no
// secret even if a log line one day does.
package runlog

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
)

// Default bounds. A run logs a handful of lines (created, re-queued,
// failed or done), so 200 lines hold the last few dozen runs of a target;
// the warn and error lines that rotate out are kept apart, another 100,
// so a failure's lines outlive a long healthy streak after it (blackbox
// keeps failed probes apart for the same reason).
const (
	DefaultLinesPerTarget    = 200
	DefaultProblemsPerTarget = 100
	// DefaultTargets bounds how many targets are kept: far above any
	// configured target count; the least recently logging one goes first.
	DefaultTargets = 1024
)

// Hidden replaces a value the page must not show.
const Hidden = "(hidden)"

// Line is one captured log line.
type Line struct {
	Time  time.Time
	Level string // "debug", "info", "warn", "error"; "" when the line had none
	Msg   string
	// Fields are the line's other key-value pairs, in logged order,
	// without the ones every line of the target shares (forecast, period,
	// component) or the log's own (level, msg, ts, caller).
	Fields []Field
}

// Field is one key-value pair of a line, its value as text.
type Field struct{ Key, Value string }

// Problem reports whether the line is a warning or an error.
func (l Line) Problem() bool { return l.Level == "warn" || l.Level == "error" }

// Value returns the value of key, "" when the line has none.
func (l Line) Value(key string) string {
	for _, f := range l.Fields {
		if f.Key == key {
			return f.Value
		}
	}
	return ""
}

// Options bound a History; zero values take the defaults.
type Options struct {
	LinesPerTarget, ProblemsPerTarget, Targets int
	Now                                        func() time.Time // default time.Now
}

// History is the bounded per-target store of log lines. Safe for
// concurrent use.
type History struct {
	o       Options
	opened  time.Time // lines before it were never seen
	mu      sync.Mutex
	targets map[target]*targetLog
}

type target struct{ forecast, period string }

// targetLog holds one target's lines, oldest first. problems holds the
// warn and error lines that rotated out of lines. lost is the time of the
// newest line dropped altogether: lines before it may be missing.
type targetLog struct {
	lines, problems []Line
	lost            time.Time
	last            time.Time // newest line, for evicting idle targets
}

// New returns an empty History.
func New(o Options) *History {
	if o.LinesPerTarget <= 0 {
		o.LinesPerTarget = DefaultLinesPerTarget
	}
	if o.ProblemsPerTarget <= 0 {
		o.ProblemsPerTarget = DefaultProblemsPerTarget
	}
	if o.Targets <= 0 {
		o.Targets = DefaultTargets
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &History{o: o, opened: o.Now(), targets: map[target]*targetLog{}}
}

// LinesPerTarget is how many lines of each target are kept (warn and
// error lines that rotate out are kept apart, ProblemsPerTarget more).
func (h *History) LinesPerTarget() int { return h.o.LinesPerTarget }

// add keeps a copy of one log line if it names a forecast and a period.
func (h *History) add(kv []any) {
	var k target
	line := Line{Time: h.o.Now()}
	for i := 0; i+1 < len(kv); i += 2 {
		key, val := fmt.Sprint(kv[i]), kv[i+1]
		switch key {
		case "forecast":
			k.forecast = text(val)
		case "period":
			k.period = text(val)
		case "msg":
			line.Msg = text(val)
		case "level":
			line.Level = text(val)
		case "ts", "caller", "component":
		default:
			v := Hidden
			if !hidden(key) {
				v = text(val)
			}
			line.Fields = append(line.Fields, Field{Key: key, Value: v})
		}
	}
	if k.forecast == "" || k.period == "" {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	tl := h.targets[k]
	if tl == nil {
		h.evictFor()
		tl = &targetLog{}
		h.targets[k] = tl
	}
	tl.last = line.Time
	tl.lines = append(tl.lines, line)
	if len(tl.lines) <= h.o.LinesPerTarget {
		return
	}
	out := tl.lines[0]
	tl.lines = slices.Delete(tl.lines, 0, 1)
	if !out.Problem() {
		tl.lost = out.Time
		return
	}
	tl.problems = append(tl.problems, out)
	if len(tl.problems) > h.o.ProblemsPerTarget {
		tl.lost = tl.problems[0].Time
		tl.problems = slices.Delete(tl.problems, 0, 1)
	}
}

// evictFor makes room for one more target. Called with h.mu held.
func (h *History) evictFor() {
	if len(h.targets) < h.o.Targets {
		return
	}
	var oldest target
	var at time.Time
	first := true
	for k, tl := range h.targets {
		if first || tl.last.Before(at) {
			oldest, at, first = k, tl.last, false
		}
	}
	delete(h.targets, oldest)
}

// Lines returns the target's kept lines logged within [from, to], oldest
// first. complete is false when lines of that window may be missing: they
// rotated out, or the window began before this process started (a run from
// before a restart).
func (h *History) Lines(forecast, period string, from, to time.Time) (lines []Line, complete bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	complete = !from.Before(h.opened)
	tl := h.targets[target{forecast, period}]
	if tl == nil {
		return nil, complete
	}
	for _, kept := range [][]Line{tl.problems, tl.lines} {
		for _, l := range kept {
			if !l.Time.Before(from) && !l.Time.After(to) {
				lines = append(lines, l)
			}
		}
	}
	sort.SliceStable(lines, func(i, j int) bool { return lines[i].Time.Before(lines[j].Time) })
	return lines, complete && from.After(tl.lost)
}

func text(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case error:
		return x.Error()
	case fmt.Stringer:
		return x.String()
	}
	return fmt.Sprint(v)
}

// hiddenKeys hold money (a swing's totals) or could hold a credential.
var hiddenKeys = []string{"previous", "latest", "value", "total", "baseline", "delta", "amount"}

func hidden(key string) bool {
	k := strings.ToLower(key)
	if slices.Contains(hiddenKeys, k) {
		return true
	}
	for _, s := range []string{"secret", "token", "password", "dsn", "api_key", "apikey"} {
		if strings.Contains(k, s) {
			return true
		}
	}
	return false
}
