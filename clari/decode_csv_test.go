package clari

import (
	"bytes"
	"errors"
	"io"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"
)

const csvHeader = "User,Email,CRM User ID,Role,Parent Role,Timeframe,Field,Week,Start Day,End Day,Data Type,Data Value\n"

func decodeCSVString(t *testing.T, doc string) ([]Entry, error) {
	t.Helper()
	var c collected
	err := DecodeCSV(strings.NewReader(doc), c.visitor())
	return c.Entries, err
}

func TestDecodeCSVRows(t *testing.T) {
	e := func(user, field, period, week, dt string, v float64, has bool) Entry {
		return Entry{UserID: user, FieldID: field, TimePeriodID: period, TimeFrameID: week, DataType: dt, Value: v, HasValue: has}
	}
	tests := []struct {
		name string
		doc  string
		want []Entry
	}{
		{"documented shape", csvHeader +
			`"Doe, Jane",jane@x.io,005A,AE,Mgr,October FY 2026,Commit,0,10/05/2026,10/11/2026,Forecast Value,"$3,000,190.00"` + "\n" +
			`"Doe, Jane",jane@x.io,005A,AE,Mgr,October FY 2026,Commit,0,10/05/2026,10/11/2026,Adjustment Value,"-$1,234.50"` + "\n" +
			`"Doe, Jane",jane@x.io,005A,AE,Mgr,October FY 2026,Commit,0,10/05/2026,10/11/2026,Forecast Updated,No` + "\n" +
			`"Doe, Jane",jane@x.io,005A,AE,Mgr,October FY 2026,Commit,0,10/05/2026,10/11/2026,Forecast Updated,Yes` + "\n" +
			`"Doe, Jane",jane@x.io,005A,AE,Mgr,October FY 2026,Commit,0,10/05/2026,10/11/2026,Quota,` + "\n",
			[]Entry{
				e("005A", "Commit", "2026_Q4", "TF:2026-10-05", DataForecast, 3000190, true),
				e("005A", "Commit", "2026_Q4", "TF:2026-10-05", DataAdjustment, -1234.5, true),
				e("005A", "Commit", "2026_Q4", "TF:2026-10-05", DataForecastUpdated, 0, true),
				e("005A", "Commit", "2026_Q4", "TF:2026-10-05", DataForecastUpdated, 1, true),
				e("005A", "Commit", "2026_Q4", "TF:2026-10-05", DataQuota, 0, false),
			}},
		{"columns reordered, renamed case, extra columns, BOM, CRLF",
			"\ufeffdata value, start day ,Extra,TIMEFRAME,Field,crm user id,Email,Data Type\r\n" +
				"1234.5,1/5/2026,x,2026_Q1,Best Case,,bob@x.io,CRM Total\r\n" +
				"($5.00),2026-01-12,y,2026_Q1,Best Case,007B,bob@x.io,crm_closed\r\n",
			[]Entry{
				e("bob@x.io", "Best Case", "2026_Q1", "TF:2026-01-05", DataCRMTotal, 1234.5, true),
				e("007B", "Best Case", "2026_Q1", "TF:2026-01-12", DataCRMClosed, -5, true),
			}},
		{"only Email, no CRM User ID column", "Email,Timeframe,Field,Start Day,Data Type,Data Value\nann@x.io,2026_Q4,Commit,12/28/2026,Quota,\"€1,234.00\"\n",
			[]Entry{e("ann@x.io", "Commit", "2026_Q4", "TF:2026-12-28", DataQuota, 1234, true)}},
		{"value forms", "Email,Timeframe,Field,Start Day,Data Type,Data Value\n" +
			"a,P,F,01/01/2026,Quota,$-7.25\n" +
			"a,P,F,01/01/2026,Quota,US$ 12\n" +
			"a,P,F,01/01/2026,Quota,  \n" +
			"a,P,F,01/01/2026,Quota,TRUE\n" +
			"a,P,F,01/01/2026,Quota,1e3\n",
			[]Entry{
				e("a", "F", "2026_Q1", "TF:2026-01-01", DataQuota, -7.25, true),
				e("a", "F", "2026_Q1", "TF:2026-01-01", DataQuota, 12, true),
				e("a", "F", "2026_Q1", "TF:2026-01-01", DataQuota, 0, false),
				e("a", "F", "2026_Q1", "TF:2026-01-01", DataQuota, 1, true),
				e("a", "F", "2026_Q1", "TF:2026-01-01", DataQuota, 1000, true),
			}},
		// Only "Forecast Value" and "Forecast Updated" are documented: for
		// the others both "X" and "X Value" are accepted.
		{"X and X Value labels", "Email,Field,Start Day,Data Type,Data Value\n" +
			"a,F,07/06/2023,Forecast,1\n" +
			"a,F,07/06/2023,forecast value,2\n" +
			"a,F,07/06/2023,Quota Value,3\n" +
			"a,F,07/06/2023,Adjustment,4\n" +
			"a,F,07/06/2023,CRM Total Value,5\n" +
			"a,F,07/06/2023,CRM Closed,6\n" +
			"a,F,07/06/2023,Forecast Updated Value,Yes\n",
			[]Entry{
				e("a", "F", "2023_Q3", "TF:2023-07-06", DataForecast, 1, true),
				e("a", "F", "2023_Q3", "TF:2023-07-06", DataForecast, 2, true),
				e("a", "F", "2023_Q3", "TF:2023-07-06", DataQuota, 3, true),
				e("a", "F", "2023_Q3", "TF:2023-07-06", DataAdjustment, 4, true),
				e("a", "F", "2023_Q3", "TF:2023-07-06", DataCRMTotal, 5, true),
				e("a", "F", "2023_Q3", "TF:2023-07-06", DataCRMClosed, 6, true),
				e("a", "F", "2023_Q3", "TF:2023-07-06", DataForecastUpdated, 1, true),
			}},
		{"header only is an empty export", csvHeader, nil},
		// Weeks are weekday-aligned: Clari's sample has a Week 0 from
		// 06/30/2023 in a quarter starting 07/01, and the last week may end
		// after the quarter. Both belong to the quarter by their week.
		{"week 0 before the quarter, last week after it", csvHeader +
			"U,u@x.io,005A,West,Sales,June FY 2023,Commit,0,06/30/2023,07/06/2023,Forecast Value,$1.00\n" +
			"U,u@x.io,005A,West,Sales,July FY 2023,Commit,Week 0,06/30/2023,07/06/2023,Forecast Value,$2.00\n" +
			"U,u@x.io,005A,West,Sales,July FY 2023,Commit,4,07/28/2023,08/03/2023,Forecast Value,$3.00\n" +
			"U,u@x.io,005A,West,Sales,September FY 2023,Commit,13,09/29/2023,10/05/2023,Forecast Value,$4.00\n",
			[]Entry{
				e("005A", "Commit", "2023_Q3", "TF:2023-06-30", DataForecast, 1, true),
				e("005A", "Commit", "2023_Q3", "TF:2023-06-30", DataForecast, 2, true),
				e("005A", "Commit", "2023_Q3", "TF:2023-07-28", DataForecast, 3, true),
				e("005A", "Commit", "2023_Q3", "TF:2023-09-29", DataForecast, 4, true),
			}},
		{"no Week column: dated by Start Day", "Email,Field,Start Day,Data Type,Data Value\na,F,06/30/2023,Quota,1\n",
			[]Entry{e("a", "F", "2023_Q2", "TF:2023-06-30", DataQuota, 1, true)}},
		// One person (CRM id 005A) in two hierarchy nodes is two users: the
		// first node keeps the CRM id, the other is keyed by its node.
		{"a person in two hierarchy nodes", csvHeader +
			"Ann,a@x.io,005A,West,Sales,P,F,1,07/07/2023,07/13/2023,Quota,1\n" +
			"Ann,a@x.io,005A,East,Sales,P,F,1,07/07/2023,07/13/2023,Quota,2\n" +
			"Bob,b@x.io,005B,East,Sales,P,F,1,07/07/2023,07/13/2023,Quota,3\n" +
			"Ann,a@x.io,005A,West,Sales,P,F,2,07/14/2023,07/20/2023,Quota,4\n" +
			"Ann,a@x.io,005A, East ,Sales,P,F,2,07/14/2023,07/20/2023,Quota,5\n",
			[]Entry{
				e("005A", "F", "2023_Q3", "TF:2023-07-07", DataQuota, 1, true),
				e("005A|East", "F", "2023_Q3", "TF:2023-07-07", DataQuota, 2, true),
				e("005B", "F", "2023_Q3", "TF:2023-07-07", DataQuota, 3, true),
				e("005A", "F", "2023_Q3", "TF:2023-07-14", DataQuota, 4, true),
				e("005A|East", "F", "2023_Q3", "TF:2023-07-14", DataQuota, 5, true),
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := decodeCSVString(t, tt.doc)
			if err != nil {
				t.Fatalf("DecodeCSV: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

// TestDecodeCSVUnknownDataType: rows of an unknown label are skipped and
// reported once per label, with their count, after the document.
func TestDecodeCSVUnknownDataType(t *testing.T) {
	row := func(dt string) string { return "u,e,c,r,p,P,F,0,01/01/2026,01/07/2026," + dt + ",$5.00\n" }
	doc := csvHeader + row("Pipeline Coverage") + row("Forecast Value") + row("Pipeline Coverage") + row("Best Guess") + row("Pipeline Coverage")
	var c collected
	if err := DecodeCSV(strings.NewReader(doc), c.visitor()); err != nil {
		t.Fatal(err)
	}
	if len(c.Entries) != 1 || c.Entries[0].DataType != DataForecast {
		t.Errorf("entries %+v, want the one forecast row", c.Entries)
	}
	if want := []string{"Pipeline Coverage=3", "Best Guess=1"}; !reflect.DeepEqual(c.Unknown, want) {
		t.Errorf("unknown labels reported %q, want %q", c.Unknown, want)
	}
	// Many distinct labels stay bounded.
	var b strings.Builder
	b.WriteString(csvHeader)
	for i := range 100 {
		b.WriteString(row("Label " + strconv.Itoa(i)))
	}
	c = collected{}
	if err := DecodeCSV(strings.NewReader(b.String()), c.visitor()); err != nil {
		t.Fatal(err)
	}
	if len(c.Unknown) != maxUnknownLabels || c.Unknown[maxUnknownLabels-1] != otherLabels+"=85" {
		t.Errorf("unknown labels %q, want %d with the last one counting the rest", c.Unknown, maxUnknownLabels)
	}
}

func TestDecodeCSVErrors(t *testing.T) {
	row := func(date, dt, value string) string {
		return "u,e,c,r,p,2026_Q4,Commit,W1," + date + ",x," + dt + "," + value + "\n"
	}
	tests := []struct {
		name  string
		doc   string
		line  int
		entry int
		msg   string
	}{
		{"empty", "", 1, -1, "header line is missing"},
		{"missing Data Value", "User,Email,CRM User ID,Timeframe,Field,Start Day,Data Type\n", 1, -1, `missing column "Data Value"`},
		{"missing both user columns", "User,Timeframe,Field,Start Day,Data Type,Data Value\n", 1, -1, `missing column "CRM User ID" (or "Email")`},
		{"bad value", csvHeader + row("10/05/2026", "Forecast", "1") + row("10/05/2026", "Forecast", "abc"), 3, 1, `column "Data Value": invalid value "abc"`},
		// European format is not guessed at: an error, not 1.234.
		{"European format", csvHeader + row("10/05/2026", "Forecast", `"€1.234,00"`), 2, 0, `invalid value "€1.234,00"`},
		{"misplaced comma", csvHeader + row("10/05/2026", "Forecast", `"12,34"`), 2, 0, `invalid value "12,34"`},
		{"double sign", csvHeader + row("10/05/2026", "Forecast", "--5"), 2, 0, `invalid value "--5"`},
		{"bad date", csvHeader + row("13/05/2026", "Forecast", "1"), 2, 0, `column "Start Day": invalid date "13/05/2026"`},
		{"empty date", csvHeader + row("", "Forecast", "1"), 2, 0, `invalid date ""`},
		{"short row", csvHeader + "u,e,c\n", 2, 0, "row has 3 columns, the header needs at least 12"},
		{"bare quote", csvHeader + "u,e\"x,c,r,p,P,F,W,01/01/2026,x,Quota,1\n", 2, 0, "bare \" in non-quoted-field"},
		{"truncated in quotes", csvHeader + `u,e,c,r,p,P,F,W,01/01/2026,x,Quota,"$1,0`, 2, 0, "(or the document is truncated)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := decodeCSVString(t, tt.doc)
			var de *DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("got %v (%T), want *DecodeError", err, err)
			}
			if de.Format != "CSV" || de.Line != tt.line || de.Entry != tt.entry {
				t.Errorf("got format %s line %d entry %d, want CSV line %d entry %d (%v)", de.Format, de.Line, de.Entry, tt.line, tt.entry, err)
			}
			if de.Offset < 0 || de.Offset > int64(len(tt.doc)) {
				t.Errorf("offset %d outside the document (%d bytes)", de.Offset, len(tt.doc))
			}
			if !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("error %q does not contain %q", err, tt.msg)
			}
		})
	}
}

func TestDecodeCSVRowOffset(t *testing.T) {
	good := "u,e,c,r,p,P,F,W,01/01/2026,x,Quota,1\n"
	doc := csvHeader + good + "u,e,c,r,p,P,F,W,01/01/2026,x,Quota,oops\n"
	_, err := decodeCSVString(t, doc)
	var de *DecodeError
	if !errors.As(err, &de) || de.Offset != int64(len(csvHeader)+len(good)) {
		t.Fatalf("got %v, want the bad row's start offset %d", err, len(csvHeader)+len(good))
	}
}

func TestDecodeCSVReaderAndVisitorErrors(t *testing.T) {
	boom := errors.New("connection reset")
	doc := csvHeader + strings.Repeat("u,e,c,r,p,P,F,W,01/01/2026,x,Quota,1\n", 10)
	err := DecodeCSV(io.MultiReader(strings.NewReader(doc[:200]), iotest.ErrReader(boom)), Visitor{PeriodOf: calendarQuarter})
	var de *DecodeError
	if !errors.As(err, &de) || !errors.Is(err, boom) {
		t.Fatalf("got %v, want a DecodeError wrapping the read error", err)
	}

	stop := errors.New("stop")
	calls := 0
	err = DecodeCSV(strings.NewReader(doc), Visitor{PeriodOf: calendarQuarter, Entry: func(*Entry) error { calls++; return stop }})
	if err != stop || calls != 1 {
		t.Fatalf("got %v after %d calls, want the visitor's error as is after 1", err, calls)
	}
}

// TestDecodeCSVMatchesJSON decodes the generator's JSON and CSV renderings
// of one tenant and checks they give the same entries once JSON ids are
// mapped to the CSV's (userId → crmId, fieldId → fieldName).
func TestDecodeCSVMatchesJSON(t *testing.T) {
	g := genSpec{users: 3, fields: 2, periods: 2, weeks: 13}
	var jsonDoc, csvDoc bytes.Buffer
	if err := writeGenJSON(&jsonDoc, g); err != nil {
		t.Fatal(err)
	}
	if err := writeGenCSV(&csvDoc, g); err != nil {
		t.Fatal(err)
	}
	var fromJSON, fromCSV collected
	if err := DecodeJSON(&jsonDoc, fromJSON.visitor()); err != nil {
		t.Fatal(err)
	}
	if err := DecodeCSV(iotest.OneByteReader(&csvDoc), fromCSV.visitor()); err != nil {
		t.Fatal(err)
	}
	assertSameEntries(t, &fromJSON, fromCSV.Entries)
}

// assertSameEntries compares JSON-decoded entries (mapped to CSV ids with
// the users and fields lists) with CSV-decoded ones, ignoring what CSV does
// not carry (UpdatedOn, Currency).
func assertSameEntries(t *testing.T, fromJSON *collected, fromCSV []Entry) {
	t.Helper()
	crmID := map[string]string{}
	for _, u := range fromJSON.Users {
		crmID[u.UserID] = u.CRMID
	}
	fieldName := map[string]string{}
	for _, f := range fromJSON.Fields {
		fieldName[f.FieldID] = f.FieldName
	}
	if len(fromJSON.Entries) == 0 || len(fromJSON.Entries) != len(fromCSV) {
		t.Fatalf("JSON gave %d entries, CSV %d", len(fromJSON.Entries), len(fromCSV))
	}
	for i, j := range fromJSON.Entries {
		j.UserID, j.FieldID = crmID[j.UserID], fieldName[j.FieldID]
		j.UpdatedOn, j.Currency = 0, ""
		if c := fromCSV[i]; j != c {
			t.Fatalf("entry %d: JSON %+v, CSV %+v", i, j, c)
		}
	}
}

func TestDecodeCSVAllocsPerRowBounded(t *testing.T) {
	var small, large bytes.Buffer
	row := "\"Doe, Jane\",jane@x.io,005A,AE,Mgr,2026_Q4,Commit,Week 1,10/05/2026,10/11/2026,Forecast,\"$3,000,190.00\"\n" +
		"\"Doe, Jane\",jane@x.io,005A,AE,Mgr,2026_Q4,Commit,Week 1,10/05/2026,10/11/2026,Forecast Updated,Yes\n"
	small.WriteString(csvHeader + strings.Repeat(row, 100))
	large.WriteString(csvHeader + strings.Repeat(row, 400))
	v := Visitor{Entry: func(*Entry) error { return nil }, PeriodOf: calendarQuarter}
	allocs := func(doc []byte) float64 {
		return testing.AllocsPerRun(3, func() {
			if err := DecodeCSV(bytes.NewReader(doc), v); err != nil {
				t.Fatal(err)
			}
		})
	}
	// encoding/csv allocates the record's string: one per row, no more.
	a, b := allocs(small.Bytes()), allocs(large.Bytes())
	if perRow := (b - a) / 600; perRow > 1.01 {
		t.Fatalf("%.2f allocations per row, want at most 1", perRow)
	}
}
