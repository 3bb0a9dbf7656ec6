package clari

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"
)

// checkDecodeResult is the invariant of both fuzz targets: no panic (the
// fuzzer catches those), and the error is nil or a *DecodeError whose
// offset lies inside the input and whose entry index is plausible.
func checkDecodeResult(t *testing.T, format string, data []byte, err error) {
	t.Helper()
	if err == nil {
		return
	}
	de, ok := err.(*DecodeError)
	if !ok {
		t.Fatalf("error %v is a %T, want *DecodeError", err, err)
	}
	if de.Format != format || de.Offset < 0 || de.Offset > int64(len(data)) || de.Entry < -1 || de.Err == nil {
		t.Fatalf("implausible DecodeError %+v for %d bytes", de, len(data))
	}
	if de.Error() == "" {
		t.Fatal("empty error message")
	}
}

func FuzzDecodeJSON(f *testing.F) {
	f.Add(genJSON(f, genSpec{users: 2, fields: 2, periods: 1, weeks: 2}))
	f.Add([]byte(`{"entries":[` + oneEntry + `]}`))
	f.Add([]byte(`{"users":[{"userId":1905,"name":"Ren\u00e9e \"RJ\"","hierarchyId":null}],"entries":[{"userId":"u","forecastValue":"123.5","isUpdated":true,"currency":"EUR","meta":{"a":[1,-2.5e-3,{"b":[]}]}}]}`))
	f.Add([]byte(`{"entries":[{"forecastValue":null,"quotaValue":1e999}]}`))
	f.Add([]byte(`{"x":"\ud83d\ude00\ud83d","entries":null}`))
	f.Add([]byte(`{"entries":[{},`))
	f.Fuzz(func(t *testing.T, data []byte) {
		entries := 0
		err := DecodeJSON(bytes.NewReader(data), Visitor{
			Entry: func(e *Entry) error {
				entries++
				if e.DataType == "" {
					t.Fatalf("entry without a data type: %+v", e)
				}
				return nil
			},
		})
		checkDecodeResult(t, "JSON", data, err)
		// The scanner must not accept what is not JSON. (json.Valid does
		// not check UTF-8 either, so the two agree on that.)
		if err == nil && !json.Valid(data) {
			t.Fatalf("DecodeJSON accepted invalid JSON %q", data)
		}
		var de *DecodeError
		if errors.As(err, &de) && de.Entry >= 0 && entries > de.Entry*6 {
			t.Fatalf("error in entry %d after %d entries were emitted (at most 6 per item)", de.Entry, entries)
		}
	})
}

func FuzzDecodeCSV(f *testing.F) {
	var doc bytes.Buffer
	if err := writeGenCSV(&doc, genSpec{users: 1, fields: 1, periods: 1, weeks: 2}); err != nil {
		f.Fatal(err)
	}
	f.Add(doc.Bytes())
	// Clari's documented sample shape: month-label Timeframe, display-name
	// Field, 0-based Week, MM/DD/YYYY days, "Forecast Value" labels and
	// formatted values.
	f.Add([]byte(csvHeader +
		`Jane Doe,jane@x.io,005A,AE,Mgr,July FY 2023,Monthly Commit,0,06/30/2023,07/06/2023,Forecast Value,"$3,000,190.00"` + "\n" +
		`Jane Doe,jane@x.io,005A,AE,Mgr,July FY 2023,Monthly Commit,0,06/30/2023,07/06/2023,Forecast Updated,No` + "\n" +
		`Jane Doe,jane@x.io,005A,AE,Mgr,July FY 2023,Monthly Commit,1,07/07/2023,07/13/2023,Forecast Value,` + "\n" +
		`Jane Doe,jane@x.io,005A,AE,Mgr,July FY 2023,Monthly Commit,1,07/07/2023,07/13/2023,Pipeline Coverage,$1.00` + "\n"))
	f.Add([]byte(csvHeader + `"Doe, Jane",jane@x.io,005A,AE,Mgr,October FY 2026,Commit,0,10/05/2026,10/11/2026,Adjustment Value,"-$1,234.50"` + "\n"))
	f.Add([]byte("\ufeffdata value, start day ,Extra,TIMEFRAME,Field,crm user id,Email,Data Type\r\n($5.00),2026-01-12,y,2026_Q1,Best Case,007B,bob@x.io,crm_closed\r\n"))
	f.Add([]byte("Email,Timeframe,Field,Start Day,Data Type,Data Value\na,P,F,1/1/2026,Quota,US$ 12\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		err := DecodeCSV(bytes.NewReader(data), Visitor{PeriodOf: calendarQuarter, Entry: func(e *Entry) error {
			if e.DataType == "" || (e.HasValue && e.Value != e.Value) || len(e.TimePeriodID) != len("2026_Q4") {
				t.Fatalf("bad entry %+v", e)
			}
			return nil
		}, UnknownDataType: func(label string, rows int) error {
			if rows < 1 {
				t.Fatalf("unknown label %q reported with %d rows", label, rows)
			}
			return nil
		}})
		checkDecodeResult(t, "CSV", data, err)
	})
}
