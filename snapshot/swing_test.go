package snapshot

import (
	"fmt"
	"math"
	"testing"
)

func snap(job string, totals map[string]float64) Snapshot {
	s := Snapshot{Forecast: "net_arr", Period: "2026_Q4", JobID: job, Rows: 1}
	for f, v := range totals {
		s.Totals = append(s.Totals, Total{Field: f, DataType: "forecast", Value: v})
		s.Totals = append(s.Totals, Total{Field: f, DataType: "quota", Value: v * 100}) // must be ignored
	}
	SortTotals(s.Totals)
	return s
}

var defaultSwing = SwingConfig{Threshold: 0.20, MinBaseline: 1000, MinAbsChange: 0, MinHistory: 2}

func swingOf(t *testing.T, sw []Swing, field string) Swing {
	t.Helper()
	for _, s := range sw {
		if s.Field == field {
			return s
		}
	}
	t.Fatalf("no swing for field %q in %+v", field, sw)
	return Swing{}
}

func TestCompareSwings(t *testing.T) {
	cases := []struct {
		name      string
		prev, cur float64
		cfg       SwingConfig
		ratio     float64
		anomalous bool
	}{
		{"15% is below threshold", 100000, 115000, defaultSwing, 0.15, false},
		{"40% on a tiny baseline", 500, 700, defaultSwing, 0.40, false},
		{"40% on a big baseline", 100000, 140000, defaultSwing, 0.40, true},
		{"-40% drop", 100000, 60000, defaultSwing, -0.40, true},
		{"-15% drop", 100000, 85000, defaultSwing, -0.15, false},
		{"negative baseline uses abs", -10000, -14000, defaultSwing, -0.40, true},
		{"exactly the threshold is not above it", 100000, 120000, defaultSwing, 0.20, false},
		{"min abs change guards", 100000, 140000,
			SwingConfig{Threshold: 0.2, MinBaseline: 1000, MinAbsChange: 50000, MinHistory: 2}, 0.40, false},
		{"min history guards", 100000, 140000,
			SwingConfig{Threshold: 0.2, MinBaseline: 1000, MinHistory: 3}, 0.40, false},
		{"previous zero: ratio undefined", 0, 140000, defaultSwing, 0, false},
		{"field vanished: -100%", 100000, 0, defaultSwing, -1, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			prev := []Snapshot{snap("a", map[string]float64{"commit": c.prev})}
			cur := snap("b", map[string]float64{"commit": c.cur})
			sw := swingOf(t, CompareSwings(prev, cur, c.cfg), "commit")
			if math.Abs(sw.Ratio-c.ratio) > 1e-9 || sw.Anomalous != c.anomalous {
				t.Fatalf("got ratio %v anomalous %v, want %v %v", sw.Ratio, sw.Anomalous, c.ratio, c.anomalous)
			}
			if sw.Previous != c.prev || sw.Latest != c.cur {
				t.Fatalf("previous/latest %v/%v", sw.Previous, sw.Latest)
			}
			// Only a zero baseline leaves the ratio undefined.
			if r, ok := sw.DefinedRatio(); ok != (c.prev != 0) || (ok && r != sw.Ratio) {
				t.Fatalf("DefinedRatio() = %v, %v with previous %v", r, ok, c.prev)
			}
		})
	}
}

func TestCompareSwingsFirstSnapshot(t *testing.T) {
	cur := snap("b", map[string]float64{"commit": 1e6})
	if sw := CompareSwings(nil, cur, SwingConfig{Threshold: 0.2, MinHistory: 1}); sw != nil {
		t.Fatalf("no history must give no swings, got %+v", sw)
	}
	// A history that only holds cur itself (read after it was stored) is no history.
	if sw := CompareSwings([]Snapshot{cur}, cur, SwingConfig{Threshold: 0.2, MinHistory: 1}); sw != nil {
		t.Fatalf("history of only cur must give no swings, got %+v", sw)
	}
}

func TestCompareSwingsUsesNewestHistoryAndIgnoresOtherTargets(t *testing.T) {
	old := snap("a", map[string]float64{"commit": 10000})
	newer := snap("b", map[string]float64{"commit": 100000})
	other := snap("x", map[string]float64{"commit": 1})
	other.Period = "2026_Q3"
	cur := snap("c", map[string]float64{"commit": 140000})
	sw := swingOf(t, CompareSwings([]Snapshot{old, newer, other, cur}, cur, defaultSwing), "commit")
	if math.Abs(sw.Ratio-0.4) > 1e-9 || !sw.Anomalous {
		t.Fatalf("got %+v, want ratio 0.4 against the newest same-target snapshot", sw)
	}
}

func TestCompareSwingsOnlyForecastDataType(t *testing.T) {
	prev := Snapshot{Forecast: "f", Period: "p", JobID: "a", Totals: []Total{{"commit", "quota", 100000}}}
	cur := Snapshot{Forecast: "f", Period: "p", JobID: "b", Totals: []Total{{"commit", "quota", 200000}}}
	if sw := CompareSwings([]Snapshot{prev}, cur, defaultSwing); len(sw) != 0 {
		t.Fatalf("quota totals must not be compared, got %+v", sw)
	}
}

func TestSwingLogFields(t *testing.T) {
	cases := []struct {
		sw   Swing
		want string
	}{
		{Swing{Field: "commit", Previous: 5156029.62, Latest: 6702838.48, Ratio: 0.2999999949573603}, "[field commit previous 5156029.62 latest 6702838.48 ratio 0.3]"},
		{Swing{Field: "commit", Previous: -2e6, Latest: -1e6, Ratio: 0.5}, "[field commit previous -2000000 latest -1000000 ratio 0.5]"},
		{Swing{Field: "new", Previous: 0, Latest: 7000}, "[field new previous 0 latest 7000 ratio none]"},
	}
	for _, c := range cases {
		if got := fmt.Sprint(c.sw.LogFields()); got != c.want {
			t.Errorf("LogFields(%+v) = %s, want %s", c.sw, got, c.want)
		}
	}
}
