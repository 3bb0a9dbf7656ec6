package deploy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/clari-exporter/clari_exporter/internal/testtier"
)

// startAlertmanager runs the Debian Alertmanager with deploy/alertmanager.yml
// on a free loopback port (clustering off) and returns its base URL. The
// webhook receivers point at the compose stack's host name and fail here;
// that does not matter for inhibition, which the API reports per alert.
func startAlertmanager(t *testing.T) string {
	t.Helper()
	bin := testtier.Tool(t, "prometheus-alertmanager", "prometheus-alertmanager")
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	cfg, err := filepath.Abs("alertmanager.yml")
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	cmd := exec.Command(bin, "--config.file="+cfg, "--storage.path="+t.TempDir(),
		"--web.listen-address="+addr, "--cluster.listen-address=", "--log.level=warn")
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	base := "http://" + addr
	deadline := time.Now().Add(20 * time.Second)
	for {
		if resp, err := http.Get(base + "/-/ready"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return base
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("alertmanager on %s not ready within 20s:\n%s", addr, logs.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

type postedAlert struct {
	Labels   map[string]string `json:"labels"`
	StartsAt time.Time         `json:"startsAt"`
	EndsAt   time.Time         `json:"endsAt"`
}

// TestInhibitionRules posts alerts to a real Alertmanager running the
// shipped config and checks which ones it suppresses: a failed export hides
// the symptoms of the same forecast only, an empty export pages once.
func TestInhibitionRules(t *testing.T) {
	base := startAlertmanager(t)
	now := time.Now().UTC()
	alert := func(labels ...string) postedAlert {
		m := map[string]string{"job": "clari_exporter", "instance": "clari-exporter:9852"}
		for i := 0; i+1 < len(labels); i += 2 {
			m[labels[i]] = labels[i+1]
		}
		return postedAlert{Labels: m, StartsAt: now, EndsAt: now.Add(time.Hour)}
	}
	posted := []postedAlert{
		alert("alertname", "ClariExportFailed", "severity", "critical", "forecast", "net_arr", "period", "2026_Q4"),
		alert("alertname", "ClariExportStale", "severity", "warning", "forecast", "net_arr"),
		alert("alertname", "ClariPeriodCoverageMissing", "severity", "warning", "forecast", "net_arr"),
		alert("alertname", "ClariExportStale", "severity", "warning", "forecast", "bookings"),
		alert("alertname", "ClariExportStale", "severity", "warning", "forecast", "pipeline"),
		alert("alertname", "ClariExportEmpty", "severity", "critical", "forecast", "bookings", "period", "2026_Q3"),
		alert("alertname", "ClariExportFailed", "severity", "critical", "forecast", "bookings", "period", "2026_Q3"),
		alert("alertname", "ClariExportFailed", "severity", "critical", "forecast", "bookings", "period", "2026_Q4"),
		alert("alertname", "ClariExportTruncated", "severity", "critical", "forecast", "renewals", "period", "2026_Q4"),
		alert("alertname", "ClariExportFailed", "severity", "critical", "forecast", "renewals", "period", "2026_Q4"),
		alert("alertname", "ClariExportQuotaExhausted", "severity", "critical"),
		alert("alertname", "ClariExportQuotaNearlyExhausted", "severity", "warning", "kind", "monthly"),
		alert("alertname", "ClariQuotaExhaustionProjected", "severity", "warning", "instance", "other:9852"),
	}
	body, _ := json.Marshal(posted)
	resp, err := http.Post(base+"/api/v2/alerts", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST /api/v2/alerts: status %d", resp.StatusCode)
	}

	type key struct{ name, forecast, period string }
	wantInhibited := map[key]bool{
		{"ClariExportFailed", "net_arr", "2026_Q4"}:     false,
		{"ClariExportStale", "net_arr", ""}:             true,
		{"ClariPeriodCoverageMissing", "net_arr", ""}:   true,
		{"ClariExportStale", "bookings", ""}:            true,  // bookings has failures too
		{"ClariExportStale", "pipeline", ""}:            false, // no failure of this forecast
		{"ClariExportEmpty", "bookings", "2026_Q3"}:     false,
		{"ClariExportFailed", "bookings", "2026_Q3"}:    true,  // the empty export pages once
		{"ClariExportFailed", "bookings", "2026_Q4"}:    false, // another period still pages
		{"ClariExportTruncated", "renewals", "2026_Q4"}: false,
		{"ClariExportFailed", "renewals", "2026_Q4"}:    true, // the truncated export pages once
		{"ClariExportQuotaExhausted", "", ""}:           false,
		{"ClariExportQuotaNearlyExhausted", "", ""}:     true,  // exhausted explains it
		{"ClariQuotaExhaustionProjected", "", ""}:       false, // another exporter
	}
	// Alertmanager applies inhibitions as it processes the posted batch; on
	// a loaded machine the first read can precede that, so read until the
	// answer is complete (bounded far above the milliseconds it takes).
	var errs []string
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		errs = inhibitionErrors(t, base, len(posted), func(labels map[string]string) (bool, bool) {
			want, ok := wantInhibited[key{labels["alertname"], labels["forecast"], labels["period"]}]
			return want, ok
		})
		if len(errs) == 0 || time.Now().After(deadline) {
			break
		}
	}
	for _, e := range errs {
		t.Error(e)
	}
}

// inhibitionErrors reads Alertmanager's alerts and returns what differs from
// the expectation want (inhibited?, known?) per alert's labels.
func inhibitionErrors(t *testing.T, base string, n int, want func(map[string]string) (bool, bool)) []string {
	t.Helper()
	resp, err := http.Get(base + "/api/v2/alerts")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var got []struct {
		Labels map[string]string `json:"labels"`
		Status struct {
			State       string   `json:"state"`
			InhibitedBy []string `json:"inhibitedBy"`
		} `json:"status"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
		t.Fatal(err)
	}
	if len(got) != n {
		return []string{fmt.Sprintf("alertmanager holds %d alerts, want %d", len(got), n)}
	}
	var errs []string
	for _, a := range got {
		w, ok := want(a.Labels)
		if !ok {
			errs = append(errs, fmt.Sprintf("unexpected alert %v", a.Labels))
			continue
		}
		if inhibited := len(a.Status.InhibitedBy) > 0; inhibited != w {
			errs = append(errs, fmt.Sprintf("%s %s %s: inhibited = %v (state %s), want %v", a.Labels["alertname"], a.Labels["forecast"], a.Labels["period"], inhibited, a.Status.State, w))
		}
	}
	return errs
}
