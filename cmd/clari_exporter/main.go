// Command clari_exporter is a Prometheus exporter and alerting sidecar for
// Clari forecast exports: it probes the Clari API, runs export jobs on a
// quota-aware schedule, checks what comes back, reconciles row counts against
// the warehouse and exposes all of it on /metrics.
//
// Subcommands: the default serves /metrics; `check` runs the production-
// readiness audit.
package main

import (
	"fmt"
	"io"
	"os"

	"github.com/alecthomas/kingpin/v2"
	"github.com/prometheus/common/version"
	"github.com/prometheus/exporter-toolkit/web/kingpinflag"
)

// defaultListenAddress: the exporter port range 9100-9999 is fully
// allocated, so no choice is collision-free; 9852 is not used by any
// component of the stack this exporter ships with (Prometheus 9090,
// Alertmanager 9093, Grafana 3000, the simulator 8931).
const defaultListenAddress = ":9852"

func main() {
	useBuildInfo()
	os.Exit(run(os.Args[1:]))
}

// run parses flags and dispatches; it returns the process exit code so tests
// can drive the binary's logic in-process.
func run(args []string) int { return runApp(args, os.Stderr, os.Exit) }

// runApp is run with the writer usage and flag errors go to and the exit
// kingpin calls after --help or --version (tests stop it there).
func runApp(args []string, stderr io.Writer, exit func(int)) int {
	app := kingpin.New("clari_exporter", "Prometheus exporter and alerting sidecar for Clari forecast exports.")
	app.Version(version.Print("clari_exporter"))
	app.HelpFlag.Short('h')
	app.UsageWriter(stderr)
	app.ErrorWriter(stderr)
	app.Terminate(exit)

	var sf serveFlags
	serveCmd := app.Command("serve", "Serve /metrics and run exports. The default command: `clari_exporter [<flags>]` is `clari_exporter serve [<flags>]`. "+
		"The other command, `clari_exporter check`, runs the production-readiness audit (see `clari_exporter check --help`).").Default()
	sf.register(serveCmd)
	sf.web = kingpinflag.AddFlags(serveCmd, defaultListenAddress)

	var cf checkFlags
	checkCmd := app.Command("check", "Run the production-readiness audit of the Clari checklist.")
	cf.register(checkCmd)

	cmd, err := app.Parse(serveHelp(args))
	if err != nil {
		fmt.Fprintf(stderr, "clari_exporter: %v\n", err)
		return 2
	}
	switch cmd {
	case checkCmd.FullCommand():
		return runCheck(cf)
	default:
		return runServe(sf, stderr)
	}
}

// serveHelp turns a --help (or -h) given without a command into `help
// serve`: serve is the default command, so its flags (--config.file,
// --web.listen-address, ...) are the ones a top-level --help must list, as
// every other exporter's does. Kingpin alone would list only the commands.
func serveHelp(args []string) []string {
	help := false
	for _, a := range args {
		switch a {
		case "check", "serve", "help":
			return args
		case "--help", "-h":
			help = true
		}
	}
	if help {
		return []string{"help", "serve"}
	}
	return args
}
