// Command gen writes the files generated from the rules of package alerts:
// the rule files, the mixin's jsonnet and the PrometheusRule. Run it through
// `go generate ./alerts`.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/clari-exporter/clari_exporter/alerts"
)

func main() {
	root := flag.String("root", ".", "repository root to write the files under")
	flag.Parse()
	if err := alerts.WriteArtifacts(*root); err != nil {
		fmt.Fprintf(os.Stderr, "gen: %v\n", err)
		os.Exit(1)
	}
}
