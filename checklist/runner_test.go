package checklist

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/clari-exporter/clari_exporter/clari"
	"github.com/clari-exporter/clari_exporter/clari/clarisim"
	"github.com/clari-exporter/clari_exporter/config"
	"github.com/clari-exporter/clari_exporter/fiscal"
)

func TestRunnerRunsOnlyCheapChecks(t *testing.T) {
	s := startSim(t, clarisim.Scenario{})
	path := writeConfig(t, s.URL, "historical_quarters: 4", "historical_quarters: 1")
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	var calls atomic.Int32
	r := NewRunner(RunnerOptions{
		Config: func() *config.Config { return cfg },
		Limits: func(ctx context.Context) (clari.Limits, error) {
			calls.Add(1)
			return clari.Limits{MonthlyQuota: 1000, AvailableMonthlyQuota: 900, ConcurrentLimit: 3, AvailableConcurrentLimit: 3}, nil
		},
		Calendar: func() fiscal.State {
			return fiscal.State{Source: fiscal.SourceClari, StartMonth: 2, YearLabel: "end", Verified: true}
		},
		Now: func() time.Time { return now },
	})
	if got := r.ReadinessChecks(); len(got) != 0 {
		t.Fatalf("before the first run: %v", got)
	}
	res := r.RunNow(context.Background())
	if calls.Load() != 1 {
		t.Errorf("limits called %d times, want once per run", calls.Load())
	}
	ids := map[string]Status{}
	for _, x := range res {
		ids[x.ID] = x.Status
	}
	for _, d := range Checks {
		_, ran := ids[d.ID]
		if want := d.Cheap && d.ID != CheckConfigValid; ran != want {
			t.Errorf("%s: ran=%v, want %v", d.ID, ran, want)
		}
	}
	if ids[CheckAPITokenValid] != Pass || ids[CheckPeriodCoverage] != Fail || ids[CheckFiscalCalendar] != Pass {
		t.Errorf("token %s, coverage %s, fiscal calendar %s; want PASS, FAIL, PASS", ids[CheckAPITokenValid], ids[CheckPeriodCoverage], ids[CheckFiscalCalendar])
	}
	if st := s.Stats(); st.Requests[clari.EndpointLimits]+st.Requests[clari.EndpointAuditEvents]+st.JobsCreated != 0 {
		t.Errorf("the runner called Clari itself: %+v", st)
	}
	rc := r.ReadinessChecks()
	byID := map[string]bool{}
	for _, c := range rc {
		byID[c.ID] = c.Pass
		if c.Priority != definition(c.ID).Priority {
			t.Errorf("%s: priority %s", c.ID, c.Priority)
		}
	}
	if !byID[CheckAPITokenValid] || byID[CheckPeriodCoverage] {
		t.Errorf("readiness: %v", rc)
	}
	if _, ok := byID[CheckProductionBaseURL]; !ok || !byID[CheckProductionBaseURL] {
		t.Errorf("a WARN must count as passing (1): %v", rc)
	}
}

func TestRunnerWithoutLimits(t *testing.T) {
	path := writeConfig(t, "http://127.0.0.1:1/v4")
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	r := NewRunner(RunnerOptions{Config: func() *config.Config { return cfg }, Now: func() time.Time { return now }})
	for _, x := range r.RunNow(context.Background()) {
		if x.ID == CheckAPITokenValid {
			t.Errorf("api_token_valid ran without a limits probe: %+v", x)
		}
		if x.ID == CheckQuotaBudget && (x.Status != Skip || !strings.Contains(x.Detail, "could not be read")) {
			t.Errorf("quota_budget without limits: %+v, want SKIP with the reason", x)
		}
	}
	failing := NewRunner(RunnerOptions{
		Config: func() *config.Config { return cfg },
		Limits: func(ctx context.Context) (clari.Limits, error) { return clari.Limits{}, errors.New("HTTP 401") },
		Now:    func() time.Time { return now },
	})
	for _, c := range Readiness(failing.RunNow(context.Background())) {
		if c.ID == CheckAPITokenValid && c.Pass {
			t.Errorf("a rejected token reads as passing")
		}
	}
}

func TestReadinessSkipsSkipped(t *testing.T) {
	rs := []Result{
		result(CheckAPIKeySecretStore, Pass, "x"),
		result(CheckLeastPrivilege, Warn, "x"),
		result(CheckEmptyExportDetection, Fail, "x"),
		result(CheckWarehouseReachable, Skip, "x"),
	}
	got := Readiness(rs)
	if len(got) != 3 || !got[0].Pass || !got[1].Pass || got[2].Pass || got[2].Priority != P1 {
		t.Errorf("Readiness = %+v", got)
	}
}
