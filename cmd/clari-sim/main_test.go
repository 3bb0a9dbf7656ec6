package main

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-kit/log"

	"github.com/clari-exporter/clari_exporter/clari"
	"github.com/clari-exporter/clari_exporter/clari/clarisim"
	"github.com/clari-exporter/clari_exporter/internal/logging"
)

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoadScenario(t *testing.T) {
	p := writeFile(t, "sc.yml", `
job_envelope: flat
list_envelope: object
create_status: 202
job_duration: 90s
final_status: FAILED
monthly_quota: 50
forecasts:
  net_arr:
    empty_periods: ["2026_Q3"]
    ratio: 1.2
faults:
  - kind: "429"
    endpoint: limits
    count: 2
    retry_after: "5"
`)
	sc, err := loadScenario(p)
	if err != nil {
		t.Fatal(err)
	}
	if sc.JobEnvelope != clarisim.JobFlat || sc.ListEnvelope != clarisim.ListObject || sc.CreateStatus != 202 ||
		sc.JobDuration != 90*time.Second || sc.FinalStatus != clari.StatusFailed || sc.MonthlyQuota != 50 ||
		sc.Forecasts["net_arr"].Ratio != 1.2 || len(sc.Faults) != 1 || sc.Faults[0].RetryAfter != "5" {
		t.Fatalf("decoded %+v", sc)
	}

	for content, want := range map[string]string{
		"job_envelop: flat\n":          "line 1",       // typo → unknown key
		"job_envelope: boxed\n":        "job_envelope", // bad value
		"faults:\n  - kind: explode\n": "faults[0]",    // bad fault
		"final_status: MAYBE\n":        "final_status", // bad status
		"job_duration: soon\n":         "line 1",       // bad duration
	} {
		_, err := loadScenario(writeFile(t, "bad.yml", content))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: error %v, want one mentioning %q", content, err, want)
		}
	}
	if _, err := loadScenario(filepath.Join(t.TempDir(), "missing.yml")); err == nil {
		t.Error("a missing scenario file was accepted")
	}
	if sc, err := loadScenario(writeFile(t, "empty.yml", "")); err != nil || sc.JobEnvelope != "" {
		t.Errorf("empty file: %+v %v", sc, err)
	}
}

func TestFlagsAndKey(t *testing.T) {
	var stderr bytes.Buffer
	if _, err := parseFlags([]string{"--api-key=a", "--api-key-file=/x"}, &stderr); err == nil {
		t.Error("both key flags accepted")
	}
	if _, err := parseFlags([]string{"--fiscal-start-month=13"}, &stderr); err == nil {
		t.Error("month 13 accepted")
	}
	if _, err := parseFlags([]string{"--week-start=someday"}, &stderr); err == nil {
		t.Error("week start someday accepted")
	}
	if code := run([]string{"--no-such-flag"}, &stderr); code != 2 {
		t.Errorf("bad flag: exit %d", code)
	}
	keyFile := writeFile(t, "key", "  s3cret-key\n")
	scFile := writeFile(t, "sc.yml", "job_duration: 5m\nmonthly_quota: 7\n")
	f, err := parseFlags([]string{"--api-key-file=" + keyFile, "--scenario.file=" + scFile, "--monthly-quota=9", "--users=12", "--fiscal-start-month=2", "--week-start=Friday"}, &stderr)
	if err != nil {
		t.Fatal(err)
	}
	if k, err := f.apiKey(); err != nil || k != "s3cret-key" || f.keySource() != "file" {
		t.Fatalf("key %q %v (%s)", k, err, f.keySource())
	}
	sc, err := f.scenario()
	if err != nil {
		t.Fatal(err)
	}
	// The file's job_duration stays (flag not given); the flag's quota wins.
	if sc.JobDuration != 5*time.Minute || sc.MonthlyQuota != 9 {
		t.Fatalf("scenario %+v", sc)
	}
	if f.tenant.Users != 12 || f.tenant.FiscalStartMonth != time.February || !f.tenant.AlignWeeks || f.tenant.WeekStart != time.Friday {
		t.Fatalf("tenant %+v", f.tenant)
	}
	f, _ = parseFlags(nil, &stderr)
	// The default tenant is Clari-like: a February year, weeks from Friday.
	if f.tenant.FiscalStartMonth != time.February || !f.tenant.AlignWeeks || f.tenant.WeekStart != time.Friday {
		t.Fatalf("default tenant %+v", f.tenant)
	}
	if g, err := parseFlags([]string{"--fiscal-start-month=1", "--week-start=quarter"}, &stderr); err != nil || g.tenant.AlignWeeks || g.tenant.FiscalStartMonth != time.January {
		t.Fatalf("a January tenant with quarter weeks: %+v %v", g, err)
	}
	if sc, _ := f.scenario(); sc.JobDuration != 20*time.Second {
		t.Fatalf("default job duration %v", sc.JobDuration)
	}
	if k, _ := f.apiKey(); k != clarisim.DefaultAPIKey {
		t.Fatalf("default key %q", k)
	}
}

