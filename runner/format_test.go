package runner_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/prometheus/common/model"

	"github.com/clari-exporter/clari_exporter/clari"
	"github.com/clari-exporter/clari_exporter/clari/clarisim"
	"github.com/clari-exporter/clari_exporter/config"
	"github.com/clari-exporter/clari_exporter/runner"
)

// TestJSONAndCSVGiveSameSeries exports the same simulated data once as JSON
// and once as CSV, twice each with a swing in between: the values
// (clari_forecast_value), row counts (clari_export_rows) and swings must be
// identical, labels included (both use the field's display name).
func TestJSONAndCSVGiveSameSeries(t *testing.T) {
	t.Parallel()
	run := func(format clari.ExportFormat) runner.Target {
		e := newEnv(t, envOptions{forecasts: []string{"net_arr"}, config: func(c *config.Config) {
			c.Forecasts[0].ExportFormat = string(format)
			c.Forecasts[0].TypesToExport = clari.AllDataTypes
			c.Schedule.CurrentInterval = model.Duration(time.Minute)
		}})
		r := e.runner(nil)
		runUntil(t, r, "first export", allRan(1))
		must(t, e.sim.Swing("net_arr", 1.3))
		e.clock.Advance(2 * time.Minute)
		es := runUntil(t, r, "second export", allRan(2))
		for _, j := range e.sim.Jobs() {
			if j.Params.Format != format {
				t.Fatalf("job %s exported %s, want %s", j.Job.JobID, j.Params.Format, format)
			}
		}
		return target(t, es, "net_arr")
	}
	fromJSON, fromCSV := run(clari.FormatJSON), run(clari.FormatCSV)
	if !fromJSON.LastRunSuccess || !fromCSV.LastRunSuccess {
		t.Fatalf("success JSON %v CSV %v (failures %v / %v)", fromJSON.LastRunSuccess, fromCSV.LastRunSuccess, fromJSON.Failures, fromCSV.Failures)
	}
	wantRows := testUsers * testFields * len(clari.AllDataTypes)
	if fromJSON.Latest.Rows != wantRows || fromCSV.Latest.Rows != fromJSON.Latest.Rows {
		t.Errorf("rows JSON %v CSV %v, want both %v", fromJSON.Latest.Rows, fromCSV.Latest.Rows, wantRows)
	}
	if len(fromJSON.Latest.Totals) != testFields*len(clari.AllDataTypes) || !reflect.DeepEqual(fromJSON.Latest.Totals, fromCSV.Latest.Totals) {
		t.Errorf("values differ:\nJSON %+v\nCSV  %+v", fromJSON.Latest.Totals, fromCSV.Latest.Totals)
	}
	for _, v := range fromJSON.Latest.Totals {
		if v.Field != clarisim.FieldName(0) && v.Field != clarisim.FieldName(1) {
			t.Errorf("value labelled %q, want a field display name", v.Field)
		}
	}
	if len(fromJSON.Swings) != testFields || !reflect.DeepEqual(fromJSON.Swings, fromCSV.Swings) {
		t.Errorf("swings differ:\nJSON %+v\nCSV  %+v", fromJSON.Swings, fromCSV.Swings)
	}
	for _, sw := range fromJSON.Swings {
		if !near(sw.Ratio, 0.3, 1e-3) {
			t.Errorf("swing of %s = %v, want ≈ 0.3", sw.Field, sw.Ratio)
		}
	}
}

// TestCSVOutsideRequestedQuarterIsPeriodMismatch: CSV has no period column;
// a quarter the tenant cannot export falls back to the current one, and
// the rows' Start Days (placed by the fiscal calendar) show it.
func TestCSVOutsideRequestedQuarterIsPeriodMismatch(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{
		forecasts: []string{"net_arr"},
		tenant:    func(ts *clarisim.TenantSpec) { ts.Quarters = 1 },
		config: func(c *config.Config) {
			c.Forecasts[0].HistoricalQuarters = 1
			c.Forecasts[0].ExportFormat = string(clari.FormatCSV)
		},
	})
	es := runUntil(t, e.runner(nil), "every target ran", allRan(1))
	cal := e.config().FiscalCalendar
	cur := cal.PeriodAt(e.clock.Now())
	if ts := targetPeriod(t, es, "net_arr", cur.Label()); !ts.LastRunSuccess || sum(ts.Failures) != 0 {
		t.Errorf("%s: success %v failures %v, want success", cur.Label(), ts.LastRunSuccess, ts.Failures)
	}
	prev := cal.Shift(cur, -1).Label()
	ts := targetPeriod(t, es, "net_arr", prev)
	if ts.Failures["period_mismatch"] != 1 || sum(ts.Failures) != 1 || ts.HasSnapshot() {
		t.Errorf("%s: failures %v snapshot %v, want one period_mismatch", prev, ts.Failures, ts.HasSnapshot())
	}
	fellBack := 0
	for _, j := range e.sim.Jobs() {
		if j.FellBack && j.Params.Format == clari.FormatCSV {
			fellBack++
		}
	}
	if fellBack != 1 {
		t.Errorf("%d CSV jobs fell back, want 1", fellBack)
	}
}
