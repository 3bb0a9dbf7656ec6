package checklist

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/clari-exporter/clari_exporter/alerts"
	"github.com/clari-exporter/clari_exporter/secret"
)

// exporterJob is the job-name convention the shipped ClariExporterDown
// alert relies on (up{job=~"clari.*"}).
var exporterJob = regexp.MustCompile(`^clari.*$`)

// maxAPIBody bounds what the audit reads from Prometheus/Alertmanager.
const maxAPIBody = 32 << 20

// getJSON GETs base+path and decodes the JSON body into v. Errors never
// carry the URL's password (net/http redacts it; secret.URL for ours).
func (a *auditor) getJSON(ctx context.Context, base, path string, v any) error {
	u := strings.TrimSuffix(base, "/") + path
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return fmt.Errorf("bad URL %s: %v", secret.URL(base), errors.Unwrap(err))
	}
	resp, err := a.o.HTTPClient.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("GET %s: no answer before the audit's deadline (--timeout)", secret.URL(u))
		}
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxAPIBody))
	if err != nil {
		return fmt.Errorf("GET %s: reading the answer: %v", secret.URL(u), err)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: HTTP %d", secret.URL(u), resp.StatusCode)
	}
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("GET %s: not the expected JSON: %v", secret.URL(u), err)
	}
	return nil
}

type promRules struct {
	Data struct {
		Groups []struct {
			Name  string `json:"name"`
			Rules []struct {
				Name      string `json:"name"`
				Type      string `json:"type"`
				Health    string `json:"health"`
				LastError string `json:"lastError"`
			} `json:"rules"`
		} `json:"groups"`
	} `json:"data"`
}

// checkPrometheusRules: every alert of the shipped rule file (embedded in
// the binary, so the audit works anywhere) is loaded and healthy.
func (a *auditor) checkPrometheusRules(ctx context.Context) Result {
	if a.o.PrometheusURL == "" {
		return result(CheckPrometheusRules, Skip, "no --prometheus.url given")
	}
	rf, err := alerts.Load()
	if err != nil {
		return result(CheckPrometheusRules, Fail, "the embedded rule file does not parse: "+err.Error())
	}
	want := map[string]bool{}
	for _, r := range rf.AlertingRules() {
		want[r.Alert] = true
	}
	var pr promRules
	if err := a.getJSON(ctx, a.o.PrometheusURL, "/api/v1/rules?type=alert", &pr); err != nil {
		return result(CheckPrometheusRules, Fail, "Prometheus "+secret.URL(a.o.PrometheusURL)+": "+err.Error())
	}
	loaded := map[string]bool{}
	var broken []string
	for _, g := range pr.Data.Groups {
		for _, r := range g.Rules {
			if r.Type != "" && r.Type != "alerting" {
				continue
			}
			if !want[r.Name] {
				continue
			}
			loaded[r.Name] = true
			if r.Health == "err" {
				broken = append(broken, fmt.Sprintf("%s (%s)", r.Name, r.LastError))
			}
		}
	}
	var missing []string
	for n := range want {
		if !loaded[n] {
			missing = append(missing, n)
		}
	}
	sort.Strings(missing)
	sort.Strings(broken)
	where := "Prometheus " + secret.URL(a.o.PrometheusURL)
	switch {
	case len(missing) > 0:
		return result(CheckPrometheusRules, Fail, fmt.Sprintf("%s lacks %d of the %d shipped alert rules: %s (load alerts/clari.rules.yml via rule_files)", where, len(missing), len(want), strings.Join(missing, ", ")))
	case len(broken) > 0:
		return result(CheckPrometheusRules, Fail, fmt.Sprintf("%s: shipped alert rules failing to evaluate: %s", where, strings.Join(broken, "; ")))
	}
	return result(CheckPrometheusRules, Pass, fmt.Sprintf("%s has all %d shipped alert rules loaded and healthy", where, len(want)))
}

type promTargets struct {
	Data struct {
		ActiveTargets []struct {
			Labels     map[string]string `json:"labels"`
			ScrapeURL  string            `json:"scrapeUrl"`
			Health     string            `json:"health"`
			LastError  string            `json:"lastError"`
			LastScrape time.Time         `json:"lastScrape"`
		} `json:"activeTargets"`
	} `json:"data"`
}

// checkPrometheusTarget: Prometheus scrapes the exporter under a job
// named clari* (what ClariExporterDown watches) and the last scrape worked.
func (a *auditor) checkPrometheusTarget(ctx context.Context) Result {
	if a.o.PrometheusURL == "" {
		return result(CheckPrometheusTarget, Skip, "no --prometheus.url given")
	}
	var pt promTargets
	if err := a.getJSON(ctx, a.o.PrometheusURL, "/api/v1/targets?state=active", &pt); err != nil {
		return result(CheckPrometheusTarget, Fail, "Prometheus "+secret.URL(a.o.PrometheusURL)+": "+err.Error())
	}
	var up, down []string
	for _, t := range pt.Data.ActiveTargets {
		job := t.Labels["job"]
		if !exporterJob.MatchString(job) {
			continue
		}
		desc := fmt.Sprintf("job %s target %s", job, secret.URL(t.ScrapeURL))
		switch t.Health {
		case "up":
			ago := ""
			if !t.LastScrape.IsZero() {
				ago = fmt.Sprintf(", last scrape %s ago", time.Since(t.LastScrape).Round(time.Second)) // Prometheus's clock, not the audit's
			}
			up = append(up, desc+" up"+ago)
		case "down":
			down = append(down, fmt.Sprintf("%s down (%s)", desc, t.LastError))
		default:
			down = append(down, desc+" not scraped yet")
		}
	}
	where := "Prometheus " + secret.URL(a.o.PrometheusURL)
	switch {
	case len(up) == 0 && len(down) == 0:
		return result(CheckPrometheusTarget, Fail, where+" has no active target of a job matching clari.* (ClariExporterDown watches that job name); add a scrape config for the exporter")
	case len(down) > 0:
		return result(CheckPrometheusTarget, Fail, fmt.Sprintf("%s: %s", where, strings.Join(append(down, up...), "; ")))
	}
	return result(CheckPrometheusTarget, Pass, fmt.Sprintf("%s: %s", where, strings.Join(up, "; ")))
}
