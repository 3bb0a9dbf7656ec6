package clari_test

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/clari-exporter/clari_exporter/clari"
	"github.com/clari-exporter/clari_exporter/clari/clarisim"
)

// TestDecodeSimulatorJSONAndCSVAgree decodes the simulator's JSON and CSV
// renderings of the same export and checks they give the same entries once
// the JSON ids are mapped to the CSV's conventions (clarisim/doc.go):
// userId → users[].crmId, fieldId → fields[].fieldName. UpdatedOn and
// Currency are not in the CSV and are compared only on the JSON side.
func TestDecodeSimulatorJSONAndCSVAgree(t *testing.T) {
	for _, tc := range []struct {
		currency  string
		crlf, bom bool
	}{{"USD", false, false}, {"EUR", true, false}, {"CHF", false, true}, {"JPY", true, true}, {"CAD", false, false}} {
		currency := tc.currency
		t.Run(currency, func(t *testing.T) {
			spec := clarisim.TenantSpec{Users: 7, Fields: 5, Weeks: 13, Quarters: 2, Currency: currency}
			params := clarisim.ExportParams{ForecastID: "net_arr", Period: "2027_Q3", Types: clari.AllDataTypes, IncludeHistorical: true,
				CSVCRLF: tc.crlf, CSVBOM: tc.bom}
			var jsonDoc, csvDoc bytes.Buffer
			if err := clarisim.WriteResultJSON(&jsonDoc, spec, params, 42); err != nil {
				t.Fatal(err)
			}
			if err := clarisim.WriteResultCSV(&csvDoc, spec, params, 42); err != nil {
				t.Fatal(err)
			}

			var fromJSON, fromCSV []clari.Entry
			crmID, fieldName := map[string]string{}, map[string]string{}
			err := clari.DecodeJSON(&jsonDoc, clari.Visitor{
				Entry: func(e *clari.Entry) error { fromJSON = append(fromJSON, *e); return nil },
				User:  func(u clari.User) error { crmID[u.UserID] = u.CRMID; return nil },
				Field: func(f clari.Field) error { fieldName[f.FieldID] = f.FieldName; return nil },
			})
			if err != nil {
				t.Fatalf("DecodeJSON: %v", err)
			}
			if err := clari.DecodeCSV(&csvDoc, clari.Visitor{PeriodOf: spec.PeriodOf, Entry: func(e *clari.Entry) error { fromCSV = append(fromCSV, *e); return nil }}); err != nil {
				t.Fatalf("DecodeCSV: %v", err)
			}
			if len(fromJSON) == 0 || len(fromJSON) != len(fromCSV) {
				t.Fatalf("JSON gave %d entries, CSV %d", len(fromJSON), len(fromCSV))
			}
			nulls := 0
			for i, j := range fromJSON {
				if j.Currency != currency || j.UpdatedOn <= 0 {
					t.Fatalf("JSON entry %d: currency %q updatedOn %d", i, j.Currency, j.UpdatedOn)
				}
				if !j.HasValue {
					nulls++
				}
				j.UserID, j.FieldID = crmID[j.UserID], fieldName[j.FieldID]
				j.UpdatedOn, j.Currency = 0, ""
				if c := fromCSV[i]; j != c {
					t.Fatalf("entry %d: JSON %+v, CSV %+v", i, j, c)
				}
			}
			if nulls == 0 {
				t.Errorf("no null values in %d entries: the null path is not exercised", len(fromJSON))
			}
		})
	}
}

// BenchmarkDecodeSimulatorJSON decodes a ~100 MiB document of the
// simulator (an independent generator, unlike the one of
// BenchmarkDecodeJSON) from a temporary file.
func BenchmarkDecodeSimulatorJSON(b *testing.B) {
	params := clarisim.ExportParams{ForecastID: "net_arr", Period: "2027_Q3", Types: clari.AllDataTypes, IncludeHistorical: true}
	spec := clarisim.TenantSpec{Users: 10, Fields: 10, Weeks: 13, Quarters: 2}
	// Scale the users from the size of a small document to reach 100 MiB.
	var probe bytes.Buffer
	if err := clarisim.WriteResultJSON(&probe, spec, params, 1); err != nil {
		b.Fatal(err)
	}
	spec.Users = (100<<20)/(probe.Len()/spec.Users) + 1

	path := filepath.Join(b.TempDir(), "sim.json")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	if err := clarisim.WriteResultJSON(f, spec, params, 1); err != nil {
		b.Fatal(err)
	}
	st, err := f.Stat()
	if err != nil {
		b.Fatal(err)
	}
	entries := 0
	v := clari.Visitor{Entry: func(*clari.Entry) error { entries++; return nil }, PeriodOf: clarisim.TenantSpec{}.PeriodOf}
	b.SetBytes(st.Size())
	b.ReportAllocs()
	cpu0 := clari.ProcessCPUForBench(b)
	b.ResetTimer()
	for range b.N {
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			b.Fatal(err)
		}
		if err := clari.DecodeJSON(f, v); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	if cpu := clari.ProcessCPUForBench(b) - cpu0; cpu > 0 {
		b.ReportMetric(float64(st.Size())*float64(b.N)/cpu.Seconds()/1e6, "cpu-MB/s")
	}
	b.ReportMetric(float64(entries)/float64(b.N), "entries/op")
}

