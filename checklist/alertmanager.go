package checklist

import (
	"context"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/clari-exporter/clari_exporter/alerts"
	"github.com/clari-exporter/clari_exporter/secret"
)

// probeAlert is the alert whose routing is checked: any export failure
// pages (checklist item 20).
const probeAlert = "ClariExportFailed"

type amStatus struct {
	Config struct {
		Original string `json:"original"`
	} `json:"config"`
}

type amConfig struct {
	Route     *amRoute         `yaml:"route"`
	Receivers []map[string]any `yaml:"receivers"`
}

type amRoute struct {
	Receiver string            `yaml:"receiver"`
	Matchers []string          `yaml:"matchers"`
	Match    map[string]string `yaml:"match"`
	MatchRE  map[string]string `yaml:"match_re"`
	Continue bool              `yaml:"continue"`
	Routes   []*amRoute        `yaml:"routes"`
}

// checkAlertmanagerRoute walks Alertmanager's route tree (as loaded, from
// /api/v2/status) with the labels a firing ClariExportFailed carries and
// proves it reaches a receiver with at least one integration. Receiver
// settings (URLs, keys) are never printed: only names and kinds.
func (a *auditor) checkAlertmanagerRoute(ctx context.Context) Result {
	if a.o.AlertmanagerURL == "" {
		return result(CheckAlertmanagerRoute, Skip, "no --alertmanager.url given")
	}
	where := "Alertmanager " + secret.URL(a.o.AlertmanagerURL)
	var st amStatus
	if err := a.getJSON(ctx, a.o.AlertmanagerURL, "/api/v2/status", &st); err != nil {
		return result(CheckAlertmanagerRoute, Fail, where+": "+err.Error())
	}
	var cfg amConfig
	if err := yaml.Unmarshal([]byte(st.Config.Original), &cfg); err != nil || cfg.Route == nil {
		return result(CheckAlertmanagerRoute, Fail, where+": its loaded configuration has no readable route tree")
	}
	labels, err := probeLabels()
	if err != nil {
		return result(CheckAlertmanagerRoute, Fail, err.Error())
	}
	matched, err := routeAlert(cfg.Route, cfg.Route.Receiver, labels, "route")
	if err != nil {
		return result(CheckAlertmanagerRoute, Fail, where+": "+err.Error())
	}
	integrations := receiverIntegrations(cfg.Receivers)
	alert := fmt.Sprintf("{alertname=%q, severity=%q}", labels["alertname"], labels["severity"])
	var good, empty []string
	for _, m := range matched {
		kinds := integrations[m.receiver]
		if len(kinds) > 0 {
			good = append(good, fmt.Sprintf("receiver %s (%s) via %s", m.receiver, strings.Join(kinds, ", "), m.path))
		} else {
			empty = append(empty, fmt.Sprintf("receiver %s via %s", m.receiver, m.path))
		}
	}
	if len(good) == 0 {
		return result(CheckAlertmanagerRoute, Fail, fmt.Sprintf("%s routes %s only to %s, which has no integration: a critical Clari alert would notify nobody", where, alert, strings.Join(empty, ", ")))
	}
	return result(CheckAlertmanagerRoute, Pass, fmt.Sprintf("%s routes %s to %s", where, alert, strings.Join(good, "; ")))
}

// probeLabels are the labels of a firing ClariExportFailed: its rule's
// labels from the embedded rule file plus typical target and series labels.
func probeLabels() (map[string]string, error) {
	rf, err := alerts.Load()
	if err != nil {
		return nil, fmt.Errorf("the embedded rule file does not parse: %v", err)
	}
	labels := map[string]string{
		"job": "clari_exporter", "instance": "clari-exporter:9852",
		"forecast": "net_arr", "period": "2026_Q4", "reason": "failed",
	}
	found := false
	for _, r := range rf.AlertingRules() {
		if r.Alert == probeAlert {
			for k, v := range r.Labels {
				labels[k] = v
			}
			found = true
			break
		}
	}
	if !found {
		return nil, fmt.Errorf("the embedded rule file has no %s alert", probeAlert)
	}
	labels["alertname"] = probeAlert
	return labels, nil
}

type routeMatch struct {
	receiver string
	path     string // the matchers of the routes taken, for the detail line
}

