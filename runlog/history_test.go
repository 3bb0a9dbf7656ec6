package runlog_test

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/go-kit/log"
	"github.com/go-kit/log/level"

	"github.com/clari-exporter/clari_exporter/internal/logging"
	"github.com/clari-exporter/clari_exporter/runlog"
)

// clock is a test clock the History reads; each tick is one second.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }
func (c *clock) tick()          { c.t = c.t.Add(time.Second) }

var t0 = time.Date(2026, 12, 8, 4, 0, 0, 0, time.UTC)

func TestLinesOfATargetWithinTheRunsWindow(t *testing.T) {
	c := &clock{t: t0}
	h := runlog.New(runlog.Options{Now: c.now})
	var out bytes.Buffer
	logger := h.Logger(log.With(log.NewLogfmtLogger(&out), "component", "runner"))

	c.tick() // t0+1: a line of another target, and one naming no target
	level.Info(logger).Log("msg", "export done", "forecast", "bookings", "period", "2027_Q4", "rows", 10)
	level.Info(logger).Log("msg", "export runner started")
	c.tick() // t0+2: the run's lines
	level.Warn(logger).Log("msg", "export job timed out; re-queued", "forecast", "net_arr", "period", "2027_Q4", "job", "j-1")
	c.tick()
	level.Error(logger).Log("msg", "export failed", "forecast", "net_arr", "period", "2027_Q4", "job", "j-2", "reason", "api_error",
		"err", errors.New("POST /export/forecast/net_arr: 503 Service Unavailable"))
	c.tick() // t0+4: after the window
	level.Info(logger).Log("msg", "export done", "forecast", "net_arr", "period", "2027_Q4", "job", "j-3")

	lines, complete := h.Lines("net_arr", "2027_Q4", t0.Add(2*time.Second), t0.Add(3*time.Second))
	if !complete {
		t.Error("a window after the history opened, nothing dropped: want complete")
	}
	if len(lines) != 2 {
		t.Fatalf("lines %+v, want the 2 of the window", lines)
	}
	got := lines[1]
	if got.Msg != "export failed" || got.Level != "error" || !got.Problem() || got.Value("job") != "j-2" ||
		got.Value("err") != "POST /export/forecast/net_arr: 503 Service Unavailable" || !got.Time.Equal(t0.Add(3*time.Second)) {
		t.Errorf("captured line %+v", got)
	}
	for _, f := range got.Fields {
		if f.Key == "forecast" || f.Key == "period" || f.Key == "component" || f.Key == "level" {
			t.Errorf("line keeps the shared key %s", f.Key)
		}
	}
	// Every line still reaches the log.
	if n := strings.Count(out.String(), "\n"); n != 5 {
		t.Errorf("%d lines logged, want all 5:\n%s", n, out.String())
	}
	// A window from before the history opened may miss lines.
	if _, complete := h.Lines("net_arr", "2027_Q4", t0.Add(-time.Hour), t0.Add(time.Hour)); complete {
		t.Error("a window from before the history opened reported complete")
	}
}

func TestMoneyAndCredentialsAreHidden(t *testing.T) {
	c := &clock{t: t0}
	h := runlog.New(runlog.Options{Now: c.now})
	logger := h.Logger(log.NewNopLogger())
	level.Warn(logger).Log("msg", "anomalous swing", "forecast", "net_arr", "period", "2027_Q4", "field", "commit",
		"previous", 1234567.5, "latest", 2345678.25, "ratio", 0.9, "dsn", "postgres://u:pw@db/x", "api_key_file", "/k")
	lines, _ := h.Lines("net_arr", "2027_Q4", t0, t0)
	if len(lines) != 1 {
		t.Fatalf("lines %+v", lines)
	}
	for _, key := range []string{"previous", "latest", "dsn", "api_key_file"} {
		if v := lines[0].Value(key); v != runlog.Hidden {
			t.Errorf("%s is %q, want %q", key, v, runlog.Hidden)
		}
	}
	if v := lines[0].Value("ratio"); v != "0.9" {
		t.Errorf("ratio %q, want it shown", v)
	}
	if s := fmt.Sprint(lines); strings.Contains(s, "1234567") || strings.Contains(s, "pw@") {
		t.Errorf("a hidden value is kept: %s", s)
	}
}

// The history is bounded per target, keeps the warn and error lines that
// rotate out apart (a failure outlives a healthy streak after it), says
// when a window may miss lines, and drops the idlest target beyond its
// target bound.
func TestBounds(t *testing.T) {
	c := &clock{t: t0}
	h := runlog.New(runlog.Options{Now: c.now, LinesPerTarget: 3, ProblemsPerTarget: 2, Targets: 2})
	logger := h.Logger(log.NewNopLogger())
	lineAt := func(i int) time.Time { return t0.Add(time.Duration(i) * time.Second) }
	for i := range 10 {
		c.t = lineAt(i)
		if i == 1 || i == 2 || i == 4 {
			level.Error(logger).Log("msg", fmt.Sprint("failed ", i), "forecast", "f", "period", "p")
		} else {
			level.Info(logger).Log("msg", fmt.Sprint("done ", i), "forecast", "f", "period", "p")
		}
	}
	lines, complete := h.Lines("f", "p", t0, lineAt(9))
	var msgs []string
	for _, l := range lines {
		msgs = append(msgs, l.Msg)
	}
	// Newest 3 lines, and the newest 2 of the errors that rotated out
	// (failed 1 was pushed out of the problems by failed 4).
	if want := "failed 2,failed 4,done 7,done 8,done 9"; strings.Join(msgs, ",") != want {
		t.Errorf("kept %v, want %s", msgs, want)
	}
	if complete {
		t.Error("lines were dropped from this window: want incomplete")
	}
	if _, complete := h.Lines("f", "p", lineAt(7), lineAt(9)); !complete {
		t.Error("a window after the newest dropped line: want complete")
	}

	c.t = lineAt(20)
	level.Info(logger).Log("msg", "x", "forecast", "g", "period", "p")
	c.t = lineAt(21)
	level.Info(logger).Log("msg", "y", "forecast", "h", "period", "p")
	if lines, _ := h.Lines("f", "p", t0, lineAt(30)); len(lines) != 0 {
		t.Errorf("the idlest target is kept beyond the bound of 2 targets: %+v", lines)
	}
	if lines, _ := h.Lines("h", "p", t0, lineAt(30)); len(lines) != 1 {
		t.Errorf("the newest target's lines: %+v", lines)
	}
}

// Under the exporter's root logger the line keeps one caller, the real
// call site, not the wrapper.
func TestCallerIsTheCallSite(t *testing.T) {
	var out bytes.Buffer
	root, err := logging.New(&out, "info", "logfmt")
	if err != nil {
		t.Fatal(err)
	}
	h := runlog.New(runlog.Options{})
	logger := h.Logger(log.With(root, "component", "runner"))
	level.Info(logger).Log("msg", "export done", "forecast", "f", "period", "p") // the call site
	line := out.String()
	if n := strings.Count(line, "caller="); n != 1 {
		t.Fatalf("%d callers in %q, want 1", n, line)
	}
	if !strings.Contains(line, "caller=history_test.go:") {
		t.Errorf("caller is not this test's call site: %q", line)
	}
}
