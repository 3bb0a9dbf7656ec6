package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/prometheus/exporter-toolkit/web"

	"github.com/clari-exporter/clari_exporter/clari/clarisim"
	"github.com/clari-exporter/clari_exporter/config"
	"github.com/clari-exporter/clari_exporter/internal/logging"
	"github.com/clari-exporter/clari_exporter/internal/testlog"
)

const testKey = "app-test-key"

// testConfig writes a config for baseURL with the given probe interval and
// returns its path.
func testConfig(t testing.TB, dir, baseURL, probeInterval, extra string) string {
	t.Helper()
	key := filepath.Join(dir, "clari.key")
	if err := os.WriteFile(key, []byte(testKey), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := fmt.Sprintf(`
clari:
  base_url: %s
  api_key_file: %s
  probe_interval: %s
  request_timeout: 2s
forecasts:
  - id: net_arr
    types_to_export: [forecast, quota]
    historical_quarters: 0
schedule:
  enabled: false
storage:
  path: %s
%s`, baseURL, key, probeInterval, filepath.Join(dir, "state.db"), extra)
	path := filepath.Join(dir, "clari.yml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func freeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func webFlags(addr string) *web.FlagConfig {
	addrs := []string{addr}
	systemd := false
	webCfg := ""
	return &web.FlagConfig{WebListenAddresses: &addrs, WebSystemdSocket: &systemd, WebConfigFile: &webCfg}
}

func simServer(t *testing.T) *httptest.Server {
	t.Helper()
	sim := clarisim.New(clarisim.Options{APIKey: testKey, Seed: 1, Tenant: clarisim.TenantSpec{Users: 2, Fields: 1}})
	srv := httptest.NewServer(sim)
	t.Cleanup(func() { srv.Close(); sim.Close() })
	return srv
}

// scrapeHandler parses h's /metrics.
func scrapeHandler(t *testing.T, h http.Handler) map[string]*dto.MetricFamily {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	parser := expfmt.NewTextParser(model.UTF8Validation)
	mfs, err := parser.TextToMetricFamilies(rec.Body)
	if err != nil {
		t.Fatalf("parsing /metrics: %v", err)
	}
	return mfs
}

// metric scrapes h and returns the value of an unlabelled metric.
func metric(t *testing.T, h http.Handler, name string) (float64, bool) {
	t.Helper()
	mf, ok := scrapeHandler(t, h)[name]
	if !ok || len(mf.Metric) == 0 {
		return 0, false
	}
	m := mf.Metric[0]
	if m.Gauge != nil {
		return m.Gauge.GetValue(), true
	}
	return m.Counter.GetValue(), true
}

// TestReloadTableMatchesComponents: docs/configuration.md's reload table
// says, per setting, what each component declares (Component.Reloads).
func TestReloadTableMatchesComponents(t *testing.T) {
	dir := t.TempDir()
	a, err := New(Options{ConfigFile: testConfig(t, dir, "http://127.0.0.1:1/v4", "1h", "")})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	declared := map[string]map[string][]string{} // setting → mode → components
	for _, c := range a.Components() {
		r := c.Reloads()
		for mode, settings := range map[string][]string{"live": r.Live, "restart": r.Restart} {
			for _, s := range settings {
				if declared[s] == nil {
					declared[s] = map[string][]string{}
				}
				declared[s][mode] = append(declared[s][mode], c.Name())
			}
		}
	}
	want := map[string]string{}
	for s, modes := range declared {
		if len(modes) != 1 {
			t.Errorf("%s is declared both live and restart: %v", s, modes)
		}
		for mode, names := range modes {
			sort.Strings(names)
			want[s] = mode + " | " + strings.Join(names, ", ")
		}
	}

	doc, err := os.ReadFile("../../docs/configuration.md")
	if err != nil {
		t.Fatal(err)
	}
	section := string(doc)
	section = section[strings.Index(section, "### Reloading"):]
	section = section[:strings.Index(section, "\n### ")]
	got := map[string]string{}
	for _, line := range strings.Split(section, "\n") {
		cells := strings.Split(strings.Trim(line, "| "), " | ")
		if len(cells) != 3 || !strings.HasPrefix(cells[0], "`") {
			continue
		}
		names, _, _ := strings.Cut(cells[2], " (") // a note after the names
		got[strings.Trim(cells[0], "`")] = cells[1] + " | " + names
	}
	for s, w := range want {
		if got[s] != w {
			t.Errorf("docs/configuration.md reload table: %s is %q, components declare %q", s, got[s], w)
		}
	}
	for s := range got {
		if _, ok := want[s]; !ok {
			t.Errorf("docs/configuration.md reload table lists %s, which no component declares", s)
		}
	}
	// Every top-level section is covered, by itself or by its keys.
	for _, section := range []string{"clari", "fiscal_calendar", "forecasts", "schedule", "swing", "storage", "metrics", "warehouse"} {
		covered := false
		for s := range want {
			covered = covered || s == section || strings.HasPrefix(s, section+".")
		}
		if !covered {
			t.Errorf("no component declares how a reload applies %s", section)
		}
	}
}

// rejecting is a component that refuses configs with a forecast named
// "rejected", the way a component refuses a config it cannot apply.
type rejecting struct{ applied *[]string }

func (rejecting) Name() string     { return "rejecting" }
func (rejecting) Reloads() Reloads { return Reloads{} }
func (r rejecting) ApplyConfig(c *config.Config) error {
	if slices.ContainsFunc(c.Forecasts, func(f config.Forecast) bool { return f.ID == "rejected" }) {
		return errors.New("forecast rejected is not allowed here")
	}
	*r.applied = append(*r.applied, c.Forecasts[0].ID)
	return nil
}

// TestRejectedReloadKeepsEveryComponentOnTheOldConfig: a reload one
// component rejects leaves all of them (and the config in force) on the
// running config, and clari_exporter_config_last_reload_successful drops
// to 0.
func TestRejectedReloadKeepsEveryComponentOnTheOldConfig(t *testing.T) {
	dir := t.TempDir()
	path := testConfig(t, dir, "http://127.0.0.1:1/v4", "1h", "metrics:\n  expose_forecast_values: true\n")
	var applied []string
	a, err := New(Options{ConfigFile: path, Components: []Component{rejecting{&applied}}})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	old := a.Config()
	if v, _ := metric(t, a.Handler(), "clari_exporter_config_last_reload_successful"); v != 1 {
		t.Fatalf("reload metric %v at start, want 1", v)
	}

	// Changes for the health monitor, the collector, the client and the
	// runner, plus what the last component rejects.
	cfg := testConfig(t, dir, "http://127.0.0.1:2/v4", "5s", "metrics:\n  expose_forecast_values: false\n")
	b, _ := os.ReadFile(cfg)
	bad := strings.Replace(string(b), "forecasts:\n", "forecasts:\n  - id: rejected\n    historical_quarters: 0\n", 1)
	if err := os.WriteFile(path, []byte(bad), 0o600); err != nil {
		t.Fatal(err)
	}
	err = a.Reload()
	if err == nil || !strings.Contains(err.Error(), "rejecting") {
		t.Fatalf("Reload = %v, want the rejecting component's error", err)
	}
	if a.Config() != old {
		t.Error("the config in force changed after a rejected reload")
	}
	if got := a.health.Interval(); got != time.Hour {
		t.Errorf("health interval %v after a rejected reload, want the old 1h", got)
	}
	if !a.metrics.Export.ExposeForecastValues() {
		t.Error("collector: expose_forecast_values changed by a rejected reload")
	}
	if c := a.client.cfg.Load(); c.Clari.BaseURL != old.Clari.BaseURL {
		t.Errorf("client built for %s after a rejected reload, want %s", c.Clari.BaseURL, old.Clari.BaseURL)
	}
	if v, _ := metric(t, a.Handler(), "clari_exporter_config_last_reload_successful"); v != 0 {
		t.Errorf("reload metric %v after a rejected reload, want 0", v)
	}

	// The same file without the rejected forecast applies everywhere.
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := a.Reload(); err != nil {
		t.Fatal(err)
	}
	if a.health.Interval() != 5*time.Second || a.metrics.Export.ExposeForecastValues() || a.Config() == old {
		t.Errorf("accepted reload not applied: interval %v, expose %v", a.health.Interval(), a.metrics.Export.ExposeForecastValues())
	}
	if v, _ := metric(t, a.Handler(), "clari_exporter_config_last_reload_successful"); v != 1 {
		t.Errorf("reload metric %v after a good reload, want 1", v)
	}
}

// run starts a in the background until the test ends.
func run(t testing.TB, a *App) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run = %v", err)
			}
		case <-time.After(15 * time.Second):
			t.Error("Run did not return within 15 s of cancellation")
		}
	})
}

