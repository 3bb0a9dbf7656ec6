package snapshot

import (
	"math"
	"slices"
	"strconv"

	"github.com/clari-exporter/clari_exporter/clari"
)

// SwingConfig holds the anomaly threshold and the guards that keep tiny or
// young baselines from paging anyone (config.Swing).
type SwingConfig struct {
	// Threshold is the absolute ratio above which a swing is anomalous (0.20 = 20%).
	Threshold float64
	// MinBaseline is the smallest abs(previous) total that is judged at all.
	MinBaseline float64
	// MinAbsChange is the smallest abs(latest − previous) that is judged.
	MinAbsChange float64
	// MinHistory is how many snapshots (including the current one) must
	// exist before any swing is judged.
	MinHistory int
}

// Swing is the change of one field's forecast total between the previous
// snapshot and the current one.
type Swing struct {
	Field    string
	Previous float64
	Latest   float64
	// Ratio is (Latest − Previous) / abs(Previous); 0 when Previous is 0:
	// there is no baseline and the ratio is undefined (see DefinedRatio).
	Ratio float64
	// Anomalous is true when abs(Ratio) > Threshold and every guard passes.
	Anomalous bool
}

// DefinedRatio returns Ratio and whether it is defined: a previous total of
// 0 (a first value, a new field, an all-zero baseline) gives no baseline to
// divide by, and a reader must show no ratio rather than 0 (Ratio is 0
// there only because a NaN cannot be persisted as JSON).
func (s Swing) DefinedRatio() (float64, bool) {
	if s.Previous == 0 {
		return 0, false
	}
	return s.Ratio, true
}

// LogFields are the swing's field, previous and latest totals and ratio as
// key-value pairs for a log line, in plain decimals (the ratio to 4
// places: "0.3", not "0.2999999949573603").
func (s Swing) LogFields() []any {
	dec := func(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }
	ratio := "none"
	if r, ok := s.DefinedRatio(); ok {
		ratio = dec(math.Round(r*1e4) / 1e4)
	}
	return []any{"field", s.Field, "previous", dec(s.Previous), "latest", dec(s.Latest), "ratio", ratio}
}

// SwingDataType is the data type whose totals are compared: the forecast
// value itself (the swing metrics carry no data_type label).
const SwingDataType = clari.DataForecast

// CompareSwings compares cur with the newest snapshot of prev (history,
// oldest first) for every field that has a forecast total in either of the
// two. A field missing on one side counts as 0 there, so a vanished field
// is a −100% swing and a new field has an undefined ratio (DefinedRatio
// false, never anomalous).
//
// Snapshots in prev of another forecast or period, and any with cur's job id
// (a history read after cur was stored), are ignored. With no usable history
// the result is nil.
func CompareSwings(prev []Snapshot, cur Snapshot, cfg SwingConfig) []Swing {
	history := make([]Snapshot, 0, len(prev))
	for _, p := range prev {
		if p.Forecast != cur.Forecast || p.Period != cur.Period {
			continue
		}
		if cur.JobID != "" && p.JobID == cur.JobID {
			continue
		}
		history = append(history, p)
	}
	if len(history) == 0 {
		return nil
	}
	last := history[len(history)-1]
	enoughHistory := len(history)+1 >= cfg.MinHistory

	latest := forecastTotals(cur)
	previous := forecastTotals(last)
	fields := make([]string, 0, len(latest)+len(previous))
	for f := range latest {
		fields = append(fields, f)
	}
	for f := range previous {
		if _, ok := latest[f]; !ok {
			fields = append(fields, f)
		}
	}
	slices.Sort(fields)

	swings := make([]Swing, 0, len(fields))
	for _, f := range fields {
		p, l := previous[f], latest[f]
		sw := Swing{Field: f, Previous: p, Latest: l}
		if p != 0 {
			sw.Ratio = (l - p) / math.Abs(p)
			sw.Anomalous = enoughHistory &&
				math.Abs(sw.Ratio) > cfg.Threshold &&
				math.Abs(p) >= cfg.MinBaseline &&
				math.Abs(l-p) >= cfg.MinAbsChange
		}
		swings = append(swings, sw)
	}
	return swings
}

func forecastTotals(s Snapshot) map[string]float64 {
	m := make(map[string]float64)
	for _, t := range s.Totals {
		if t.DataType == SwingDataType {
			m[t.Field] += t.Value
		}
	}
	return m
}
