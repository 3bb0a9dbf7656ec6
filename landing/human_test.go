package landing

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/clari-exporter/clari_exporter/runlog"
	"github.com/clari-exporter/clari_exporter/store"
)

func TestAgesAreHuman(t *testing.T) {
	for _, tc := range []struct {
		ago  time.Duration
		want string
	}{
		{0, "0 s ago"},
		{59 * time.Second, "59 s ago"},
		{5*time.Minute + 59*time.Second, "5 min ago"},
		{3*time.Hour + 40*time.Minute, "3 h ago"},
		{47 * time.Hour, "47 h ago"},
		{37*24*time.Hour + 2*time.Hour, "37 d ago"},
		{890*time.Hour + 41*time.Minute + time.Second, "37 d ago"}, // the 890h41m1s
		{-3 * time.Hour, "in 3 h"},
	} {
		if got := age(now, now.Add(-tc.ago)); got != tc.want {
			t.Errorf("age of %s: %q, want %q", tc.ago, got, tc.want)
		}
	}
	if got := age(now, time.Time{}); got != "never" {
		t.Errorf("age of the zero time: %q, want never", got)
	}
	for d, want := range map[time.Duration]string{6 * time.Hour: "every 6 h", 30 * time.Minute: "every 30 min", 7 * 24 * time.Hour: "every 7 d",
		24 * time.Hour: "every 24 h", 1500 * time.Millisecond: "every 1.5s", 0: "not scheduled"} {
		if got := every(d); got != want {
			t.Errorf("every(%s) = %q, want %q", d, got, want)
		}
	}
}

func TestSparklineValues(t *testing.T) {
	if s := newSparkline(nil); s != nil {
		t.Errorf("a sparkline without runs: %+v", s)
	}
	// Newest first, as the store returns them: the oldest run took 1 s
	// with 50 rows, the middle one failed after 2 s with none, the newest
	// took 4 s with 100 rows.
	runs := []store.Run{
		{Outcome: store.OutcomeDone, Duration: 4 * time.Second, Rows: 100},
		{Outcome: "api_error", Duration: 2 * time.Second},
		{Outcome: store.OutcomeDone, Duration: time.Second, Rows: 50},
	}
	s := newSparkline(runs)
	// x: 3, 60, 117 over the 120 width; y: 25 is 0, 3 is the maximum.
	if want := "3.0,19.5 60.0,14.0 117.0,3.0"; s.Duration != want {
		t.Errorf("duration points %q, want %q", s.Duration, want)
	}
	if want := "3.0,14.0 60.0,25.0 117.0,3.0"; s.Rows != want {
		t.Errorf("rows points %q, want %q", s.Rows, want)
	}
	if want := []point{{60, 14}}; !slices.Equal(s.Failures, want) {
		t.Errorf("failure marks %v, want %v (on the duration line)", s.Failures, want)
	}
	if !strings.Contains(s.Title, "last 3 runs") || !strings.Contains(s.Title, "up to 4s") || !strings.Contains(s.Title, "1 failed") {
		t.Errorf("title %q", s.Title)
	}

	// One run sits in the middle; a run without rows or duration sits
	// on the bottom (no division by zero); the wall time stands in for
	// a duration the store does not have.
	one := newSparkline([]store.Run{{Outcome: store.OutcomeDone, StartedAt: now.Add(-3 * time.Second), FinishedAt: now}})
	if one.Duration != "60.0,3.0" || one.Rows != "60.0,25.0" {
		t.Errorf("one run: duration %q rows %q", one.Duration, one.Rows)
	}

	// Only the newest SparkRuns are drawn.
	var many []store.Run
	for i := range SparkRuns + 5 {
		many = append(many, store.Run{Outcome: store.OutcomeDone, Duration: time.Duration(i+1) * time.Second, Rows: 1})
	}
	if n := len(strings.Fields(newSparkline(many).Duration)); n != SparkRuns {
		t.Errorf("%d points drawn of %d runs, want %d", n, len(many), SparkRuns)
	}
}

func TestErrorTextFromTheRunsLines(t *testing.T) {
	line := func(lvl, msg string, kv ...string) runlog.Line {
		l := runlog.Line{Level: lvl, Msg: msg}
		for i := 0; i+1 < len(kv); i += 2 {
			l.Fields = append(l.Fields, runlog.Field{Key: kv[i], Value: kv[i+1]})
		}
		return l
	}
	for _, tc := range []struct {
		lines []runlog.Line
		want  string
	}{
		{nil, ""},
		{[]runlog.Line{line("info", "export done", "rows", "10")}, ""},
		{[]runlog.Line{
			line("warn", "export job timed out; re-queued", "job", "j-1"),
			line("error", "export failed", "job", "j-2", "reason", "api_error", "err", "POST /export: 503 Service Unavailable"),
			line("info", "something after"),
		}, "export failed: POST /export: 503 Service Unavailable"},
		{[]runlog.Line{line("error", "export failed its data-quality guard", "job", "j-3", "reason", "period_mismatch", "periods", "2027_Q3")},
			"export failed its data-quality guard (reason=period_mismatch, periods=2027_Q3)"},
		{[]runlog.Line{line("warn", "export skipped: circuit breaker open")}, "export skipped: circuit breaker open"},
	} {
		if got := errorText(tc.lines); got != tc.want {
			t.Errorf("errorText(%v) = %q, want %q", tc.lines, got, tc.want)
		}
	}
}
