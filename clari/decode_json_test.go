package clari

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"
	"time"
)

// collected is everything a Visitor saw.
type collected struct {
	Entries     []Entry
	Users       []User
	Fields      []Field
	TimePeriods []TimePeriod
	TimeFrames  []TimeFrame
	Unknown     []string // "label=rows" per unknown CSV data type
}

func (c *collected) visitor() Visitor {
	return Visitor{
		Entry:      func(e *Entry) error { c.Entries = append(c.Entries, *e); return nil },
		User:       func(u User) error { c.Users = append(c.Users, u); return nil },
		Field:      func(f Field) error { c.Fields = append(c.Fields, f); return nil },
		TimePeriod: func(p TimePeriod) error { c.TimePeriods = append(c.TimePeriods, p); return nil },
		TimeFrame:  func(t TimeFrame) error { c.TimeFrames = append(c.TimeFrames, t); return nil },
		PeriodOf:   calendarQuarter,
		UnknownDataType: func(label string, rows int) error {
			c.Unknown = append(c.Unknown, label+"="+strconv.Itoa(rows))
			return nil
		},
	}
}

// calendarQuarter is a fiscal calendar starting in January, for tests:
// 2026-10-05 is in 2026_Q4.
func calendarQuarter(d time.Time) string {
	return fmt.Sprintf("%04d_Q%d", d.Year(), (int(d.Month())-1)/3+1)
}

func decodeJSONString(t *testing.T, doc string) (*collected, error) {
	t.Helper()
	var c collected
	err := DecodeJSON(strings.NewReader(doc), c.visitor())
	return &c, err
}

const oneEntry = `{"userId":"u1","fieldId":"f1","timePeriodId":"2026_Q4","timeFrameId":"TF:2026-10-05","forecastValue":100.5,"updatedOn":1764000000000,"currency":{"code":"USD","symbol":"$"}}`

var wantOneEntry = Entry{UserID: "u1", FieldID: "f1", TimePeriodID: "2026_Q4", TimeFrameID: "TF:2026-10-05", DataType: DataForecast, Value: 100.5, HasValue: true, UpdatedOn: 1764000000000, Currency: "USD"}

