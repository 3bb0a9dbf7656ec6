package config

import (
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func parseWatch(t *testing.T, yml string) (*Config, error) {
	t.Helper()
	dir := t.TempDir()
	key := writeFile(t, dir, "key", testSecret)
	return Parse([]byte("clari:\n  api_key_file: "+key+"\n"+yml), filepath.Join(dir, "clari.yml"))
}

func TestWatchDefaults(t *testing.T) {
	cfg, err := parseWatch(t, "forecasts:\n  - id: net_arr\nwatch:\n  enabled: true\n")
	if err != nil {
		t.Fatal(err)
	}
	w := cfg.Watch
	if !w.Enabled || time.Duration(w.Interval) != 5*time.Minute || !w.InspectResults || len(w.Forecasts) != 0 ||
		time.Duration(w.StuckAfter) != 30*time.Minute || time.Duration(w.DownloadGrace) != 2*time.Hour {
		t.Fatalf("defaults: %+v", w)
	}
	if cfg.ZeroQuota() {
		t.Fatal("zero-quota with the schedule on")
	}
	if d := Default().Watch; d.Enabled || d.Interval != w.Interval {
		t.Fatalf("Default().Watch = %+v", d)
	}
	if !w.WatchesForecast("anything") {
		t.Fatal("empty forecasts must watch every forecast")
	}
}

func TestWatchZeroQuotaNeedsNoForecasts(t *testing.T) {
	cfg, err := parseWatch(t, "schedule:\n  enabled: false\nwatch:\n  enabled: true\n  forecasts: [net_arr]\n  inspect_results: false\n")
	if err != nil {
		t.Fatal(err)
	}
	if !cfg.ZeroQuota() || cfg.Watch.InspectResults || !cfg.Watch.WatchesForecast("net_arr") || cfg.Watch.WatchesForecast("other") {
		t.Fatalf("%+v", cfg.Watch)
	}
	if _, err := parseWatch(t, "schedule:\n  enabled: false\n"); err == nil || !strings.Contains(err.Error(), "forecasts") {
		t.Fatalf("no forecasts and no watch: %v", err)
	}
}

func TestWatchInvalid(t *testing.T) {
	for _, tc := range []struct{ yml, want string }{
		{"watch:\n  interval: 0s\n", "watch.interval: must be > 0"},
		{"watch:\n  stuck_after: 0s\n", "watch.stuck_after"},
		{"watch:\n  download_grace: 0s\n", "watch.download_grace"},
		{"watch:\n  inspect_pace: -1s\n", "watch.inspect_pace"},
		{"watch:\n  forecasts: [\"net arr\"]\n", "watch.forecasts[0]"},
		{"watch:\n  forecasts: [a, a]\n", "watch.forecasts[1]"},
		{"watch:\n  enable: true\n", "enable"}, // strict: unknown key
	} {
		_, err := parseWatch(t, "forecasts:\n  - id: net_arr\n"+tc.yml)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: err %v, want one containing %q", tc.yml, err, tc.want)
		}
	}
}
