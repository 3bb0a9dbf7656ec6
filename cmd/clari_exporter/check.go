package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/go-kit/log/level"

	"github.com/clari-exporter/clari_exporter/checklist"
	"github.com/clari-exporter/clari_exporter/internal/logging"
)

// Exit codes of `clari_exporter check`.
const (
	checkExitOK    = 0 // no P1 check failed
	checkExitP1    = 1 // a P1 check failed
	checkExitUsage = 2 // bad flags, unreadable --config.file
)

// runCheck runs the production-readiness audit and prints it.
func runCheck(cf checkFlags) int {
	return checkMain(context.Background(), cf, checklist.Options{}, os.Stdout, os.Stderr)
}

// checkMain is runCheck with its outputs and extra audit options (tests
// point the Clari client at a simulator) injected.
func checkMain(ctx context.Context, cf checkFlags, o checklist.Options, stdout, stderr io.Writer) int {
	logger, err := logging.New(stderr, cf.logLevel, "logfmt")
	if err != nil {
		fmt.Fprintf(stderr, "clari_exporter check: %v\n", err)
		return checkExitUsage
	}
	if cf.output != "text" && cf.output != "json" {
		fmt.Fprintf(stderr, "clari_exporter check: --output must be text or json, got %q\n", cf.output)
		return checkExitUsage
	}
	if cf.timeout <= 0 {
		fmt.Fprintf(stderr, "clari_exporter check: --timeout must be > 0, got %s\n", cf.timeout)
		return checkExitUsage
	}
	o.ConfigFile = cf.configFile
	o.EnvConfigs = cf.envConfigs
	o.WebConfigFile = cf.webConfigFile
	o.PrometheusURL = cf.prometheusURL
	o.AlertmanagerURL = cf.alertmanagerURL
	o.Timeout = cf.timeout
	o.Logger = logger

	rep, err := checklist.Run(ctx, o)
	if err != nil {
		var ue *checklist.UsageError
		if errors.As(err, &ue) {
			fmt.Fprintf(stderr, "clari_exporter check: %v\n", err)
			return checkExitUsage
		}
		level.Error(logger).Log("msg", "audit failed", "err", err) //nolint:errcheck
		return checkExitP1
	}
	write := checklist.WriteText
	if cf.output == "json" {
		write = checklist.WriteJSON
	}
	if err := write(stdout, rep); err != nil {
		fmt.Fprintf(stderr, "clari_exporter check: writing the report: %v\n", err)
		return checkExitP1
	}
	return rep.ExitCode
}