func TestDecodeJSONVariants(t *testing.T) {
	with := func(f func(e *Entry)) Entry { e := wantOneEntry; f(&e); return e }
	tests := []struct {
		name string
		doc  string
		want collected
	}{
		{"one entry", `{"entries":[` + oneEntry + `]}`, collected{Entries: []Entry{wantOneEntry}}},
		{"empty export", `{"entries":[],"users":[],"fields":[],"timePeriods":[],"timeFrames":[]}`, collected{}},
		{"null lists", `{"entries":null,"users":null}`, collected{}},
		{"whitespace everywhere", " \n{ \"entries\" :\t[ \r\n" + strings.ReplaceAll(oneEntry, ",", " ,\n ") + " ] } \n", collected{Entries: []Entry{wantOneEntry}}},
		{"key order inside entry", `{"entries":[{"currency":{"symbol":"$","code":"USD"},"forecastValue":100.5,"updatedOn":1764000000000,"timeFrameId":"TF:2026-10-05","timePeriodId":"2026_Q4","fieldId":"f1","userId":"u1"}]}`,
			collected{Entries: []Entry{wantOneEntry}}},
		// aggregationTotal is the documented key of crm_total;
		// crmTotalValue (above) is still accepted.
		{"crm_total as aggregationTotal",
			`{"entries":[{"aggregationTotal":7.5,"userId":"u"},{"aggregationTotal":null,"userId":"u"}]}`,
			collected{Entries: []Entry{
				{UserID: "u", DataType: DataCRMTotal, Value: 7.5, HasValue: true},
				{UserID: "u", DataType: DataCRMTotal},
			}}},
		// Ids come as strings or numbers: userId, updatedBy (skipped) and
		// a users item's userId.
		{"numeric ids",
			`{"users":[{"userId":280627,"name":"A"}],"entries":[{"userId":280627,"fieldId":12,"updatedBy":100001,"forecastValue":1}]}`,
			collected{Users: []User{{UserID: "280627", Name: "A"}}, Entries: []Entry{
				{UserID: "280627", FieldID: "12", DataType: DataForecast, Value: 1, HasValue: true},
			}}},
		{"all data types in fixed order whatever the key order",
			`{"entries":[{"crmClosedValue":6,"crmTotalValue":5,"adjustmentValue":4,"isUpdated":true,"quotaValue":2,"forecastValue":1,"userId":"u"}]}`,
			collected{Entries: []Entry{
				{UserID: "u", DataType: DataForecast, Value: 1, HasValue: true},
				{UserID: "u", DataType: DataQuota, Value: 2, HasValue: true},
				{UserID: "u", DataType: DataForecastUpdated, Value: 1, HasValue: true},
				{UserID: "u", DataType: DataAdjustment, Value: 4, HasValue: true},
				{UserID: "u", DataType: DataCRMTotal, Value: 5, HasValue: true},
				{UserID: "u", DataType: DataCRMClosed, Value: 6, HasValue: true},
			}}},
		{"isUpdated false", `{"entries":[{"userId":"u","isUpdated":false}]}`,
			collected{Entries: []Entry{{UserID: "u", DataType: DataForecastUpdated, Value: 0, HasValue: true}}}},
		{"null values have no value", `{"entries":[{"userId":"u","forecastValue":null,"isUpdated":null,"updatedOn":null,"currency":null}]}`,
			collected{Entries: []Entry{{UserID: "u", DataType: DataForecast}, {UserID: "u", DataType: DataForecastUpdated}}}},
		{"numeric strings", `{"entries":[{"userId":"u","forecastValue":"123.5","quotaValue":" -7 ","adjustmentValue":"","updatedOn":"1764000000000"}]}`,
			collected{Entries: []Entry{
				{UserID: "u", DataType: DataForecast, Value: 123.5, HasValue: true, UpdatedOn: 1764000000000},
				{UserID: "u", DataType: DataQuota, Value: -7, HasValue: true, UpdatedOn: 1764000000000},
				{UserID: "u", DataType: DataAdjustment, UpdatedOn: 1764000000000},
			}}},
		{"number forms", `{"entries":[{"forecastValue":-0.5,"quotaValue":1.5e3,"adjustmentValue":12345678901234567890,"crmTotalValue":0.1,"crmClosedValue":1E-2}]}`,
			collected{Entries: []Entry{
				{DataType: DataForecast, Value: -0.5, HasValue: true},
				{DataType: DataQuota, Value: 1500, HasValue: true},
				{DataType: DataAdjustment, Value: 12345678901234567890, HasValue: true},
				{DataType: DataCRMTotal, Value: 0.1, HasValue: true},
				{DataType: DataCRMClosed, Value: 0.01, HasValue: true},
			}}},
		{"currency as string", `{"entries":[` + strings.Replace(oneEntry, `{"code":"USD","symbol":"$"}`, `"USD"`, 1) + `]}`,
			collected{Entries: []Entry{wantOneEntry}}},
		{"number userId", `{"entries":[` + strings.Replace(oneEntry, `"u1"`, `12345`, 1) + `]}`,
			collected{Entries: []Entry{with(func(e *Entry) { e.UserID = "12345" })}}},
		{"escapes in ids", `{"entries":[` + strings.Replace(oneEntry, `"f1"`, `"f\u00e9\"\\\/\n\ud83d\ude00"`, 1) + `]}`,
			collected{Entries: []Entry{with(func(e *Entry) { e.FieldID = "fé\"\\/\n😀" })}}},
		{"lone surrogate becomes U+FFFD", `{"entries":[{"userId":"a\ud83db"}]}`, collected{}},
		{"unknown keys with nested values", `{"x":{"a":[1,{"b":[[],{}]},"s\"}"],"c":null},"entries":[{"meta":{"notes":["]",{"by":"x"}],"n":-1.5e-3},"userId":"u1","fieldId":"f1","timePeriodId":"2026_Q4","timeFrameId":"TF:2026-10-05","forecastValue":100.5,"updatedBy":"u9","updatedOn":1764000000000,"currency":{"code":"USD","symbol":"$","extra":[1,2]},"tags":[true,false,null]}],"y":[1,2,3],"z":"str","w":true}`,
			collected{Entries: []Entry{wantOneEntry}}},
		{"users before entries, all lists",
			`{"users":[{"userId":"u1","name":"Ren\u00e9e \"RJ\" O'Neil","email":"r@x.io","crmId":"005A","hierarchyId":1905,"hierarchyName":"West","parentHierarchyId":"1900","parentHierarchyName":"Sales","scopeId":"{\"scopeId\":\"1905::MGR\"}","roles":["a"]},` +
				`{"userId":"u0","crmId":"005A","hierarchyId":"1900","parentHierarchyId":null,"parentHierarchyName":null}],` +
				`"fields":[{"fieldId":"f1","fieldName":"Commit","fieldType":"currency","extra":{}}],` +
				`"timePeriods":[{"timePeriodId":"2026_Q4","type":"quarter","label":"Q4 2026","year":2026,"startDate":"2026-10-01","endDate":"2026-12-31","crmId":"0260000000000020264"},{"timePeriodId":"2027_Q1","year":"2027"}],` +
				`"timeFrames":[{"timeFrameId":"TF:2026-10-05","startDate":"2026-10-05","endDate":"2026-10-11"}],` +
				`"entries":[` + oneEntry + `]}`,
			collected{
				Entries: []Entry{wantOneEntry},
				Users: []User{{UserID: "u1", Name: `Renée "RJ" O'Neil`, Email: "r@x.io", CRMID: "005A", HierarchyID: "1905", HierarchyName: "West",
					ParentHierarchyID: "1900", ParentHierarchyName: "Sales", ScopeID: `{"scopeId":"1905::MGR"}`}, {UserID: "u0", CRMID: "005A", HierarchyID: "1900"}},
				Fields:      []Field{{FieldID: "f1", FieldName: "Commit", FieldType: "currency"}},
				TimePeriods: []TimePeriod{{TimePeriodID: "2026_Q4", Type: "quarter", Label: "Q4 2026", Year: "2026", StartDate: "2026-10-01", EndDate: "2026-12-31", CRMID: "0260000000000020264"}, {TimePeriodID: "2027_Q1", Year: "2027"}},
				TimeFrames:  []TimeFrame{{TimeFrameID: "TF:2026-10-05", StartDate: "2026-10-05", EndDate: "2026-10-11"}},
			}},
		{"entries split over two keys", `{"entries":[` + oneEntry + `],"entries":[` + oneEntry + `]}`,
			collected{Entries: []Entry{wantOneEntry, wantOneEntry}}},
		{"entry without value keys emits nothing", `{"entries":[{"userId":"u1"}]}`, collected{}},
		{"later duplicate key wins", `{"entries":[{"userId":"a","userId":"b","quotaValue":1,"quotaValue":2}]}`,
			collected{Entries: []Entry{{UserID: "b", DataType: DataQuota, Value: 2, HasValue: true}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := decodeJSONString(t, tt.doc)
			if err != nil {
				t.Fatalf("DecodeJSON: %v", err)
			}
			if !reflect.DeepEqual(*got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", *got, tt.want)
			}
		})
	}
}

func TestDecodeJSONLoneSurrogate(t *testing.T) {
	var got []string
	err := DecodeJSON(strings.NewReader(`{"users":[{"userId":"a\ud83db","name":"\udc00"}]}`), Visitor{User: func(u User) error {
		got = append(got, u.UserID, u.Name)
		return nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"a\uFFFDb", "\uFFFD"}; !reflect.DeepEqual(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}

// genJSON renders a small generated document.
func genJSON(t testing.TB, g genSpec) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := writeGenJSON(&buf, g); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestDecodeJSONMatchesEncodingJSON decodes a generated document with
// DecodeJSON and with encoding/json and compares the entries, so the hand
// scanner is checked against the standard library, not against itself.
func TestDecodeJSONMatchesEncodingJSON(t *testing.T) {
	g := genSpec{users: 3, fields: 2, periods: 2, weeks: 13}
	doc := genJSON(t, g)

	var got collected
	if err := DecodeJSON(bytes.NewReader(doc), got.visitor()); err != nil {
		t.Fatal(err)
	}

	var ref struct {
		Entries []struct {
			UserID, FieldID, TimePeriodID, TimeFrameID string
			ForecastValue, QuotaValue, AdjustmentValue *float64
			CRMClosedValue                             *float64 `json:"crmClosedValue"`
			IsUpdated                                  bool
			UpdatedOn                                  int64
			Currency                                   struct{ Code string }
		}
		Users []struct {
			UserID, Name, Email, CRMID, HierarchyID, HierarchyName string
		}
	}
	if err := json.Unmarshal(doc, &ref); err != nil {
		t.Fatal(err)
	}
	var want []Entry
	for _, r := range ref.Entries {
		base := Entry{UserID: r.UserID, FieldID: r.FieldID, TimePeriodID: r.TimePeriodID, TimeFrameID: r.TimeFrameID, UpdatedOn: r.UpdatedOn, Currency: r.Currency.Code}
		add := func(dt string, v *float64) {
			e := base
			e.DataType = dt
			if v != nil {
				e.Value, e.HasValue = *v, true
			}
			want = append(want, e)
		}
		upd := 0.0
		if r.IsUpdated {
			upd = 1
		}
		add(DataForecast, r.ForecastValue)
		add(DataQuota, r.QuotaValue)
		add(DataForecastUpdated, &upd)
		add(DataAdjustment, r.AdjustmentValue)
		add(DataCRMClosed, r.CRMClosedValue)
	}
	if len(want) != g.entries()*5 {
		t.Fatalf("reference decoded %d entries, want %d", len(want), g.entries()*5)
	}
	if !reflect.DeepEqual(got.Entries, want) {
		for i := range min(len(got.Entries), len(want)) {
			if got.Entries[i] != want[i] {
				t.Fatalf("entry %d: got %+v, want %+v (got %d entries, want %d)", i, got.Entries[i], want[i], len(got.Entries), len(want))
			}
		}
		t.Fatalf("got %d entries, want %d", len(got.Entries), len(want))
	}
	if len(got.Users) != len(ref.Users) || got.Users[1].Name != ref.Users[1].Name || got.Users[1].HierarchyName != ref.Users[1].HierarchyName {
		t.Errorf("users differ: got %+v, want %+v", got.Users, ref.Users)
	}
	if len(got.Fields) != g.fields || len(got.TimePeriods) != g.periods || len(got.TimeFrames) != g.periods*g.weeks {
		t.Errorf("lists: %d fields, %d periods, %d frames", len(got.Fields), len(got.TimePeriods), len(got.TimeFrames))
	}
}

// TestDecodeJSONReaderShapes feeds the document one byte at a time and with
// the error delivered together with the last data, so every token crosses a
// buffer refill somewhere.
func TestDecodeJSONReaderShapes(t *testing.T) {
	doc := genJSON(t, genSpec{users: 2, fields: 2, periods: 1, weeks: 3})
	var want collected
	if err := DecodeJSON(bytes.NewReader(doc), want.visitor()); err != nil {
		t.Fatal(err)
	}
	for name, r := range map[string]io.Reader{
		"one byte":       iotest.OneByteReader(bytes.NewReader(doc)),
		"data with EOF":  iotest.DataErrReader(bytes.NewReader(doc)),
		"half at a time": iotest.HalfReader(bytes.NewReader(doc)),
	} {
		var got collected
		if err := DecodeJSON(r, got.visitor()); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: decoded differently", name)
		}
	}
}

func TestDecodeJSONLongTokens(t *testing.T) {
	long := strings.Repeat("é", 100_000) // 200 kB: more than the buffer
	doc := `{"junk":"` + strings.Repeat("x", 3<<20) + `","users":[{"userId":"u","name":"` + long + `"}]}`
	var got collected
	if err := DecodeJSON(strings.NewReader(doc), got.visitor()); err != nil {
		t.Fatal(err)
	}
	if len(got.Users) != 1 || got.Users[0].Name != long {
		t.Fatalf("long name not decoded intact")
	}

	// A kept string beyond maxJSONToken is refused rather than buffered.
	doc = `{"users":[{"name":"` + strings.Repeat("x", maxJSONToken+10) + `"}]}`
	_, err := decodeJSONString(t, doc)
	if !errors.Is(err, errTokenTooLong) {
		t.Fatalf("got %v, want errTokenTooLong", err)
	}
}

func TestDecodeJSONMalformed(t *testing.T) {
	tests := []struct {
		name   string
		doc    string
		offset int64
		entry  int
		msg    string
	}{
		{"empty", ``, 0, -1, "unexpected end of input"},
		{"top-level array", `[]`, 0, -1, "expected a JSON object at the top level, found array"},
		{"trailing data", `{} {}`, 3, -1, "unexpected data after the top-level object"},
		{"entries not array", `{"entries":{}}`, 11, -1, "entries: expected an array, found object"},
		{"entry not object", `{"entries":[1]}`, 12, -1, "entries item: expected an object, found number"},
		{"missing comma", `{"entries":[{"userId":"a" "fieldId":"b"}]}`, 26, 0, "expected ',' or '}'"},
		{"missing colon", `{"entries":[{},{"userId" "a"}]}`, 25, 1, "expected ':' after object key"},
		{"trailing comma in array", `{"entries":[{},]}`, 15, -1, "expected array element after ','"},
		{"trailing comma in object", `{"entries":[{"a":1,}]}`, 19, 0, "expected object key"},
		{"bad literal", `{"entries":[{"forecastValue":nul}]}`, 29, 0, `invalid literal "nul}"`},
		{"bad number", `{"entries":[{"forecastValue":1.}]}`, 29, 0, `invalid number "1."`},
		{"leading zero", `{"x":01}`, 5, -1, `invalid number "01"`},
		{"number out of range", `{"entries":[{"quotaValue":1e999}]}`, 26, 0, "quotaValue: number \"1e999\" is out of range"},
		{"non-numeric string value", `{"entries":[{"quotaValue":"abc"}]}`, 26, 0, `quotaValue: invalid number "abc"`},
		{"NaN string", `{"entries":[{"quotaValue":"NaN"}]}`, 26, 0, `invalid number "NaN"`},
		{"object value", `{"entries":[{"forecastValue":{}}]}`, 29, 0, "forecastValue: expected a number or null, found object"},
		{"array userId", `{"entries":[{"userId":[]}]}`, 22, 0, "userId: expected a string, found array"},
		{"fractional updatedOn", `{"entries":[{"updatedOn":1.5}]}`, 28, 0, "updatedOn: 1.5 is not a whole number"},
		{"bad escape", `{"users":[{"name":"a\x"}]}`, 20, -1, `invalid escape \x`},
		{"bad unicode escape", `{"users":[{"name":"\u12g4"}]}`, 19, -1, `invalid \u escape`},
		{"control char", "{\"users\":[{\"name\":\"a\nb\"}]}", 20, -1, "control character 0x0a"},
		{"unquoted key", `{entries:[]}`, 1, -1, "expected object key (a string), found 'e'"},
		{"user value object", `{"users":[{"email":{}}]}`, 19, -1, "email: expected a string, found object"},
		{"invalid byte", "{\"x\":\x00}", 5, -1, "expected a value, found byte 0x00"},
		{"too deep", `{"x":` + strings.Repeat("[", maxJSONDepth+5), int64(5 + maxJSONDepth - 1), -1, "nested deeper than"},
		// None of the five lists: a shape the decoder does not know, not an
		// empty export (issue 19); the error names what was found.
		{"none of the lists", `{"data":[{"userId":"u","forecastValue":1}],"meta":{"n":1}}`, 0, -1, `none of the lists entries, users, fields, timePeriods, timeFrames; found only the keys "data", "meta"`},
		{"empty object", ` {} `, 0, -1, "found an empty object"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := decodeJSONString(t, tt.doc)
			var de *DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("got %v (%T), want *DecodeError", err, err)
			}
			if de.Format != "JSON" || de.Offset != tt.offset || de.Entry != tt.entry || de.Line != 0 {
				t.Errorf("got format %s offset %d entry %d line %d, want JSON offset %d entry %d line 0 (%v)", de.Format, de.Offset, de.Entry, de.Line, tt.offset, tt.entry, err)
			}
			if !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("error %q does not contain %q", err, tt.msg)
			}
		})
	}
}