// routeAlert mirrors Alertmanager's routing: the first matching child
// wins unless it has continue: true; a node no child matches takes the
// alert itself; a route without a receiver inherits its parent's.
// TestRouteAlertAgreesWithAmtool holds it to `amtool config routes test`.
func routeAlert(r *amRoute, receiver string, labels map[string]string, path string) ([]routeMatch, error) {
	if r.Receiver != "" {
		receiver = r.Receiver
	}
	var out []routeMatch
	for _, c := range r.Routes {
		ok, desc, err := c.matches(labels)
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		sub, err := routeAlert(c, receiver, labels, path+" → "+desc)
		if err != nil {
			return nil, err
		}
		out = append(out, sub...)
		if !c.Continue {
			break
		}
	}
	if len(out) == 0 {
		out = []routeMatch{{receiver: receiver, path: path}}
	}
	return out, nil
}

type matcher struct {
	name, op, value string
}

var matcherRE = regexp.MustCompile(`^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*(.*?)\s*$`)

func (r *amRoute) matches(labels map[string]string) (bool, string, error) {
	var ms []matcher
	for _, s := range r.Matchers {
		parsed, err := parseMatchers(s)
		if err != nil {
			return false, "", err
		}
		ms = append(ms, parsed...)
	}
	for k, v := range r.Match {
		ms = append(ms, matcher{k, "=", v})
	}
	for k, v := range r.MatchRE {
		ms = append(ms, matcher{k, "=~", v})
	}
	descs := make([]string, len(ms))
	for i, m := range ms {
		descs[i] = fmt.Sprintf("%s%s%q", m.name, m.op, m.value)
		ok, err := m.matches(labels[m.name])
		if err != nil {
			return false, "", err
		}
		if !ok {
			return false, "", nil
		}
	}
	sort.Strings(descs)
	if len(descs) == 0 {
		return true, "{}", nil
	}
	return true, "{" + strings.Join(descs, ", ") + "}", nil
}

func (m matcher) matches(v string) (bool, error) {
	switch m.op {
	case "=":
		return v == m.value, nil
	case "!=":
		return v != m.value, nil
	}
	re, err := regexp.Compile("^(?:" + m.value + ")$")
	if err != nil {
		return false, fmt.Errorf("route matcher %s%s%q: %v", m.name, m.op, m.value, err)
	}
	return re.MatchString(v) == (m.op == "=~"), nil
}

// parseMatchers parses one entry of a route's matchers list: one or more
// comma-separated matchers, optionally in braces, values quoted or bare.
func parseMatchers(s string) ([]matcher, error) {
	s = strings.TrimSpace(s)
	s = strings.TrimSuffix(strings.TrimPrefix(s, "{"), "}")
	var parts []string
	var cur strings.Builder
	inQuote, escaped := false, false
	for _, r := range s {
		switch {
		case escaped:
			escaped = false
		case r == '\\' && inQuote:
			escaped = true
		case r == '"':
			inQuote = !inQuote
		case r == ',' && !inQuote:
			parts = append(parts, cur.String())
			cur.Reset()
			continue
		}
		cur.WriteRune(r)
	}
	parts = append(parts, cur.String())
	var out []matcher
	for _, p := range parts {
		if strings.TrimSpace(p) == "" {
			continue
		}
		m := matcherRE.FindStringSubmatch(p)
		if m == nil {
			return nil, fmt.Errorf("cannot parse route matcher %q", p)
		}
		v := m[3]
		if strings.HasPrefix(v, `"`) {
			uq, err := strconv.Unquote(v)
			if err != nil {
				return nil, fmt.Errorf("cannot parse route matcher %q: %v", p, err)
			}
			v = uq
		}
		out = append(out, matcher{m[1], m[2], v})
	}
	return out, nil
}

// receiverIntegrations maps each receiver name to the kinds of its
// integrations ("webhook", "pagerduty", ...), never their settings.
func receiverIntegrations(receivers []map[string]any) map[string][]string {
	out := map[string][]string{}
	for _, r := range receivers {
		name, _ := r["name"].(string)
		var kinds []string
		for k, v := range r {
			if !strings.HasSuffix(k, "_configs") {
				continue
			}
			if list, ok := v.([]any); ok && len(list) > 0 {
				kinds = append(kinds, strings.TrimSuffix(k, "_configs"))
			}
		}
		sort.Strings(kinds)
		out[name] = kinds
	}
	return out
}
