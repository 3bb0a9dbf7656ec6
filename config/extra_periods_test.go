package config

import (
	"testing"
	"time"
)

func TestExtraPeriodsBecomeHistoricalTargets(t *testing.T) {
	c := Default()
	c.FiscalCalendar = FiscalCalendar{StartMonth: 1, YearLabel: YearLabelEnd}
	f := DefaultForecast("net_arr")
	f.HistoricalQuarters = 1
	f.ExtraPeriods = []string{"2024_Q3", "2026_Q3"} // 2026_Q3 is already in the window
	c.Forecasts = []Forecast{f}
	now := time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)
	var got []string
	for _, tg := range c.Targets(now) {
		got = append(got, tg.Period)
		if tg.Period == "2024_Q3" && (tg.Current || tg.Interval != time.Duration(c.Schedule.HistoricalInterval)) {
			t.Errorf("extra period target = %+v, want historical on the historical interval", tg)
		}
	}
	want := []string{"2026_Q4", "2026_Q3", "2024_Q3"}
	if len(got) != len(want) {
		t.Fatalf("targets %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("targets %v, want %v", got, want)
		}
	}
	base := Default()
	bf := DefaultForecast("net_arr")
	bf.HistoricalQuarters = 1
	base.Forecasts = []Forecast{bf}
	withExtra, _ := c.MonthlyExportCost()
	without, _ := base.MonthlyExportCost()
	if perHist := runsPerWindow(time.Duration(c.Schedule.HistoricalInterval)); withExtra != without+2*perHist {
		t.Errorf("cost with 2 extra periods = %d, want %d + 2×%d", withExtra, without, perHist)
	}
}