func TestServesAPIAndHealth(t *testing.T) {
	var logs bytes.Buffer
	f, err := parseFlags([]string{"--api-key=k-123-secret", "--job-duration=0s", "--users=5", "--log.level=debug"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	logger, _ := logging.New(&logs, f.logLevel, f.logFormat)
	sim, key, err := newSim(f, log.With(logger))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(handler(sim, key))
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/-/healthy")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("health: %d", resp.StatusCode)
	}
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/v4/export/forecast/net_arr", strings.NewReader(`{"exportFormat":"CSV"}`))
	req.Header.Set("apikey", "k-123-secret")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("create: %d", resp.StatusCode)
	}
	id := sim.Jobs()[0].Job.JobID
	req, _ = http.NewRequest(http.MethodGet, srv.URL+"/v4/export/jobs/"+id+"/results", nil)
	req.Header.Set("apikey", "k-123-secret")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.HasPrefix(string(body), strings.Join(clarisim.CSVHeader, ",")) {
		t.Fatalf("results: %d %.100q", resp.StatusCode, body)
	}
	if !strings.Contains(logs.String(), "endpoint=results") {
		t.Errorf("no debug request log: %s", logs.String())
	}
	if strings.Contains(logs.String(), "k-123-secret") {
		t.Error("the API key appears in the logs")
	}
}

// TestDocumentedScenarioLoads keeps the example in docs/simulator.md valid.
func TestDocumentedScenarioLoads(t *testing.T) {
	doc, err := os.ReadFile("../../docs/simulator.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(doc), "```yaml\n")
	block, _, ok2 := strings.Cut(rest, "```")
	if !ok || !ok2 {
		t.Fatal("docs/simulator.md has no yaml block")
	}
	sc, err := loadScenario(writeFile(t, "doc.yml", block))
	if err != nil {
		t.Fatalf("the documented scenario does not load: %v", err)
	}
	if len(sc.Faults) != 9 || sc.Forecasts["net_arr"].Ratio != 1.25 || !sc.Forecasts["net_arr"].Truncation.Cells || sc.FinalStatus != clari.StatusDone {
		t.Fatalf("documented scenario decoded to %+v", sc)
	}
}

func TestAdminRoutes(t *testing.T) {
	f, err := parseFlags([]string{"--api-key=adm-key", "--users=3"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	sim, key, err := newSim(f, log.NewNopLogger())
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(handler(sim, key))
	defer srv.Close()
	call := func(method, path, body, key string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		req.Header.Set("apikey", key)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, _ := call(http.MethodGet, "/-/stats", "", "wrong"); code != 401 {
		t.Fatalf("admin without the key: %d", code)
	}
	if code, body := call(http.MethodPost, "/-/faults", "kind: 5xx\ncount: 2\nstatus: 502\n", "adm-key"); code != 200 || !strings.Contains(body, `"status":502`) {
		t.Fatalf("add fault: %d %s", code, body)
	}
	// The ambiguous creates of issue 19, as an e2e test queues them.
	if code, body := call(http.MethodPost, "/-/faults", "kind: reset\nendpoint: create_export\n", "adm-key"); code != 200 || !strings.Contains(body, `"kind":"reset"`) {
		t.Fatalf("add reset fault: %d %s", code, body)
	}
	if code, body := call(http.MethodPost, "/-/faults", `{"kind":"create_then_hang","delay":"4s"}`, "adm-key"); code != 200 || !strings.Contains(body, `"delay":4000000000`) {
		t.Fatalf("add late-create fault: %d %s", code, body)
	}
	if code, _ := call(http.MethodPost, "/-/faults", "kind: 5xx\ncolour: red\n", "adm-key"); code != 400 {
		t.Fatalf("fault with unknown key: %d", code)
	}
	if code, _ := call(http.MethodGet, "/admin/limits", "", "adm-key"); code != 502 {
		t.Fatalf("fault not applied: %d", code)
	}
	if code, _ := call(http.MethodDelete, "/-/faults", "", "adm-key"); code != 200 {
		t.Fatalf("clear faults: %d", code)
	}
	if code, _ := call(http.MethodGet, "/admin/limits", "", "adm-key"); code != 200 {
		t.Fatalf("after clearing: %d", code)
	}
	if code, body := call(http.MethodPut, "/-/scenario", "job_envelope: flat\nmonthly_quota: 5\n", "adm-key"); code != 200 || sim.Scenario().MonthlyQuota != 5 {
		t.Fatalf("put scenario: %d %s", code, body)
	}
	if code, _ := call(http.MethodPut, "/-/scenario", "job_envelope: boxed\n", "adm-key"); code != 400 || sim.Scenario().JobEnvelope != clarisim.JobFlat {
		t.Fatalf("invalid scenario: %d, envelope now %s", code, sim.Scenario().JobEnvelope)
	}
	code, body := call(http.MethodGet, "/-/stats", "", "adm-key")
	if code != 200 || !strings.Contains(body, `"limits":2`) {
		t.Fatalf("stats: %d %s", code, body)
	}
}