func TestDecodeErrorMessage(t *testing.T) {
	_, err := decodeJSONString(t, `{"entries":[{},{},{"userId":"u`)
	want := `clari: decode JSON result: entry 2 at byte 30: unexpected end of input`
	if err == nil || err.Error() != want {
		t.Fatalf("got %v, want %s", err, want)
	}
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("a truncated document must match io.ErrUnexpectedEOF")
	}
	csvErr := &DecodeError{Format: "CSV", Offset: 99, Entry: 3, Line: 5, Err: errors.New("boom")}
	if got, want := csvErr.Error(), "clari: decode CSV result: line 5, entry 3 at byte 99: boom"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

// TestDecodeJSONTruncated cuts a real-shaped document at every byte: each
// prefix must fail with a *DecodeError at the end of the input (never a
// panic, never nil), and the entry index must match the entries already
// emitted.
func TestDecodeJSONTruncated(t *testing.T) {
	doc := genJSON(t, genSpec{users: 2, fields: 2, periods: 1, weeks: 2})
	end := len(bytes.TrimRight(doc, "\n")) // the final '}' completes it
	for n := 0; n < end; n++ {
		emitted := 0
		err := DecodeJSON(bytes.NewReader(doc[:n]), Visitor{Entry: func(*Entry) error { emitted++; return nil }})
		var de *DecodeError
		if !errors.As(err, &de) {
			t.Fatalf("cut at %d: got %v, want *DecodeError", n, err)
		}
		if !errors.Is(err, io.ErrUnexpectedEOF) || de.Offset != int64(n) {
			t.Fatalf("cut at %d: got %v, want unexpected end at byte %d", n, err, n)
		}
		if de.Entry >= 0 && emitted != de.Entry*5 {
			t.Fatalf("cut at %d: error in entry %d but %d entries emitted (5 per item)", n, de.Entry, emitted)
		}
	}
}

