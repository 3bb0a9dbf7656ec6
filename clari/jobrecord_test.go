package clari

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestJobIDTime(t *testing.T) {
	for _, tc := range []struct {
		id   string
		want int64
		ok   bool
	}{
		{"606e23c981a6da229d75b515", 1617830857, true}, // Clari's doc example
		{"606E23C981A6DA229D75B515", 1617830857, true},
		{"000000010000000000000000", 1, true},
		{"ffffffff0000000000000000", 4294967295, true},
		{"606e23c981a6da229d75b51", 0, false},   // 23 digits
		{"606e23c981a6da229d75b5155", 0, false}, // 25
		{"606e23c981a6da229d75b51g", 0, false},  // not hex
		{"", 0, false},
	} {
		got, ok := JobIDTime(tc.id)
		if ok != tc.ok || (ok && got.Unix() != tc.want) {
			t.Errorf("JobIDTime(%q) = %v (%d), %v; want %d, %v", tc.id, got, got.Unix(), ok, tc.want, tc.ok)
		}
		if ok && got.Location() != time.UTC {
			t.Errorf("JobIDTime(%q) location %v, want UTC", tc.id, got.Location())
		}
	}
}

func TestPlausibleJobIDTime(t *testing.T) {
	now := time.Unix(1617830857, 0).Add(time.Hour) // an hour after the doc example
	id := "606e23c981a6da229d75b515"
	idAt := func(sec int64) string { return fmt.Sprintf("%08x0000000000000000", sec) }
	for _, tc := range []struct {
		name   string
		id     string
		window time.Duration
		ok     bool
	}{
		{"inside the window", id, QuotaWindow, true},
		{"no window bound", id, 0, true},
		{"a minute of skew is believed", idAt(now.Unix() + 60), QuotaWindow, true},
		{"an hour in the future", idAt(now.Unix() + 3600), QuotaWindow, false},
		{"older than the window", idAt(now.Add(-QuotaWindow - time.Hour).Unix()), QuotaWindow, false},
		{"older than a given window", id, 30 * time.Minute, false},
		{"old but no window", idAt(now.Add(-400 * 24 * time.Hour).Unix()), 0, true},
		{"zero time", "000000000000000000000000", 0, false},
		{"not an id", "x", 0, false},
	} {
		_, ok := PlausibleJobIDTime(tc.id, now, tc.window)
		if ok != tc.ok {
			t.Errorf("%s: PlausibleJobIDTime(%q) ok=%v, want %v", tc.name, tc.id, ok, tc.ok)
		}
	}
}

func TestParseExportFileName(t *testing.T) {
	for _, tc := range []struct {
		name     string
		forecast string
		period   string
		created  int64
		format   ExportFormat
		errPart  string
	}{
		// Clari's doc example; its creation time equals the job id's.
		{"clari_export_forecast_new_summary_2021_Q12915_20210407_212737.json", "forecast_new_summary", "2021_Q1", 1617830857, FormatJSON, ""},
		{"clari_export_net_arr_2026_Q40001_20261201_000000.csv", "net_arr", "2026_Q4", time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC).Unix(), FormatCSV, ""},
		{"clari_export_x_2026_Q40001_20261201_000000.JSON", "x", "2026_Q4", time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC).Unix(), FormatJSON, ""},
		// A forecast id that itself looks like a period part stays whole.
		{"clari_export_a_2020_Q1_b_2026_Q21234_20260401_101010.json", "a_2020_Q1_b", "2026_Q2", time.Date(2026, 4, 1, 10, 10, 10, 0, time.UTC).Unix(), FormatJSON, ""},
		{"export_net_arr_2026_Q40001_20261201_000000.json", "", "", 0, "", "does not start with"},
		{"clari_export_net_arr_2026_Q40001_20261201_000000", "", "", 0, "", "no .json or .csv"},
		{"clari_export_net_arr_2026_Q40001_20261201_000000.xlsx", "", "", 0, "", "neither json nor csv"},
		{"clari_export_2026_Q40001_20261201_000000.json", "", "", 0, "", "too few"},
		{"clari_export__2026_Q40001_20261201_000000.json", "", "", 0, "", "no forecast id"},
		{"clari_export_net_arr_26_Q40001_20261201_000000.json", "", "", 0, "", "year"},
		{"clari_export_net_arr_2026_Q50001_20261201_000000.json", "", "", 0, "", "Q<1-4>"},
		{"clari_export_net_arr_2026_Q4001_20261201_000000.json", "", "", 0, "", "Q<1-4>"},
		{"clari_export_net_arr_2026_Q40001_2026121_000000.json", "", "", 0, "", "yyyyMMdd"},
		{"clari_export_net_arr_2026_Q40001_20261301_000000.json", "", "", 0, "", "not a valid date"},
		{"net_arr_2026_Q4_0123456789abcdef01234567.json", "", "", 0, "", "does not start with"},
		{"", "", "", 0, "", "does not start with"},
	} {
		got, err := ParseExportFileName(tc.name)
		if tc.errPart != "" {
			if err == nil || !strings.Contains(err.Error(), tc.errPart) {
				t.Errorf("ParseExportFileName(%q) err = %v, want one containing %q", tc.name, err, tc.errPart)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseExportFileName(%q): %v", tc.name, err)
			continue
		}
		if got.ForecastID != tc.forecast || got.TimePeriod != tc.period || got.Created.Unix() != tc.created || got.Format != tc.format {
			t.Errorf("ParseExportFileName(%q) = %+v; want %s %s %d %s", tc.name, got, tc.forecast, tc.period, tc.created, tc.format)
		}
	}
}

func TestExportFileNameForRoundTrips(t *testing.T) {
	created := time.Date(2021, 4, 7, 21, 27, 37, 0, time.UTC)
	name, err := ExportFileNameFor("forecast_new_summary", "2021_Q1", 2915, created, FormatJSON)
	if err != nil {
		t.Fatal(err)
	}
	if want := "clari_export_forecast_new_summary_2021_Q12915_20210407_212737.json"; name != want {
		t.Fatalf("name %q, want %q", name, want)
	}
	got, err := ParseExportFileName(name)
	if err != nil || got.ForecastID != "forecast_new_summary" || got.TimePeriod != "2021_Q1" || !got.Created.Equal(created) {
		t.Fatalf("round trip: %+v, %v", got, err)
	}
	if _, err := ExportFileNameFor("f", "2021-Q1", 0, created, FormatCSV); err == nil {
		t.Fatal("a period not YYYY_QN was accepted")
	}
}
