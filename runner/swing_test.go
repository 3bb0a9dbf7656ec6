package runner_test

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-kit/log"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/model"

	"github.com/clari-exporter/clari_exporter/clari"
	"github.com/clari-exporter/clari_exporter/collector"
	"github.com/clari-exporter/clari_exporter/config"
	"github.com/clari-exporter/clari_exporter/internal/testlog"
	"github.com/clari-exporter/clari_exporter/runner"
	"github.com/clari-exporter/clari_exporter/store"
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

// TestSwingBaselineAndLog reads the runner's own state through the real
// export collector: a first export and an export after an all-zero
// previous total serve no clari_forecast_swing_ratio (no baseline), and a
// +30 % export serves ratio 0.3, anomalous 1, and leaves a warn line naming
// forecast, period, field, previous, latest and ratio.
func TestSwingBaselineAndLog(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{forecasts: []string{"net_arr"}, tenant: gitLabTenant, config: func(c *config.Config) {
		c.Schedule.CurrentInterval = model.Duration(time.Minute)
	}})
	var logs testlog.Buffer
	newRunner := func() *runner.Runner {
		return e.runner(func(o *runner.Options) { o.Logger = log.NewLogfmtLogger(&logs) })
	}
	r := newRunner()
	swingSeries := func() (ratio, anomalous map[string]float64) {
		t.Helper()
		reg := prometheus.NewPedanticRegistry()
		reg.MustRegister(collector.NewExportCollector(collector.ExportSourceOf[runner.Target](r.ExportState),
			collector.ExportOptions{FailureReasons: runner.FailureReasons, SkipReasons: runner.SkipReasons}))
		mfs, err := reg.Gather()
		must(t, err)
		ratio, anomalous = map[string]float64{}, map[string]float64{}
		for _, mf := range mfs {
			into := map[string]map[string]float64{"clari_forecast_swing_ratio": ratio, "clari_forecast_swing_anomalous": anomalous}[mf.GetName()]
			for _, m := range mf.GetMetric() {
				if into == nil {
					break
				}
				for _, l := range m.GetLabel() {
					if l.GetName() == "field" {
						into[l.GetValue()] = m.GetGauge().GetValue()
					}
				}
			}
		}
		return ratio, anomalous
	}

	first := target(t, runUntil(t, r, "first export", allRan(1)), "net_arr")
	if ratio, _ := swingSeries(); len(ratio) != 0 {
		t.Fatalf("first export: swing ratios %v, want none (no baseline)", ratio)
	}

	// An all-zero total recorded as the newest snapshot (by another
	// process: this runner restarts to read it): the next export has
	// nothing to divide by.
	zero := *first.Latest
	// Just after the first snapshot, before the next export builds its own.
	zero.JobID, zero.CreatedAt = "0000000000000000000000aa", first.Latest.CreatedAt.Add(time.Millisecond)
	zero.Totals = slices.Clone(zero.Totals)
	for i := range zero.Totals {
		zero.Totals[i].Value = 0
	}
	at := e.clock.Now()
	must(t, e.store.FinishRun(context.Background(), store.Run{Forecast: "net_arr", Period: first.Period, JobID: zero.JobID,
		Outcome: string(clari.OutcomeDone), StartedAt: at, FinishedAt: at}, &zero))
	r = newRunner()
	e.clock.Advance(2 * time.Minute)
	afterZero := target(t, runUntil(t, r, "export after the all-zero one", allRan(3)), "net_arr")
	if len(afterZero.Swings) != testFields {
		t.Fatalf("swings %+v, want one per field against the all-zero snapshot", afterZero.Swings)
	}
	if ratio, anomalous := swingSeries(); len(ratio) != 0 || len(anomalous) != testFields || anomalous[afterZero.Swings[0].Field] != 0 {
		t.Fatalf("after an all-zero total: ratios %v anomalous %v, want no ratio and anomalous 0 per field", ratio, anomalous)
	}
	if afterZero.AnomalousSwing() {
		t.Fatal("a swing without a baseline is flagged anomalous")
	}

	must(t, e.sim.Swing("net_arr", 1.3))
	e.clock.Advance(2 * time.Minute)
	swung := target(t, runUntil(t, r, "the +30 % export", allRan(4)), "net_arr")
	ratio, anomalous := swingSeries()
	if len(ratio) != testFields {
		t.Fatalf("+30 %%: ratios %v, want one per field", ratio)
	}
	for field, v := range ratio {
		if !near(v, 0.3, 1e-3) || anomalous[field] != 1 {
			t.Errorf("field %s: ratio %v anomalous %v, want 0.3 and 1", field, v, anomalous[field])
		}
		kv := "field=" + field
		if strings.Contains(field, " ") {
			kv = "field=" + strconv.Quote(field) // logfmt quotes it
		}
		lines := logs.Lines(kv)
		if len(lines) != 1 {
			t.Errorf("field %s: %d swing log lines, want 1: %q", field, len(lines), lines)
			continue
		}
		for _, want := range []string{"level=warn", "forecast=net_arr", "period=" + swung.Period, "previous=", "latest=", "ratio=0.3 "} {
			if !strings.Contains(lines[0], want) {
				t.Errorf("swing log line %q lacks %q", lines[0], want)
			}
		}
	}
	if !swung.AnomalousSwing() {
		t.Error("the target's state does not flag the anomalous swing")
	}
}