// TestDecodeCSVWeekZeroAndSharedPersons is issue 19's acceptance for CSV as
// Clari writes it, on a February-year tenant with weekday-aligned weeks: a
// quarter whose Week 0 starts before it (and whose last week ends after
// it), and persons in two hierarchy nodes, give the same rows, users and
// totals from the CSV as from the JSON export of the same data, every row
// in the requested quarter and no row lost as a duplicate.
func TestDecodeCSVWeekZeroAndSharedPersons(t *testing.T) {
	spec := clarisim.TenantSpec{Users: 30, Fields: 3, SharedEvery: 7}.WithFebruaryYear().WithDefaults()
	now := time.Date(2026, 12, 8, 10, 0, 0, 0, time.UTC)
	shared := 0
	for i := range spec.Users {
		if spec.SharesPerson(i) {
			shared++
		}
	}
	if shared == 0 {
		t.Fatal("the tenant has no person in two hierarchy nodes")
	}
	for _, period := range []string{"2027_Q3", "2027_Q4"} { // a whole past quarter, the current one so far
		t.Run(period, func(t *testing.T) {
			params := clarisim.ExportParams{ForecastID: "net_arr", Period: period, Types: clari.AllDataTypes, IncludeHistorical: true, Now: now}
			q, err := clarisim.ParsePeriod(period, spec.FiscalStartMonth)
			if err != nil {
				t.Fatal(err)
			}
			if !spec.FirstWeekStart(q).Before(q.Start) {
				t.Fatalf("%s: week 0 starts %s, not before the quarter (%s): the case is not exercised", period, spec.FirstWeekStart(q), q.Start)
			}
			var jsonDoc, csvDoc bytes.Buffer
			if err := clarisim.WriteResultJSON(&jsonDoc, spec, params, 7); err != nil {
				t.Fatal(err)
			}
			if err := clarisim.WriteResultCSV(&csvDoc, spec, params, 7); err != nil {
				t.Fatal(err)
			}
			fieldName := map[string]string{}
			fromJSON, fromCSV := newTally(), newTally()
			err = clari.DecodeJSON(&jsonDoc, clari.Visitor{
				Entry: func(e *clari.Entry) error { fromJSON.add(e); return nil },
				Field: func(f clari.Field) error { fieldName[f.FieldID] = f.FieldName; return nil },
			})
			if err != nil {
				t.Fatalf("DecodeJSON: %v", err)
			}
			if err := clari.DecodeCSV(&csvDoc, clari.Visitor{PeriodOf: spec.PeriodOf, Entry: func(e *clari.Entry) error { fromCSV.add(e); return nil }}); err != nil {
				t.Fatalf("DecodeCSV: %v", err)
			}
			if fromJSON.rows == 0 || fromCSV.rows != fromJSON.rows || len(fromCSV.keys) != fromCSV.rows || len(fromJSON.keys) != fromJSON.rows {
				t.Fatalf("rows: JSON %d (%d distinct keys), CSV %d (%d distinct keys)", fromJSON.rows, len(fromJSON.keys), fromCSV.rows, len(fromCSV.keys))
			}
			if len(fromJSON.users) != spec.Users || len(fromCSV.users) != spec.Users {
				t.Errorf("users: JSON %d, CSV %d, tenant %d (%d of them a second node of a person)", len(fromJSON.users), len(fromCSV.users), spec.Users, shared)
			}
			for _, tl := range []*tally{fromJSON, fromCSV} {
				if len(tl.periods) != 1 || tl.periods[period] != tl.rows {
					t.Errorf("periods %v, want every row in %s", tl.periods, period)
				}
			}
			if len(fromCSV.weeks) != len(fromJSON.weeks) || fromCSV.weeks["TF:"+spec.FirstWeekStart(q).Format("2006-01-02")] == 0 {
				t.Errorf("weeks: JSON %d, CSV %d (week 0 %s)", len(fromJSON.weeks), len(fromCSV.weeks), spec.FirstWeekStart(q).Format("2006-01-02"))
			}
			for k, v := range fromJSON.totals {
				k.field = fieldName[k.field]
				if d := fromCSV.totals[k] - v; d > 0.005 || d < -0.005 {
					t.Errorf("total %v: JSON %.2f, CSV %.2f", k, v, fromCSV.totals[k])
				}
			}
		})
	}
}

// tally is what the acceptance compares of a decoded document.
type tally struct {
	rows    int
	keys    map[string]bool // user × field × week × type
	users   map[string]bool
	weeks   map[string]int
	periods map[string]int
	totals  map[fieldType]float64
}

type fieldType struct{ field, dataType string }

func newTally() *tally {
	return &tally{keys: map[string]bool{}, users: map[string]bool{}, weeks: map[string]int{}, periods: map[string]int{}, totals: map[fieldType]float64{}}
}

func (t *tally) add(e *clari.Entry) {
	t.rows++
	t.keys[e.UserID+"\x00"+e.FieldID+"\x00"+e.TimeFrameID+"\x00"+e.DataType] = true
	t.users[e.UserID] = true
	t.weeks[e.TimeFrameID]++
	t.periods[e.TimePeriodID]++
	t.totals[fieldType{e.FieldID, e.DataType}] += e.Value
}
