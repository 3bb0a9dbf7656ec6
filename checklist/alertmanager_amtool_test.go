package checklist

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/clari-exporter/clari_exporter/internal/testtier"
)

// amtoolTree is a route tree with every construct routeAlert reads: the
// three ways to write matchers (matchers, match, match_re), bare and quoted
// values, several matchers in one braced entry, negations, anchored
// regexes, continue, nested routes and a route without a receiver.
const amtoolTree = `
route:
  receiver: default
  routes:
    - receiver: watchdog
      matchers: ['alertname="ClariWatchdog"']
    - receiver: pager
      matchers: ['severity=~"critical|page"', 'team!="sales"']
      continue: true
      routes:
        - receiver: pager-eu
          match: {region: eu}
    - receiver: sales
      match_re: {team: 'sal.*'}
    - receiver: forecasts
      matchers: ['{forecast="net_arr", period!~"2025_.*"}']
      routes:
        - matchers: [reason=empty]
          continue: true
        - receiver: leaf
          matchers: ['reason=~"emp"']
        - receiver: prefix
          matchers: ['reason=~"emp.*"']
`

// TestRouteAlertAgreesWithAmtool: the audit's route walk (routeAlert)
// reaches the same receivers, in the same order, as Alertmanager's own
// `amtool config routes test`, for a tree with every construct it reads
// and for the shipped deploy/alertmanager.yml with every label set below.
func TestRouteAlertAgreesWithAmtool(t *testing.T) {
	amtool := testtier.Tool(t, "amtool", "prometheus-alertmanager")
	dir := t.TempDir()
	tree := filepath.Join(dir, "tree.yml")
	if err := os.WriteFile(tree, []byte(amtoolTree+receiversOf(t, amtoolTree)), 0o600); err != nil {
		t.Fatal(err)
	}
	shipped, err := filepath.Abs(filepath.Join("..", "deploy", "alertmanager.yml"))
	if err != nil {
		t.Fatal(err)
	}

	// Every combination is 1152 amtool runs; every 11th still reaches each
	// receiver of the tree (checked below) in 105. The shipped file reads
	// only alertname and severity: all of their combinations.
	sets := combinations([][]string{
		{"alertname=ClariWatchdog", "alertname=ClariExportFailed"},
		{"", "severity=critical", "severity=page", "severity=warning"},
		{"", "team=sales", "team=salsa", "team=ops"},
		{"", "region=eu"},
		{"", "forecast=net_arr"},
		{"", "period=2025_Q1", "period=2026_Q1"},
		{"", "reason=empty", "reason=emp"},
	})
	var sample [][]string
	for i := 0; i < len(sets); i += 11 {
		sample = append(sample, sets[i])
	}
	cases := map[string][][]string{
		tree: sample,
		shipped: combinations([][]string{
			{"alertname=ClariWatchdog", "alertname=ClariExportFailed"},
			{"", "severity=critical", "severity=page", "severity=warning"},
		}),
	}
	reached := map[string]bool{}
	for _, file := range []string{tree, shipped} {
		sample := cases[file]
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		var cfg amConfig
		if err := yaml.Unmarshal(data, &cfg); err != nil || cfg.Route == nil {
			t.Fatalf("%s: no route tree (%v)", file, err)
		}
		for _, labels := range sample {
			args := append([]string{"config", "routes", "test", "--config.file=" + file}, labels...)
			out, err := exec.Command(amtool, args...).Output()
			if err != nil {
				t.Fatalf("amtool %s: %v", strings.Join(args, " "), err)
			}
			want := strings.TrimSpace(string(out))
			m := map[string]string{}
			for _, l := range labels {
				k, v, _ := strings.Cut(l, "=")
				m[k] = v
			}
			matched, err := routeAlert(cfg.Route, cfg.Route.Receiver, m, "route")
			if err != nil {
				t.Fatalf("%s %v: %v", filepath.Base(file), labels, err)
			}
			var got []string
			for _, r := range matched {
				got = append(got, r.receiver)
				reached[r.receiver] = true
			}
			if strings.Join(got, ",") != want {
				t.Errorf("%s %v: routeAlert reaches %v, amtool %q", filepath.Base(file), labels, got, want)
			}
		}
	}
	// The sample exercises the whole tree, so agreement means something.
	for _, r := range []string{"default", "watchdog", "pager", "pager-eu", "sales", "forecasts", "leaf", "prefix"} {
		if !reached[r] {
			t.Errorf("no sampled label set reaches receiver %s: the comparison misses part of the tree", r)
		}
	}
}

// combinations lists every label set taking one entry of each row (""
// leaves the label out).
func combinations(rows [][]string) [][]string {
	out := [][]string{nil}
	for _, row := range rows {
		var next [][]string
		for _, prefix := range out {
			for _, v := range row {
				set := slices.Clone(prefix)
				if v != "" {
					set = append(set, v)
				}
				next = append(next, set)
			}
		}
		out = next
	}
	return out
}

var receiverName = regexp.MustCompile(`receiver: ([a-z-]+)`)

// receiversOf declares every receiver tree names, for amtool to load it.
func receiversOf(t *testing.T, tree string) string {
	t.Helper()
	seen := map[string]bool{}
	for _, m := range receiverName.FindAllStringSubmatch(tree, -1) {
		seen[m[1]] = true
	}
	names := make([]string, 0, len(seen))
	for n := range seen {
		names = append(names, n)
	}
	sort.Strings(names)
	var b strings.Builder
	b.WriteString("receivers:\n")
	for _, n := range names {
		fmt.Fprintf(&b, "  - name: %s\n", n)
	}
	return b.String()
}
