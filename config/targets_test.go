package config

import (
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/model"
)

func TestTargets(t *testing.T) {
	cfg := Default()
	cfg.FiscalCalendar = FiscalCalendar{StartMonth: 2, YearLabel: YearLabelEnd}
	a := DefaultForecast("net_arr")
	a.HistoricalQuarters = 2
	b := DefaultForecast("pipeline")
	b.HistoricalQuarters = 0
	b.CurrentMaxAge = model.Duration(24 * time.Hour)
	cfg.Forecasts = []Forecast{a, b}
	cfg.Schedule.CurrentInterval = model.Duration(6 * time.Hour)
	cfg.Schedule.HistoricalInterval = model.Duration(7 * 24 * time.Hour)

	got := cfg.Targets(date(2026, 2, 10))
	h6, d7 := 6*time.Hour, 7*24*time.Hour
	want := []Target{
		{Forecast: "net_arr", Period: "2027_Q1", Current: true, Interval: h6, MaxAge: 2 * h6},
		{Forecast: "net_arr", Period: "2026_Q4", Interval: d7, MaxAge: 2 * d7},
		{Forecast: "net_arr", Period: "2026_Q3", Interval: d7, MaxAge: 2 * d7},
		{Forecast: "pipeline", Period: "2027_Q1", Current: true, Interval: h6, MaxAge: 24 * time.Hour},
	}
	if len(got) != len(want) {
		t.Fatalf("Targets = %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("target %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}

func TestMonthlyExportCost(t *testing.T) {
	h := func(n int) model.Duration { return model.Duration(time.Duration(n) * time.Hour) }
	cases := []struct {
		name      string
		cur, hist model.Duration
		quarters  []int // historical_quarters per forecast
		disabled  bool
		cost      int
		breakdown string
	}{
		{"defaults, one forecast", h(6), h(168), []int{4}, false, 120 + 4*5,
			"forecast f0: current quarter every 6h = 120; 4 historical quarters every 1w = 4×5 = 20"},
		{"hourly and daily", h(1), h(24), []int{4}, false, 720 + 120,
			"forecast f0: current quarter every 1h = 720; 4 historical quarters every 1d = 4×30 = 120"},
		{"uneven interval rounds up", h(7), h(24 * 8), []int{1}, false, 103 + 4,
			"forecast f0: current quarter every 7h = 103; 1 historical quarter every 8d = 4"},
		{"two forecasts", h(12), h(720), []int{0, 12}, false, 60 + 60 + 12,
			"forecast f0: current quarter every 12h = 60; no historical quarters; forecast f1: current quarter every 12h = 60; 12 historical quarters every 30d = 12×1 = 12"},
		{"interval longer than the window", h(6), h(24 * 90), []int{2}, false, 120 + 2, ""},
		{"thousands", model.Duration(time.Minute), h(24), []int{0}, false, 43200, "current quarter every 1m = 43,200"},
		{"disabled costs nothing", h(1), h(1), []int{4}, true, 0, "schedule.enabled is false"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := Default()
			cfg.Schedule.CurrentInterval, cfg.Schedule.HistoricalInterval = tc.cur, tc.hist
			cfg.Schedule.Enabled = !tc.disabled
			for i, q := range tc.quarters {
				f := DefaultForecast("f" + string(rune('0'+i)))
				f.HistoricalQuarters = q
				cfg.Forecasts = append(cfg.Forecasts, f)
			}
			cost, breakdown := cfg.MonthlyExportCost()
			if cost != tc.cost || !strings.Contains(breakdown, tc.breakdown) {
				t.Errorf("MonthlyExportCost = %d, %q; want %d, %q", cost, breakdown, tc.cost, tc.breakdown)
			}
		})
	}
}

func TestBudgetBoundary(t *testing.T) {
	cfg := Default()
	cfg.Secrets.APIKey = "k"
	cfg.Forecasts = []Forecast{DefaultForecast("net_arr")} // costs 140
	cfg.Schedule.MonthlyBudget = 140
	if err := cfg.Validate(); err != nil {
		t.Errorf("cost == budget must pass: %v", err)
	}
	cfg.Schedule.MonthlyBudget = 139
	err := cfg.Validate()
	if err == nil || !strings.Contains(err.Error(), "config: schedule: costs 140 exports per 30 days, over monthly_budget 139") {
		t.Errorf("cost > budget: %v", err)
	}
	cfg.Schedule.Enabled = false
	if err := cfg.Validate(); err != nil {
		t.Errorf("a disabled schedule has no budget to break: %v", err)
	}
}

// TestTargetsWaitForAKnownCalendar: without a fiscal_calendar section (and
// before package fiscal learned one) no period can be named, so nothing is
// a target; January is never assumed.
func TestTargetsWaitForAKnownCalendar(t *testing.T) {
	cfg := Default()
	cfg.Forecasts = []Forecast{DefaultForecast("net_arr")}
	if got := cfg.Targets(date(2026, 12, 8)); len(got) != 0 {
		t.Fatalf("targets without a known calendar = %+v, want none", got)
	}
	cfg.FiscalCalendar = FiscalCalendar{StartMonth: 2, YearLabel: YearLabelEnd}
	if got := cfg.Targets(date(2026, 12, 8)); len(got) == 0 || got[0].Period != "2027_Q4" {
		t.Fatalf("targets with a February calendar = %+v, want 2027_Q4 first", got)
	}
}
