package checklist

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/clari-exporter/clari_exporter/clari/clarisim"
	"github.com/clari-exporter/clari_exporter/fiscal"
)

// TestFiscalCalendarCheck: PASS when learned or verified, FAIL naming the
// fix on a known mismatch, SKIP while nothing is known; from the
// exporter's own state (the periodic readiness check).
func TestFiscalCalendarCheck(t *testing.T) {
	feb := fiscal.State{Source: fiscal.SourceClari, StartMonth: 2, YearLabel: "end", Verified: true}
	cases := []struct {
		name      string
		state     fiscal.State
		want      Status
		fragments []string
	}{
		{"learned", feb, Pass, []string{"learned from Clari", "start_month: 2, year_label: end"}},
		{"configured and verified", fiscal.State{Source: fiscal.SourceConfig, StartMonth: 2, YearLabel: "end", Verified: true}, Pass, []string{"agrees with Clari"}},
		{"mismatch", fiscal.State{Source: fiscal.SourceConfig, StartMonth: 1, YearLabel: "end", Mismatch: true,
			Problem: "period 2026_Q4 runs 2025-11-01 to 2026-01-31 in Clari", Fix: "set fiscal_calendar.start_month: 2, fiscal_calendar.year_label: end"},
			Fail, []string{"2025-11-01", "fiscal_calendar.start_month: 2", "every export is held"}},
		{"configured, nothing read yet", fiscal.State{Source: fiscal.SourceConfig, StartMonth: 2, YearLabel: "end"}, Skip, []string{"not verified yet"}},
		{"unknown", fiscal.State{Source: fiscal.SourceUnknown}, Skip, []string{"not known yet"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a := &auditor{}
			a.calendar = func(context.Context) (fiscal.State, string, bool, error) { return c.state, "the exporter", true, nil }
			r := a.checkFiscalCalendar(context.Background())
			if r.Status != c.want || r.Priority != P1 {
				t.Fatalf("%s %s (%s), want %s P1", r.Status, r.Priority, r.Detail, c.want)
			}
			for _, f := range c.fragments {
				if !strings.Contains(r.Detail, f) {
					t.Errorf("detail %q lacks %q", r.Detail, f)
				}
			}
		})
	}
}

// TestFiscalCalendarCheckFromPrometheus: `clari_exporter check` reads the
// exporter's calendar metrics from --prometheus.url; without it the check
// is skipped, and a mismatch fails the audit (P1, exit 1).
func TestFiscalCalendarCheckFromPrometheus(t *testing.T) {
	s := startSim(t, clarisim.Scenario{})
	cfg := writeConfig(t, s.URL)
	expect(t, audit(t, Options{ConfigFile: cfg}), CheckFiscalCalendar, Skip, "no --prometheus.url")

	mismatch := "0"
	prom := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query().Get("query")
		w.Header().Set("Content-Type", "application/json")
		switch {
		case strings.Contains(q, "clari_fiscal_calendar_info"):
			w.Write([]byte(`{"status":"success","data":{"resultType":"vector","result":[{"metric":{"__name__":"clari_fiscal_calendar_info","job":"clari_exporter","source":"config","start_month":"1","year_label":"end"},"value":[1765000000,"1"]}]}}`))
		case strings.Contains(q, "clari_fiscal_calendar_mismatch"):
			w.Write([]byte(`{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1765000000,"` + mismatch + `"]}]}}`))
		default:
			w.Write([]byte(`{"status":"success","data":{"resultType":"vector","result":[]}}`))
		}
	}))
	t.Cleanup(prom.Close)
	expect(t, audit(t, Options{ConfigFile: cfg, PrometheusURL: prom.URL}), CheckFiscalCalendar, Skip, "not verified yet", "start_month: 1")
	mismatch = "1"
	rep := audit(t, Options{ConfigFile: cfg, PrometheusURL: prom.URL})
	expect(t, rep, CheckFiscalCalendar, Fail, "contradict the configured fiscal_calendar (start_month: 1", "calendar_mismatch")
	if rep.ExitCode != 1 {
		t.Errorf("exit code %d with a calendar mismatch, want 1 (P1)", rep.ExitCode)
	}
}
