package warehouse

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/clari-exporter/clari_exporter/warehouse/checkstate"
)

// TestPublishedStateSaysWhatWasMeasured: the published value carries each
// check's outcome, leaves the table's numbers unmeasured when connect
// failed, and lists the sink's loads in forecast order.
func TestPublishedStateSaysWhatWasMeasured(t *testing.T) {
	ranAt := time.Date(2027, 3, 1, 6, 0, 0, 0, time.UTC) // a February fiscal year's first month
	loads := map[string]SinkLoads{"net_arr": {LastSucceeded: true}, "bookings": {Failures: 2, CurrencyConflicts: 7}}

	if st := publish(Result{}, "t", time.Hour, loads, 0, 0); !st.RanAt.IsZero() || st.Measured || st.Reconciled || len(st.Checks) != 0 {
		t.Errorf("never ran: %+v, want nothing measured and no checks", st)
	}

	res := Result{RanAt: ranAt, DuplicateKeys: 2, SurplusRows: 5, BeyondRetention: []string{"2024_Q1", "2024_Q2"},
		MissingPeriods: []string{"2027_Q1"}, LastLoad: ranAt.Add(-time.Hour),
		Reconciliations: []Reconciliation{{Forecast: "net_arr", Period: "2027_Q1", Expected: 10, Actual: 9, MismatchRatio: 0.1}},
		Errors:          map[string]error{CheckRetention: errors.New("boom")}}
	st := publish(res, "clari_forecast_entries", 48*time.Hour, loads, 480, 96)
	want := checkstate.State{
		Table: "clari_forecast_entries", MaxLoadAge: 48 * time.Hour, RanAt: ranAt,
		SinkLoads: []checkstate.SinkLoad{
			{Forecast: "bookings", Failures: 2, CurrencyConflicts: 7},
			{Forecast: "net_arr", LastSucceeded: true},
		},
		Checks: []checkstate.Check{
			{Name: CheckConnect, Success: true}, {Name: CheckReconciliation, Success: true},
			{Name: CheckDuplicates, Success: true}, {Name: CheckRetention, Success: false}, {Name: CheckFreshness, Success: true},
		},
		Reconciliations: res.Reconciliations, Measured: true, DuplicateKeys: 2, SurplusRows: 5,
		PeriodsBeyondRetention: 2, RetentionRowsBeyond: 480, RetentionRowsDeleted: 96,
		LastLoad: ranAt.Add(-time.Hour), Reconciled: true, MissingPeriods: 1,
	}
	if !reflect.DeepEqual(st, want) {
		t.Errorf("published\n%+v\nwant\n%+v", st, want)
	}

	res.Errors = map[string]error{CheckConnect: errors.New("connection refused")}
	st = publish(res, "clari_forecast_entries", 0, nil, 0, 0)
	if st.Measured || st.Reconciled {
		t.Errorf("connect failed: measured %v, reconciled %v; want neither", st.Measured, st.Reconciled)
	}
	for _, c := range st.Checks {
		if c.Success {
			t.Errorf("connect failed but check %s published as a success", c.Name)
		}
	}
}
