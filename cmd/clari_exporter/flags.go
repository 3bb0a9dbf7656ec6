package main

import (
	"time"

	"github.com/alecthomas/kingpin/v2"
	"github.com/prometheus/exporter-toolkit/web"
)

// serveFlags are the flags of the default (serve) command.
type serveFlags struct {
	configFile  string
	configCheck bool
	storagePath string
	logLevel    string
	logFormat   string
	metricsPath string
	demo        bool
	web         *web.FlagConfig
	// demoPace is the pace of --demo; nil for defaultDemoTiming. No flag
	// sets it: tests run the demo's script faster.
	demoPace *demoTiming
}

func (f *serveFlags) register(cmd *kingpin.CmdClause) {
	cmd.Flag("config.file", "Path to the clari_exporter configuration file.").
		Default("clari.yml").StringVar(&f.configFile)
	cmd.Flag("config.check", "Validate the configuration file, print the result and exit (0 valid, 1 invalid).").
		BoolVar(&f.configCheck)
	cmd.Flag("storage.path", "SQLite state file; overrides storage.path of the config file.").
		StringVar(&f.storagePath)
	cmd.Flag("log.level", "Only log messages with the given severity or above. One of: [debug, info, warn, error]").
		Default("info").EnumVar(&f.logLevel, "debug", "info", "warn", "error")
	cmd.Flag("log.format", "Output format of log messages. One of: [logfmt, json]").
		Default("logfmt").EnumVar(&f.logFormat, "logfmt", "json")
	cmd.Flag("web.telemetry-path", "Path under which to expose metrics.").
		Default("/metrics").StringVar(&f.metricsPath)
	cmd.Flag("demo", "Run against the built-in Clari simulator with a demo tenant, embedded SQLite in a temporary directory and a fast schedule. Needs no credentials.").
		BoolVar(&f.demo)
}

// checkFlags are the flags of `clari_exporter check`.
type checkFlags struct {
	configFile      string
	envConfigs      []string
	prometheusURL   string
	alertmanagerURL string
	output          string
	timeout         time.Duration
	logLevel        string
	webConfigFile   string
}

func (f *checkFlags) register(cmd *kingpin.CmdClause) {
	cmd.Flag("config.file", "Path to the clari_exporter configuration file to audit.").
		Default("clari.yml").StringVar(&f.configFile)
	cmd.Flag("env-config", "Configuration file of another environment (dev, staging, prod); repeat. Used to prove each environment has its own token.").
		StringsVar(&f.envConfigs)
	cmd.Flag("prometheus.url", "Prometheus to check for the shipped alert rules and a target scraping the exporter.").
		StringVar(&f.prometheusURL)
	cmd.Flag("alertmanager.url", "Alertmanager to check that a critical alert routes to a receiver.").
		StringVar(&f.alertmanagerURL)
	cmd.Flag("output", "Output format. One of: [text, json]").
		Default("text").EnumVar(&f.output, "text", "json")
	cmd.Flag("timeout", "Overall deadline of the audit.").
		Default("30s").DurationVar(&f.timeout)
	cmd.Flag("log.level", "Log level for the audit's own diagnostics. One of: [debug, info, warn, error]").
		Default("warn").EnumVar(&f.logLevel, "debug", "info", "warn", "error")
	cmd.Flag("web.config.file", "The exporter-toolkit web config the exporter serves /metrics with (TLS, basic auth); audited when forecast values are exposed.").
		StringVar(&f.webConfigFile)
}
