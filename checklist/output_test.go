package checklist

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/clari-exporter/clari_exporter/clari/clarisim"
	"github.com/clari-exporter/clari_exporter/secret"
)

func TestJSONListsEveryCheck(t *testing.T) {
	s := startSim(t, clarisim.Scenario{})
	rep := audit(t, Options{ConfigFile: writeConfig(t, s.URL)})
	var buf bytes.Buffer
	if err := WriteJSON(&buf, rep); err != nil {
		t.Fatal(err)
	}
	var got struct {
		Checks []struct {
			ID, Section, Title, Priority, Result, Detail string
		} `json:"checks"`
		Summary  Summary `json:"summary"`
		ExitCode *int    `json:"exit_code"`
	}
	if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatalf("JSON output does not parse: %v\n%s", err, buf.String())
	}
	if len(got.Checks) != len(Checks) {
		t.Fatalf("JSON lists %d checks, want %d", len(got.Checks), len(Checks))
	}
	seen := map[string]bool{}
	for i, c := range got.Checks {
		if c.ID != Checks[i].ID || c.Priority != Checks[i].Priority || c.Section != Checks[i].Section {
			t.Errorf("check %d: got %s/%s/%s, want %+v", i, c.ID, c.Priority, c.Section, Checks[i])
		}
		if seen[c.ID] {
			t.Errorf("check %s listed twice", c.ID)
		}
		seen[c.ID] = true
		switch Status(c.Result) {
		case Pass, Warn, Fail, Skip:
		default:
			t.Errorf("check %s: result %q", c.ID, c.Result)
		}
		if c.Detail == "" {
			t.Errorf("check %s: empty detail", c.ID)
		}
	}
	if got.ExitCode == nil || *got.ExitCode != rep.ExitCode {
		t.Errorf("exit_code missing or wrong: %v", got.ExitCode)
	}
	if sum := got.Summary.Pass + got.Summary.Warn + got.Summary.Fail + got.Summary.Skip; sum != len(Checks) {
		t.Errorf("summary counts %d results, want %d", sum, len(Checks))
	}
}

func TestTextGroupsBySection(t *testing.T) {
	s := startSim(t, clarisim.Scenario{})
	rep := audit(t, Options{ConfigFile: writeConfig(t, s.URL, "historical_quarters: 4", "historical_quarters: 1")})
	var buf bytes.Buffer
	if err := WriteText(&buf, rep); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	lines := strings.Split(out, "\n")
	// Every check has exactly one line, under its section's heading.
	section := ""
	n := 0
	for _, l := range lines {
		if !strings.HasPrefix(l, "  [") {
			if l != "" && !strings.HasPrefix(l, "Summary:") && !strings.HasPrefix(l, "Clari production-readiness audit") {
				section = l
			}
			continue
		}
		n++
		for _, d := range Checks {
			if strings.Contains(l, "] "+d.ID+" (") && section != d.Section {
				t.Errorf("%s listed under %q, want %q", d.ID, section, d.Section)
			}
		}
	}
	if n != len(Checks) {
		t.Errorf("%d check lines, want %d:\n%s", n, len(Checks), out)
	}
	if !strings.Contains(out, "  [FAIL] period_coverage (P2): forecast net_arr: current + 1 historical quarters") {
		t.Errorf("no FAIL line in the [FAIL] name: detail form:\n%s", out)
	}
	if !strings.Contains(out, "Summary: ") || !strings.Contains(out, "1 failed") || !strings.Contains(out, "(exit 0)") {
		t.Errorf("summary line wrong:\n%s", out)
	}
}

// TestNoSecretsInOutput: a known token (inline and in other environments'
// files) and a warehouse DSN with its password never appear in either
// format, whether the checks pass or fail.
func TestNoSecretsInOutput(t *testing.T) {
	s := startSim(t, clarisim.Scenario{})
	const dsnPassword = "wh-Pa55word-do-not-print"
	dsn := "postgres://clari:" + dsnPassword + "@" + closedAddr(t) + "/clari?sslmode=disable"
	inline := writeConfig(t, s.URL, "api_key_file: key", "api_key: "+testKey, "metrics:",
		"warehouse:\n  driver: postgres\n  dsn: "+dsn+"\nmetrics:")
	other := writeConfig(t, s.URL, "environment: prod", "environment: staging") // same token
	wrongKey := writeConfig(t, s.URL)
	writeFile(t, filepath.Dir(wrongKey), "key", "sk-wrong-key-must-not-print-0000\n", 0o400)

	for _, o := range []Options{
		{ConfigFile: inline, EnvConfigs: []string{other}},
		{ConfigFile: wrongKey, EnvConfigs: []string{inline}},
	} {
		rep := audit(t, o)
		assertNoSecrets(t, rep, testKey, dsn, dsnPassword, "sk-wrong-key-must-not-print-0000")
	}
}

// TestScrubBackstop: a secret that slips into a detail (a server quoting
// it back) is replaced.
func TestScrubBackstop(t *testing.T) {
	sc := &secret.Scrubber{}
	for _, s := range []string{testKey, "", "ab"} {
		sc.Add(s)
	}
	a := &auditor{secrets: sc}
	rep := &Report{Results: []Result{result(CheckAPITokenValid, Fail, "server said: bad key "+testKey+" (ab)")}}
	a.scrub(rep)
	if d := rep.Results[0].Detail; d != "server said: bad key <secret> (ab)" {
		t.Errorf("got %q", d)
	}
}

// TestChecks: ids are unique, priorities and sections known, and every
// check has a function that answers under its own id.
func TestChecks(t *testing.T) {
	seen := map[string]bool{}
	sections := map[string]bool{}
	for _, s := range Sections {
		sections[s] = true
	}
	for _, d := range Checks {
		if seen[d.ID] {
			t.Errorf("%s defined twice", d.ID)
		}
		seen[d.ID] = true
		if d.Priority != P1 && d.Priority != P2 && d.Priority != P3 {
			t.Errorf("%s: priority %q", d.ID, d.Priority)
		}
		if !sections[d.Section] {
			t.Errorf("%s: section %q not in Sections", d.ID, d.Section)
		}
		if d.Title == "" {
			t.Errorf("%s: no title", d.ID)
		}
		if d.run == nil {
			t.Errorf("%s: no function", d.ID)
		}
	}
	// Every check runs: run them all on a config whose Clari is
	// unreachable and check each answers under its own id.
	rep := audit(t, Options{ConfigFile: writeConfig(t, "http://"+closedAddr(t)+"/v4"), Timeout: 2 * time.Second})
	for i, r := range rep.Results {
		if r.ID != Checks[i].ID || r.Detail == "" {
			t.Errorf("result %d: %+v", i, r)
		}
	}
}
