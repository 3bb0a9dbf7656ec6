package main

import (
	"bytes"
	"strings"
	"testing"
)

// stream is a go test -json run of two packages: a passes (a quick test and
// a slow one, whose output plain go test would not show), b fails one test
// and leaves one unfinished (a timeout), c does not build; a line from the
// go command itself is not JSON.
const stream = `{"Action":"start","Package":"ex/a"}
{"Action":"run","Package":"ex/a","Test":"TestQuick"}
{"Action":"output","Package":"ex/a","Test":"TestQuick","Output":"=== RUN   TestQuick\n"}
{"Action":"output","Package":"ex/a","Test":"TestQuick","Output":"quiet when it passes\n"}
{"Action":"pass","Package":"ex/a","Test":"TestQuick","Elapsed":0.01}
{"Action":"pass","Package":"ex/a","Test":"TestSlow","Elapsed":42.5}
{"Action":"skip","Package":"ex/a","Test":"TestSkipped","Elapsed":0}
{"Action":"output","Package":"ex/a","Output":"PASS\n"}
{"Action":"output","Package":"ex/a","Output":"ok  \tex/a\t42.6s\n"}
{"Action":"pass","Package":"ex/a","Elapsed":42.6}
{"Action":"output","Package":"ex/b","Test":"TestBroken","Output":"    b_test.go:9: want 2, got 3\n"}
{"Action":"output","Package":"ex/b","Test":"TestBroken","Output":"--- FAIL: TestBroken (1.50s)\n"}
{"Action":"fail","Package":"ex/b","Test":"TestBroken","Elapsed":1.5}
{"Action":"output","Package":"ex/b","Test":"TestHangs","Output":"    b_test.go:20: waiting for the child\n"}
{"Action":"output","Package":"ex/b","Output":"panic: test timed out after 5m0s\n"}
{"Action":"output","Package":"ex/b","Output":"FAIL\tex/b\t300.1s\n"}
{"Action":"fail","Package":"ex/b","Elapsed":300.1}
{"ImportPath":"ex/c","Action":"build-output","Output":"c/c.go:3:1: syntax error\n"}
{"ImportPath":"ex/c","Action":"build-fail"}
{"Action":"output","Package":"ex/c","Output":"FAIL\tex/c [build failed]\n"}
{"Action":"fail","Package":"ex/c","Elapsed":0}
go: warning: a line from the go command itself
`

func TestReportShowsFailuresSlowestThenSummary(t *testing.T) {
	var out bytes.Buffer
	if report(strings.NewReader(stream), &out, 2) {
		t.Error("report says every package passed; b failed and c did not build")
	}
	text := out.String()
	for _, want := range []string{"want 2, got 3", "--- unfinished: TestHangs", "waiting for the child", "panic: test timed out", "syntax error", "a line from the go command itself"} {
		if !strings.Contains(text, want) {
			t.Errorf("report lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "quiet when it passes") || strings.Contains(text, "PASS\n") {
		t.Errorf("report shows a passing test's output, as go test without -v does not:\n%s", text)
	}
	lines := strings.Split(strings.TrimRight(text, "\n"), "\n")
	end := lines[len(lines)-3:]
	if want := []string{"ok  \tex/a\t42.6s", "FAIL\tex/b\t300.1s", "FAIL\tex/c [build failed]"}; strings.Join(end, "|") != strings.Join(want, "|") {
		t.Errorf("the report ends with %q, want go test's summary lines %q", end, want)
	}
	i := strings.Index(text, "2 slowest tests:\n")
	if i < 0 {
		t.Fatalf("no slowest list:\n%s", text)
	}
	slow := strings.Split(text[i:], "\n")[1:3]
	if !strings.Contains(slow[0], "ex/a TestSlow") || !strings.Contains(slow[0], "42.50s") || !strings.Contains(slow[1], "ex/b TestBroken") {
		t.Errorf("slowest list %q, want TestSlow (42.50s) then TestBroken", slow)
	}
}

func TestReportPassesAGreenRun(t *testing.T) {
	green := strings.Join(strings.Split(stream, "\n")[:10], "\n") + "\n"
	var out bytes.Buffer
	if !report(strings.NewReader(green), &out, 15) {
		t.Errorf("a green run reported as failed:\n%s", out.String())
	}
	if !strings.HasSuffix(out.String(), "ok  \tex/a\t42.6s\n") {
		t.Errorf("a green run's report does not end with its summary line:\n%s", out.String())
	}
}