// TestReloadChangesProbeIntervalLive: with probe_interval 1h only the first
// probe runs; after a reload to 100ms the probe timestamps keep moving.
func TestReloadChangesProbeIntervalLive(t *testing.T) {
	srv := simServer(t)
	dir := t.TempDir()
	path := testConfig(t, dir, srv.URL, "1h", "")
	a, err := New(Options{ConfigFile: path, Web: webFlags(freeAddr(t))})
	if err != nil {
		t.Fatal(err)
	}
	run(t, a)
	stamps := func(d time.Duration) map[float64]bool {
		seen := map[float64]bool{}
		for end := time.Now().Add(d); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
			if v, ok := metric(t, a.Handler(), "clari_exporter_probe_last_timestamp_seconds"); ok {
				seen[v] = true
			}
		}
		return seen
	}
	if n := len(stamps(time.Second)); n != 1 {
		t.Fatalf("%d probe timestamps in 1 s with probe_interval 1h, want 1 (the start-up probe)", n)
	}
	b, _ := os.ReadFile(path)
	if err := os.WriteFile(path, []byte(strings.Replace(string(b), "probe_interval: 1h", "probe_interval: 100ms", 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := a.Reload(); err != nil {
		t.Fatal(err)
	}
	// 100 ms apart: 3 s would see ~30; 3 is far below even on a loaded CI.
	if n := len(stamps(3 * time.Second)); n < 3 {
		t.Errorf("%d probe timestamps in 3 s after the reload to 100ms, want the interval applied live", n)
	}
}

// TestReloadDuringStartUp: reloads racing the start-up (run with -race)
// neither race nor break it.
func TestReloadDuringStartUp(t *testing.T) {
	srv := simServer(t)
	dir := t.TempDir()
	path := testConfig(t, dir, srv.URL, "1s", "")
	a, err := New(Options{ConfigFile: path, Web: webFlags(freeAddr(t)), Logger: nil})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			if err := a.Reload(); err != nil {
				t.Errorf("reload %d: %v", i, err)
				return
			}
		}
	}()
	run(t, a)
	for deadline := time.Now().Add(20 * time.Second); !a.Ready(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("not ready within 20 s")
		}
	}
	close(stop)
	wg.Wait()
	rec := httptest.NewRecorder()
	a.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/-/ready", nil))
	body, _ := io.ReadAll(rec.Body)
	if rec.Code != http.StatusOK {
		t.Errorf("/-/ready %d %s after reloads during start-up", rec.Code, body)
	}
}

