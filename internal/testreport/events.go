package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
)

// event is one line of `go test -json` (cmd/test2json).
type event struct {
	Action     string
	Package    string
	ImportPath string // build-output and build-fail events
	Test       string
	Elapsed    float64
	Output     string
}

// timing is one finished test.
type timing struct {
	pkg, test string
	elapsed   float64
}

// reader turns the event stream into plain go test output, keeping what
// the end of the report needs.
type reader struct {
	// pending is each running test's output, printed only if it fails.
	pending map[[2]string][]string
	timings []timing
	// summary are the packages' summary lines (ok, FAIL, no test files),
	// in the order they finished.
	summary []string
	failed  bool
}

func newReader() *reader { return &reader{pending: map[[2]string][]string{}} }

// read copies in to out; lines that are not events (the go command's own
// errors) pass through. It returns false when the stream cannot be read.
func (r *reader) read(in io.Reader, out io.Writer) bool {
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 0, 64*1024), 16*1024*1024)
	for sc.Scan() {
		line := sc.Bytes()
		var e event
		if len(line) == 0 || line[0] != '{' || json.Unmarshal(line, &e) != nil {
			fmt.Fprintf(out, "%s\n", line)
			if strings.HasPrefix(string(line), "FAIL") {
				r.failed = true
			}
			continue
		}
		r.handle(e, out)
	}
	if err := sc.Err(); err != nil {
		fmt.Fprintf(out, "testreport: reading go test -json: %v\n", err)
		return false
	}
	return true
}

func (r *reader) handle(e event, out io.Writer) {
	key := [2]string{e.Package, e.Test}
	switch {
	case e.Action == "build-output":
		fmt.Fprint(out, e.Output)
	case e.Action == "build-fail":
		r.failed = true
	case e.Test == "" && e.Action == "output":
		// Package level: the summary line, and what a failing package
		// prints besides its tests (a panic, TestMain's output).
		if e.Output == "PASS\n" {
			return
		}
		if strings.HasPrefix(e.Output, "FAIL") {
			r.flushUnfinished(e.Package, out)
		}
		fmt.Fprint(out, e.Output)
		if isSummary(e.Output) {
			r.summary = append(r.summary, e.Output)
		}
	case e.Test == "" && e.Action == "fail":
		r.failed = true
	case e.Test == "":
		// The package's start, pass or skip: no test to time.
	case e.Action == "output":
		r.pending[key] = append(r.pending[key], e.Output)
	case e.Action == "pass" || e.Action == "skip":
		delete(r.pending, key)
		if e.Action == "pass" {
			r.timings = append(r.timings, timing{e.Package, e.Test, e.Elapsed})
		}
	case e.Action == "fail":
		for _, o := range r.pending[key] {
			fmt.Fprint(out, o)
		}
		delete(r.pending, key)
		r.timings = append(r.timings, timing{e.Package, e.Test, e.Elapsed})
	}
}

// flushUnfinished prints the output of pkg's tests that never ended (the
// package timed out or crashed), so the log shows where they were.
func (r *reader) flushUnfinished(pkg string, out io.Writer) {
	var keys [][2]string
	for k := range r.pending {
		if k[0] == pkg {
			keys = append(keys, k)
		}
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i][1] < keys[j][1] })
	for _, k := range keys {
		fmt.Fprintf(out, "--- unfinished: %s\n", k[1])
		for _, o := range r.pending[k] {
			fmt.Fprint(out, o)
		}
		delete(r.pending, k)
	}
}

// isSummary reports whether a package-level line is go test's verdict on
// the package.
func isSummary(line string) bool {
	for _, p := range []string{"ok  \t", "FAIL\t", "?   \t"} {
		if strings.HasPrefix(line, p) {
			return true
		}
	}
	return false
}

// slowest are the n tests that took longest, subtests included, slowest
// first.
func (r *reader) slowest(n int) []timing {
	t := append([]timing(nil), r.timings...)
	sort.SliceStable(t, func(i, j int) bool { return t[i].elapsed > t[j].elapsed })
	return t[:min(n, len(t))]
}
