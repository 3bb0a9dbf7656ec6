package checklist

import (
	"testing"

	"gopkg.in/yaml.v3"
)

func TestRouteAlert(t *testing.T) {
	labels := map[string]string{"alertname": "ClariExportFailed", "severity": "critical", "job": "clari_exporter"}
	cases := []struct {
		name, yaml string
		want       []string
	}{
		{"root only", "receiver: a", []string{"a"}},
		{"first match wins", `
receiver: a
routes:
  - receiver: b
    matchers: ['severity="critical"']
  - receiver: c
    matchers: ['job=~"clari.*"']`, []string{"b"}},
		{"continue", `
receiver: a
routes:
  - receiver: b
    matchers: ['severity="critical"']
    continue: true
  - receiver: c
    match_re: {job: 'clari.*'}`, []string{"b", "c"}},
		{"no child matches", `
receiver: a
routes:
  - receiver: b
    match: {severity: warning}`, []string{"a"}},
		{"inherits the receiver", `
receiver: a
routes:
  - matchers: ['{alertname=~"Clari.+", severity!="info"}']
    routes:
      - receiver: d
        matchers: [team=billing]`, []string{"a"}},
		{"regex anchored", `
receiver: a
routes:
  - receiver: b
    matchers: ['job=~"clari"']`, []string{"a"}},
		{"negative regex", `
receiver: a
routes:
  - receiver: b
    matchers: ['alertname!~"ClariWatchdog|Other"']`, []string{"b"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var r amRoute
			if err := yaml.Unmarshal([]byte(c.yaml), &r); err != nil {
				t.Fatal(err)
			}
			got, err := routeAlert(&r, r.Receiver, labels, "route")
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, m := range got {
				names = append(names, m.receiver)
			}
			if len(names) != len(c.want) {
				t.Fatalf("got %v, want %v", names, c.want)
			}
			for i := range names {
				if names[i] != c.want[i] {
					t.Fatalf("got %v, want %v", names, c.want)
				}
			}
		})
	}
}

func TestParseMatchersErrors(t *testing.T) {
	for _, bad := range []string{`severity`, `sev="unterminated`, `1abc="x"`} {
		if _, err := parseMatchers(bad); err == nil {
			t.Errorf("parseMatchers(%q): no error", bad)
		}
	}
	ms, err := parseMatchers(`{a="x,y", b=~"z.*"}`)
	if err != nil || len(ms) != 2 || ms[0].value != "x,y" || ms[1].op != "=~" {
		t.Errorf("got %+v, %v", ms, err)
	}
}

func TestReceiverIntegrations(t *testing.T) {
	var cfg amConfig
	if err := yaml.Unmarshal([]byte(`
receivers:
  - name: pager
    pagerduty_configs: [{routing_key: secret-key}]
    webhook_configs: [{url: 'http://x'}]
  - name: blackhole
  - name: emptylist
    email_configs: []
`), &cfg); err != nil {
		t.Fatal(err)
	}
	got := receiverIntegrations(cfg.Receivers)
	if len(got["pager"]) != 2 || got["pager"][0] != "pagerduty" || len(got["blackhole"]) != 0 || len(got["emptylist"]) != 0 {
		t.Errorf("got %v", got)
	}
}
