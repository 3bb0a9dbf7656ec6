package checklist

import (
	"fmt"
	"os"
	"strings"

	"github.com/prometheus/exporter-toolkit/web"
	"gopkg.in/yaml.v3"

	"github.com/clari-exporter/clari_exporter/config"
)

// webConfig is the part of exporter-toolkit's web config the audit reads.
type webConfig struct {
	TLS *struct {
		CertFile string `yaml:"cert_file"`
		Cert     string `yaml:"cert"`
	} `yaml:"tls_server_config"`
	Users map[string]any `yaml:"basic_auth_users"`
}

// checkMetricsProtected: /metrics carries revenue numbers when
// metrics.expose_forecast_values is on; then the --web.config.file the
// exporter serves with must set TLS or basic auth.
func checkMetricsProtected(cfg *config.Config, webConfigFile string) Result {
	if !cfg.Metrics.ExposeForecastValues {
		return result(CheckMetricsProtected, Pass, "metrics.expose_forecast_values is off: /metrics carries no revenue data")
	}
	if webConfigFile == "" {
		return result(CheckMetricsProtected, Fail, "metrics.expose_forecast_values is on but no --web.config.file is given: /metrics would serve revenue data without TLS or basic auth")
	}
	if err := web.Validate(webConfigFile); err != nil {
		return result(CheckMetricsProtected, Fail, fmt.Sprintf("web config %s is invalid: %v", webConfigFile, err))
	}
	data, err := os.ReadFile(webConfigFile)
	if err != nil {
		return result(CheckMetricsProtected, Fail, fmt.Sprintf("web config %s: %v", webConfigFile, err))
	}
	var wc webConfig
	if err := yaml.Unmarshal(data, &wc); err != nil {
		return result(CheckMetricsProtected, Fail, fmt.Sprintf("web config %s: %v", webConfigFile, err))
	}
	var on []string
	if wc.TLS != nil && (wc.TLS.CertFile != "" || wc.TLS.Cert != "") {
		what := "TLS"
		if wc.TLS.CertFile != "" {
			what += " (cert " + wc.TLS.CertFile + ")"
		}
		on = append(on, what)
	}
	if len(wc.Users) > 0 {
		on = append(on, fmt.Sprintf("basic auth (%d user(s))", len(wc.Users)))
	}
	if len(on) == 0 {
		return result(CheckMetricsProtected, Fail, fmt.Sprintf("web config %s sets neither tls_server_config nor basic_auth_users while metrics.expose_forecast_values is on", webConfigFile))
	}
	return result(CheckMetricsProtected, Pass, fmt.Sprintf("web config %s: %s", webConfigFile, strings.Join(on, " and ")))
}