func TestKeyRotationDueAddsThePolicy(t *testing.T) {
	c := &config.Config{Secrets: config.Resolved{KeyRotatedAt: 1790000000}}
	c.Clari.RotationPolicy = model.Duration(90 * 24 * time.Hour)
	if got, want := keyRotationDue(c), 1790000000+90*86400.0; got != want {
		t.Errorf("keyRotationDue = %v, want %v", got, want)
	}
	unknown := &config.Config{}
	unknown.Clari.RotationPolicy = model.Duration(time.Hour)
	if got := keyRotationDue(unknown); got != 0 {
		t.Errorf("keyRotationDue without a rotation time = %v, want 0 (left out)", got)
	}
}

// /metrics serves promhttp's own handler metrics.
func TestMetricsServePromhttpHandlerMetrics(t *testing.T) {
	dir := t.TempDir()
	a, err := New(Options{ConfigFile: testConfig(t, dir, "http://127.0.0.1:1/v4", "1h", "")})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	metric(t, a.Handler(), "clari_up")
	if v, ok := metric(t, a.Handler(), "promhttp_metric_handler_requests_total"); !ok || v < 1 {
		t.Errorf("promhttp_metric_handler_requests_total = %v (present %v), want the earlier scrape counted", v, ok)
	}
	if _, ok := metric(t, a.Handler(), "promhttp_metric_handler_requests_in_flight"); !ok {
		t.Error("no promhttp_metric_handler_requests_in_flight")
	}
}

// serveSim serves sim on loopback until the test ends and returns its URL.
func serveSim(t *testing.T, sim *clarisim.Sim) string {
	t.Helper()
	srv := httptest.NewServer(sim)
	t.Cleanup(func() { srv.Close(); sim.Close() })
	return srv.URL
}

// writeFile writes content and a newline to dir/name, readable by its
// owner only (the mode the audit asks of a secret file), and returns the
// path.
func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(content+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// startWithLog builds the app from the config file at path, logging at
// info into logs, and runs it until the test ends.
func startWithLog(t *testing.T, path string, logs *testlog.Buffer) *App {
	t.Helper()
	logger, err := logging.New(logs, "info", "logfmt")
	if err != nil {
		t.Fatal(err)
	}
	a, err := New(Options{ConfigFile: path, Web: webFlags(freeAddr(t)), Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	run(t, a)
	return a
}
