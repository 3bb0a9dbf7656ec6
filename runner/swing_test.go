package runner_test

import (
	"testing"
	"time"

	"github.com/prometheus/common/model"

	"github.com/clari-exporter/clari_exporter/config"
)

// TestSwings exports twice with a swing of net_arr in between and checks
// which fields ExportState flags.
func TestSwings(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name        string
		ratio       float64
		minBaseline float64 // 0: the default
		anomalous   bool
	}{
		{name: "40% swing", ratio: 1.40, anomalous: true},
		{name: "15% swing", ratio: 1.15, anomalous: false},
		{name: "40% swing below min baseline", ratio: 1.40, minBaseline: 1e15, anomalous: false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, envOptions{config: func(c *config.Config) {
				c.Schedule.CurrentInterval = model.Duration(time.Minute)
				if tc.minBaseline > 0 {
					c.Swing.MinBaseline = tc.minBaseline
				}
			}})
			r := e.runner(nil)
			first := runUntil(t, r, "first exports", allRan(1))
			for _, ts := range first.Targets {
				if len(ts.Swings) != 0 {
					t.Errorf("%s: swings %+v after one snapshot, want none", ts.Forecast, ts.Swings)
				}
				for _, v := range ts.Latest.Totals {
					// The anomalous case must not pass only because the
					// baseline guard was mis-set.
					if v.DataType == "forecast" && tc.minBaseline == 0 && v.Value < e.config().Swing.MinBaseline {
						t.Fatalf("%s/%s total %v is below min_baseline %v: the tenant is too small for this test",
							ts.Forecast, v.Field, v.Value, e.config().Swing.MinBaseline)
					}
				}
			}
			must(t, e.sim.Swing("net_arr", tc.ratio))
			e.clock.Advance(2 * time.Minute)
			es := runUntil(t, r, "second exports", allRan(2))

			netArr := target(t, es, "net_arr")
			if len(netArr.Swings) != testFields {
				t.Fatalf("net_arr: %d swings, want %d: %+v", len(netArr.Swings), testFields, netArr.Swings)
			}
			for _, sw := range netArr.Swings {
				if !near(sw.Ratio, tc.ratio-1, 1e-3) {
					t.Errorf("net_arr/%s: ratio %v, want ≈ %v", sw.Field, sw.Ratio, tc.ratio-1)
				}
				if sw.Anomalous != tc.anomalous {
					t.Errorf("net_arr/%s: anomalous %v, want %v", sw.Field, sw.Anomalous, tc.anomalous)
				}
			}
			bookings := target(t, es, "bookings")
			if len(bookings.Swings) != testFields {
				t.Fatalf("bookings: %d swings, want %d", len(bookings.Swings), testFields)
			}
			for _, sw := range bookings.Swings {
				if sw.Anomalous || !near(sw.Ratio, 0, 1e-9) {
					t.Errorf("bookings/%s: ratio %v anomalous %v, want an unchanged field", sw.Field, sw.Ratio, sw.Anomalous)
				}
			}
		})
	}
}