func TestDecodeJSONReaderError(t *testing.T) {
	boom := errors.New("connection reset")
	doc := genJSON(t, genSpec{users: 2, fields: 1, periods: 1, weeks: 2})
	r := io.MultiReader(bytes.NewReader(doc[:300]), iotest.ErrReader(boom))
	err := DecodeJSON(r, Visitor{})
	var de *DecodeError
	if !errors.As(err, &de) || !errors.Is(err, boom) || de.Offset != 300 {
		t.Fatalf("got %v, want a DecodeError at byte 300 wrapping the read error", err)
	}
}

func TestDecodeNilReader(t *testing.T) {
	for name, err := range map[string]error{"JSON": DecodeJSON(nil, Visitor{}), "CSV": DecodeCSV(nil, Visitor{PeriodOf: calendarQuarter})} {
		var de *DecodeError
		if !errors.As(err, &de) || de.Format != name || !errors.Is(err, errNilReader) {
			t.Errorf("%s: got %v, want a DecodeError for the nil reader", name, err)
		}
	}
}

func TestDecodeJSONVisitorError(t *testing.T) {
	stop := errors.New("stop")
	doc := `{"users":[{"userId":"u"}],"entries":[` + oneEntry + `,` + oneEntry + `]}`
	calls := 0
	err := DecodeJSON(strings.NewReader(doc), Visitor{Entry: func(*Entry) error { calls++; return stop }})
	if err != stop || calls != 1 {
		t.Fatalf("got %v after %d calls, want the visitor's own error after 1", err, calls)
	}
	err = DecodeJSON(strings.NewReader(doc), Visitor{User: func(User) error { return stop }})
	if err != stop {
		t.Fatalf("got %v from User, want the visitor's error as is", err)
	}
}

