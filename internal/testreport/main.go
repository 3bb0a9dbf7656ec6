// Command testreport reads `go test -json` on stdin and prints what plain
// `go test` would (build errors, the output of failing tests, one summary
// line per package), then the slowest tests, then every package's summary
// line again, so a CI log ends with go test's own ok/FAIL lines. It exits
// 1 when a package failed or did not build. .ci/run pipes the full tier
// through it:
//
//	go test -race -json ./... | go run ./internal/testreport -slowest 15
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
)

func main() {
	slowest := flag.Int("slowest", 15, "how many of the slowest tests to list")
	flag.Parse()
	if !report(os.Stdin, os.Stdout, *slowest) {
		os.Exit(1)
	}
}

// report copies the stream in to out as plain go test output and appends
// the slowest tests and the summary lines; it returns whether every
// package passed.
func report(in io.Reader, out io.Writer, slowest int) bool {
	r := newReader()
	ok := r.read(in, out)
	fmt.Fprintf(out, "\n%d slowest tests:\n", slowest)
	for _, s := range r.slowest(slowest) {
		fmt.Fprintf(out, "%8.2fs  %s %s\n", s.elapsed, s.pkg, s.test)
	}
	fmt.Fprintln(out)
	for _, line := range r.summary {
		fmt.Fprint(out, line)
	}
	return ok && !r.failed
}
