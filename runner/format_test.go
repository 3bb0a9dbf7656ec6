package runner_test

import (
	"context"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-kit/log"

	"github.com/prometheus/common/model"

	"github.com/clari-exporter/clari_exporter/clari"
	"github.com/clari-exporter/clari_exporter/clari/clarisim"
	"github.com/clari-exporter/clari_exporter/config"
	"github.com/clari-exporter/clari_exporter/internal/testlog"
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

// TestEveryRequestedDataTypeAccountedFor: with all six types requested,
// each has rows in the snapshot and the types sum to the export's rows; a
// type the simulator leaves out reads 0 and is logged as a warning.
func TestEveryRequestedDataTypeAccountedFor(t *testing.T) {
	t.Parallel()
	for _, format := range []clari.ExportFormat{clari.FormatJSON, clari.FormatCSV} {
		t.Run(string(format), func(t *testing.T) {
			t.Parallel()
			var logs testlog.Buffer
			e := newEnv(t, envOptions{forecasts: []string{"net_arr", "bookings"},
				config: func(c *config.Config) {
					for i := range c.Forecasts {
						c.Forecasts[i].TypesToExport = clari.AllDataTypes
						c.Forecasts[i].ExportFormat = string(format)
					}
				}})
			// bookings' exports leave crm_closed out (Clari accepting a type
			// and delivering none of it).
			es := runUntil(t, e.runner(func(o *runner.Options) {
				o.Logger = log.NewLogfmtLogger(&logs)
				o.API = omitFor{ExportAPI: o.API, sim: e.sim, forecast: "bookings", omit: clari.DataCRMClosed}
			}), "both ran", allRan(1))
			snaps, err := e.store.LatestSnapshots(context.Background())
			must(t, err)
			if len(snaps) != 2 {
				t.Fatalf("%d snapshots, want 2", len(snaps))
			}
			for _, s := range snaps {
				total := 0
				for _, dt := range clari.AllDataTypes {
					n, ok := s.RowsByDataType[dt]
					total += n
					switch {
					case !ok:
						t.Errorf("%s: requested type %s missing from %v", s.Forecast, dt, s.RowsByDataType)
					case s.Forecast == "bookings" && dt == clari.DataCRMClosed && n != 0:
						t.Errorf("%s: omitted type %s has %d rows", s.Forecast, dt, n)
					case !(s.Forecast == "bookings" && dt == clari.DataCRMClosed) && n != testUsers*testFields:
						t.Errorf("%s: type %s has %d rows, want %d", s.Forecast, dt, n, testUsers*testFields)
					}
				}
				if total != s.Rows || len(s.RowsByDataType) != len(clari.AllDataTypes) {
					t.Errorf("%s: types %v sum to %d, rows %d", s.Forecast, s.RowsByDataType, total, s.Rows)
				}
			}
			if ts := target(t, es, "bookings"); !ts.LastRunSuccess {
				t.Errorf("a missing type must not fail the export: %+v", ts.Failures)
			}
			// What the collector reads (clari_export_data_type_rows): six
			// series per target, bookings' crm_closed at 0.
			for _, f := range []string{"net_arr", "bookings"} {
				var got []string
				target(t, es, f).EachDataTypeRows(func(dt string, n int) { got = append(got, dt+"="+strconv.Itoa(n)) })
				per := strconv.Itoa(testUsers * testFields)
				want := []string{"adjustment=" + per, "crm_closed=" + per, "crm_total=" + per, "forecast=" + per, "forecast_updated=" + per, "quota=" + per}
				if f == "bookings" {
					want[1] = "crm_closed=0"
				}
				if !reflect.DeepEqual(got, want) {
					t.Errorf("%s: published rows per data type %v, want %v", f, got, want)
				}
			}
			warn := logs.Lines(`missing_data_types=crm_closed`)
			if len(warn) != 1 || !strings.Contains(warn[0], "forecast=bookings") || !strings.Contains(warn[0], "level=warn") {
				t.Errorf("want one warning naming bookings' missing crm_closed, got %q", warn)
			}
		})
	}
}

// omitFor makes the simulator leave a data type out of one forecast's
// exports (the scenario switch applies to every forecast).
type omitFor struct {
	runner.ExportAPI
	sim            *clarisim.Sim
	forecast, omit string
}

func (a omitFor) RunExport(ctx context.Context, req clari.ExportRequest, o clari.RunOptions) clari.RunResult {
	var omit []string
	if req.ForecastID == a.forecast {
		omit = []string{a.omit}
	}
	if err := a.sim.UpdateScenario(func(sc *clarisim.Scenario) { sc.OmitTypes = omit }); err != nil {
		return clari.RunResult{Outcome: clari.OutcomeAPIError, Err: err}
	}
	return a.ExportAPI.RunExport(ctx, req, o)
}