// TestDecodeJSONEntryReuseIsSafe checks that a visitor changing the Entry
// does not leak into the next data type of the same item.
func TestDecodeJSONEntryReuseIsSafe(t *testing.T) {
	var got []Entry
	err := DecodeJSON(strings.NewReader(`{"entries":[{"userId":"u","forecastValue":1,"quotaValue":2}]}`), Visitor{Entry: func(e *Entry) error {
		got = append(got, *e)
		e.UserID, e.Currency = "changed", "XXX"
		return nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[1].UserID != "u" || got[1].Currency != "" {
		t.Fatalf("second entry saw the visitor's change: %+v", got)
	}
}

// TestDecodeJSONAllocsDoNotGrow is the memory goal as a test: decoding
// four times the entries (same ids) must not cost more allocations, so
// nothing is allocated per entry.
func TestDecodeJSONAllocsDoNotGrow(t *testing.T) {
	small := genJSON(t, genSpec{users: 5, fields: 2, periods: 1, weeks: 13})
	start := bytes.Index(small, []byte(`"entries":[`)) + len(`"entries":[`)
	end := bytes.Index(small, []byte(`],"users":[`))
	items := small[start:end]
	large := slices.Concat(small[:start], items, []byte(","), items, []byte(","), items, []byte(","), items, small[end:])

	v := Visitor{Entry: func(*Entry) error { return nil }}
	allocs := func(doc []byte) float64 {
		return testing.AllocsPerRun(5, func() {
			if err := DecodeJSON(bytes.NewReader(doc), v); err != nil {
				t.Fatal(err)
			}
		})
	}
	if a, b := allocs(small), allocs(large); b > a {
		t.Fatalf("%v allocations for %d bytes but %v for %d bytes with the same ids: entries allocate", a, len(small), b, len(large))
	}
}

func TestInternIsBounded(t *testing.T) {
	d := jsonDecoder{ids: map[string]string{}}
	for i := range maxInternedIDs + 10 {
		d.intern([]byte(strings.Repeat("x", i%50) + string(rune('a'+i%26)) + string(rune(i))))
	}
	if len(d.ids) > maxInternedIDs {
		t.Fatalf("intern table holds %d ids, limit %d", len(d.ids), maxInternedIDs)
	}
	if s := d.intern([]byte("abc")); s != "abc" {
		t.Fatalf("intern returned %q", s)
	}
}

func TestParseFloatBytesMatchesStrconv(t *testing.T) {
	for _, s := range []string{"0", "-0", "1", "0.1", "0.3", "123456789012345", "1234567890123456", "99999999999999.99",
		"3000190.00", "-1234.50", "1e5", "1.7976931348623157e308", "4.9e-324", "0.000001", "12.", ".5", "007"} {
		got, err := parseFloatBytes([]byte(s))
		if err != nil {
			t.Errorf("%s: %v", s, err)
			continue
		}
		if want := mustParseFloat(t, s); got != want {
			t.Errorf("%s: got %v, want %v", s, got, want)
		}
	}
	for _, s := range []string{"", "-", ".", "1.2.3", "abc", "Inf", "nan", "1e400", "--1"} {
		if _, err := parseFloatBytes([]byte(s)); err == nil {
			t.Errorf("%q: no error", s)
		}
	}
}

func mustParseFloat(t *testing.T, s string) float64 {
	t.Helper()
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		t.Fatalf("reference parse of %q: %v", s, err)
	}
	return f
}
