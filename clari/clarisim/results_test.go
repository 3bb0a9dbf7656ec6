package clarisim

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/clari-exporter/clari_exporter/clari"
)

var smallTenant = TenantSpec{Users: 25, Fields: 5}

func TestAppendMoney(t *testing.T) {
	for _, c := range []struct {
		sym   string
		cents int64
		want  string
	}{
		{"$", 300019000, "$3,000,190.00"},
		{"$", -123450, "-$1,234.50"},
		{"$", 5, "$0.05"},
		{"$", 100000, "$1,000.00"},
		{"$", 99999, "$999.99"},
		{"€", 12345678901, "€123,456,789.01"},
		{"CHF ", 123400, "CHF 1,234.00"},
	} {
		if got := string(AppendMoney(nil, c.sym, c.cents)); got != c.want {
			t.Errorf("AppendMoney(%q, %d) = %q, want %q", c.sym, c.cents, got, c.want)
		}
	}
}

func TestDeterminism(t *testing.T) {
	p := ExportParams{ForecastID: "net_arr", Period: "2027_Q3", Types: clari.AllDataTypes, IncludeHistorical: true, DuplicateEvery: 7}
	gen := func(seed int64, p ExportParams) []byte {
		var b bytes.Buffer
		if err := WriteResult(&b, smallTenant, p, seed); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	a, b := gen(42, p), gen(42, p)
	if !bytes.Equal(a, b) {
		t.Fatal("same seed and params gave different JSON documents")
	}
	if bytes.Equal(a, gen(43, p)) {
		t.Fatal("different seeds gave the same document")
	}
	p.Format = clari.FormatCSV
	if !bytes.Equal(gen(42, p), gen(42, p)) {
		t.Fatal("same seed and params gave different CSV documents")
	}
}

func TestKeyOrderVariesBySeed(t *testing.T) {
	orders := map[string]bool{}
	usersFirst := false
	for seed := int64(0); seed < 20; seed++ {
		k := strings.Join(seededKeyOrder(seed), ",")
		orders[k] = true
		usersFirst = usersFirst || strings.Index(k, "users") < strings.Index(k, "entries")
	}
	if len(orders) < 5 || !usersFirst {
		t.Fatalf("seeds 0..19 gave %d key orders (users before entries: %v)", len(orders), usersFirst)
	}
	var b bytes.Buffer
	p := ExportParams{ForecastID: "net_arr", KeyOrder: []string{"users", "timeFrames", "entries", "fields", "timePeriods"}}
	if err := WriteResultJSON(&b, smallTenant, p, 1); err != nil {
		t.Fatal(err)
	}
	s := b.String()
	if !(strings.Index(s, `"users":`) < strings.Index(s, `"timeFrames":`) && strings.Index(s, `"timeFrames":`) < strings.Index(s, `"entries":`)) {
		t.Fatalf("explicit key order not honoured: %.200s", s)
	}
}

// decodedDoc is a JSON result decoded and deduplicated the way a correct
// client does (latest updatedOn wins per natural key).
type decodedDoc struct {
	periods []string
	frames  []string
	rows    int
	totals  map[string]map[string]float64
	keys    int
}

func decodeAndDedup(t *testing.T, b []byte) decodedDoc {
	t.Helper()
	var doc struct {
		Entries []struct {
			UserID          string   `json:"userId"`
			FieldID         string   `json:"fieldId"`
			TimePeriodID    string   `json:"timePeriodId"`
			TimeFrameID     string   `json:"timeFrameId"`
			ForecastValue   *float64 `json:"forecastValue"`
			QuotaValue      *float64 `json:"quotaValue"`
			AdjustmentValue *float64 `json:"adjustmentValue"`
			CRMTotalValue   *float64 `json:"aggregationTotal"`
			CRMClosedValue  *float64 `json:"crmClosedValue"`
			IsUpdated       *bool    `json:"isUpdated"`
			UpdatedOn       int64    `json:"updatedOn"`
		} `json:"entries"`
		TimePeriods []struct {
			TimePeriodID string `json:"timePeriodId"`
		} `json:"timePeriods"`
		TimeFrames []struct {
			TimeFrameID string `json:"timeFrameId"`
		} `json:"timeFrames"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatalf("not JSON: %v", err)
	}
	d := decodedDoc{rows: len(doc.Entries), totals: map[string]map[string]float64{}}
	for _, p := range doc.TimePeriods {
		d.periods = append(d.periods, p.TimePeriodID)
	}
	for _, f := range doc.TimeFrames {
		d.frames = append(d.frames, f.TimeFrameID)
	}
	latest := map[string]int{}
	for i, e := range doc.Entries {
		k := e.UserID + "|" + e.FieldID + "|" + e.TimePeriodID + "|" + e.TimeFrameID
		if j, ok := latest[k]; !ok || e.UpdatedOn > doc.Entries[j].UpdatedOn {
			latest[k] = i
		}
	}
	d.keys = len(latest)
	add := func(f, typ string, v float64) {
		if d.totals[f] == nil {
			d.totals[f] = map[string]float64{}
		}
		d.totals[f][typ] += v
	}
	for _, i := range latest {
		e := doc.Entries[i]
		for typ, v := range map[string]*float64{clari.DataForecast: e.ForecastValue, clari.DataQuota: e.QuotaValue,
			clari.DataAdjustment: e.AdjustmentValue, clari.DataCRMTotal: e.CRMTotalValue, clari.DataCRMClosed: e.CRMClosedValue} {
			if v != nil {
				add(e.FieldID, typ, *v)
			}
		}
		if e.IsUpdated != nil && *e.IsUpdated {
			add(e.FieldID, clari.DataForecastUpdated, 1)
		}
	}
	return d
}

func near(a, b float64) bool { d := a - b; return d < 0.01 && d > -0.01 }

func TestSummaryMatchesDecodedDocument(t *testing.T) {
	p := ExportParams{ForecastID: "bookings", Period: "2027_Q4", Types: clari.AllDataTypes, IncludeHistorical: true, DuplicateEvery: 5}
	var b bytes.Buffer
	if err := WriteResultJSON(&b, smallTenant, p, 9); err != nil {
		t.Fatal(err)
	}
	got := decodeAndDedup(t, b.Bytes())
	sum, err := Summarize(smallTenant, p, 9)
	if err != nil {
		t.Fatal(err)
	}
	// DefaultNow (2026-11-16) is in the third week of the default
	// February year's 2027_Q4 (weeks from Friday 10-30, 11-06, 11-13).
	if len(sum.TimeFrames) != 3 || sum.Keys != 25*5*3 || got.keys != sum.Keys {
		t.Fatalf("summary %d frames %d keys, decoded %d keys", len(sum.TimeFrames), sum.Keys, got.keys)
	}
	if got.rows != sum.JSONEntries || got.rows <= got.keys {
		t.Fatalf("decoded %d rows, summary %d, keys %d: duplicates missing", got.rows, sum.JSONEntries, got.keys)
	}
	for f, m := range sum.Totals {
		for typ, v := range m {
			if !near(got.totals[f][typ], v) {
				t.Errorf("total %s/%s: decoded %.2f, summary %.2f", f, typ, got.totals[f][typ], v)
			}
		}
	}
	if sum.Nulls == 0 || sum.Totals["forecast_commit"][clari.DataForecast] <= 0 {
		t.Errorf("implausible summary: %d nulls, commit %.2f", sum.Nulls, sum.Totals["forecast_commit"][clari.DataForecast])
	}
}

func TestCSVResult(t *testing.T) {
	p := ExportParams{ForecastID: "net_arr", Format: clari.FormatCSV, Types: []string{clari.DataForecast, clari.DataForecastUpdated, clari.DataAdjustment}}
	var b bytes.Buffer
	if err := WriteResult(&b, smallTenant, p, 3); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(b.String(), "User,Email,CRM User ID,Role,Parent Role,Timeframe,Field,Week,Start Day,End Day,Data Type,Data Value\n") {
		t.Fatalf("header: %.120q", b.String())
	}
	rows, err := csv.NewReader(&b).ReadAll()
	if err != nil {
		t.Fatalf("CSV does not parse: %v", err)
	}
	sum, _ := Summarize(smallTenant, p, 3)
	if len(rows)-1 != sum.CSVRows || sum.CSVRows != 25*5*3 {
		t.Fatalf("%d data rows, summary says %d", len(rows)-1, sum.CSVRows)
	}
	seen := map[string]bool{}
	var forecastTotal float64
	for _, r := range rows[1:] {
		// The documented shape: Timeframe is the month label of the week's
		// start with the fiscal year, Week a 0-based index.
		if r[5] != "November FY 2027" || r[7] != "2" || r[8] != "11/13/2026" || r[9] != "11/19/2026" {
			t.Fatalf("period/week columns: %q", r)
		}
		seen[r[10]] = true
		switch r[10] {
		case "Forecast Value":
			if r[11] == "" {
				continue
			}
			if !strings.HasPrefix(r[11], "$") || !strings.Contains(r[11], ".") {
				t.Fatalf("money value %q", r[11])
			}
			forecastTotal += parseMoney(t, r[11])
		case "Forecast Updated":
			if r[11] != "Yes" && r[11] != "No" {
				t.Fatalf("boolean value %q", r[11])
			}
		}
		if strings.Contains(r[0], `"`) {
			seen["quoted name"] = true
		}
	}
	for _, k := range []string{"Forecast Value", "Forecast Updated", "Adjustment Value", "quoted name"} {
		if !seen[k] {
			t.Errorf("no row with %q", k)
		}
	}
	var want float64
	for _, m := range sum.Totals {
		want += m[clari.DataForecast]
	}
	if !near(forecastTotal, want) {
		t.Errorf("CSV forecast total %.2f, summary %.2f", forecastTotal, want)
	}
}

func TestCSVLineEndingsAndBOM(t *testing.T) {
	sim, srv, _ := newTestSim(t, Options{Tenant: smallTenant})
	plain := create(t, srv, "net_arr", `{"exportFormat":"CSV"}`)
	_ = sim.UpdateScenario(func(sc *Scenario) { sc.CSVCRLF, sc.CSVBOM = true, true })
	crlf := create(t, srv, "net_arr", `{"exportFormat":"CSV"}`)
	_, hdr, a := do(t, srv, http.MethodGet, "/export/jobs/"+plain+"/results", "")
	_, _, b := do(t, srv, http.MethodGet, "/export/jobs/"+crlf+"/results", "")
	if !strings.HasPrefix(hdr.Get("Content-Type"), "text/csv") || bytes.Contains(a, []byte("\r")) || bytes.HasPrefix(a, []byte("\uFEFF")) {
		t.Fatalf("plain CSV: %s %.60q", hdr.Get("Content-Type"), a)
	}
	if !bytes.HasPrefix(b, []byte("\uFEFFUser,")) || bytes.Count(b, []byte("\r\n")) != bytes.Count(a, []byte("\n")) {
		t.Fatalf("CRLF+BOM CSV: %.60q", b)
	}
	ra, err1 := csv.NewReader(bytes.NewReader(a)).ReadAll()
	rb, err2 := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(b, []byte("\uFEFF")))).ReadAll()
	if err1 != nil || err2 != nil || len(ra) != len(rb) || strings.Join(ra[5], "|") != strings.Join(rb[5], "|") {
		t.Fatalf("the variants differ beyond line endings: %v %v", err1, err2)
	}
}

func parseMoney(t *testing.T, s string) float64 {
	t.Helper()
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimLeft(s, "-$")
	var whole, cents int64
	parts := strings.SplitN(strings.ReplaceAll(s, ",", ""), ".", 2)
	for _, c := range parts[0] {
		whole = whole*10 + int64(c-'0')
	}
	for _, c := range parts[1] {
		cents = cents*10 + int64(c-'0')
	}
	v := float64(whole) + float64(cents)/100
	if neg {
		v = -v
	}
	return v
}

func TestPeriodFallbackAndHistorical(t *testing.T) {
	_, srv, _ := newTestSim(t, Options{Tenant: smallTenant})
	for _, c := range []struct {
		body   string
		period string
		frames int
	}{
		// 2027_Q3 (Aug-Oct 2026) has 14 Friday weeks, from 07-31 to 10-30.
		{`{"timePeriod":"2027_Q3","includeHistorical":true}`, "2027_Q3", 14},
		{`{"timePeriod":"2027_Q3"}`, "2027_Q3", 1},
		{`{"timePeriod":"2027_Q4","includeHistorical":true}`, "2027_Q4", 3},
		{`{"timePeriod":"2031_Q1"}`, "2027_Q4", 1},                // future
		{`{"timePeriod":"2020_Q1"}`, "2027_Q4", 1},                // too old
		{`{"timePeriod":"2026_Q4"}`, "2027_Q4", 1},                // a January year's label of now: a year old
		{`{"timePeriod":"FY26-Q3"}`, "2027_Q4", 1},                // malformed
		{`{"timePeriod":"2027_Q3","colour":"red"}`, "2027_Q4", 1}, // unknown parameter
	} {
		id := create(t, srv, "net_arr", c.body)
		code, _, b := do(t, srv, http.MethodGet, "/export/jobs/"+id+"/results", "")
		if code != 200 {
			t.Fatalf("%s: results %d %s", c.body, code, b)
		}
		d := decodeAndDedup(t, b)
		if len(d.periods) != 1 || d.periods[0] != c.period || len(d.frames) != c.frames {
			t.Errorf("%s: periods %v, %d frames; want %s, %d frames", c.body, d.periods, len(d.frames), c.period, c.frames)
		}
	}
}

func TestFiscalCalendar(t *testing.T) {
	q := QuarterOf(time.Date(2026, 3, 15, 0, 0, 0, 0, time.UTC), time.February)
	if q.ID() != "2027_Q1" || q.Start.Format("2006-01-02") != "2026-02-01" || q.End.Format("2006-01-02") != "2026-04-30" {
		t.Errorf("Feb fiscal year, 2026-03-15: %s %s..%s", q.ID(), q.Start, q.End)
	}
	q = QuarterOf(time.Date(2026, 1, 10, 0, 0, 0, 0, time.UTC), time.February)
	if q.ID() != "2026_Q4" {
		t.Errorf("Feb fiscal year, 2026-01-10: %s, want 2026_Q4", q.ID())
	}
	p, err := ParsePeriod("2027_Q1", time.February)
	if err != nil || !p.Start.Equal(time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("ParsePeriod 2027_Q1: %v %v", p.Start, err)
	}
}

func TestEmptySwingAndDuplicatesViaSim(t *testing.T) {
	sim, srv, _ := newTestSim(t, Options{Tenant: smallTenant, Scenario: Scenario{DuplicateEvery: 4}})
	base := create(t, srv, "net_arr", `{"timePeriod":"2027_Q4"}`)
	if err := sim.Swing("net_arr", 1.5); err != nil {
		t.Fatal(err)
	}
	swung := create(t, srv, "net_arr", `{"timePeriod":"2027_Q4"}`)
	sim.SetEmpty("net_arr", "2027_Q3", true)
	empty := create(t, srv, "net_arr", `{"timePeriod":"2027_Q3"}`)
	other := create(t, srv, "bookings", `{"timePeriod":"2027_Q3"}`)

	get := func(id string) decodedDoc {
		code, _, b := do(t, srv, http.MethodGet, "/export/jobs/"+id+"/results", "")
		if code != 200 {
			t.Fatalf("results %d", code)
		}
		return decodeAndDedup(t, b)
	}
	a, s := get(base), get(swung)
	if a.rows <= a.keys {
		t.Errorf("duplicates switch: %d rows for %d keys", a.rows, a.keys)
	}
	r := s.totals["best_case"][clari.DataForecast] / a.totals["best_case"][clari.DataForecast]
	if r < 1.4999 || r > 1.5001 {
		t.Errorf("swing ratio %.5f, want 1.5", r)
	}
	if e := get(empty); e.rows != 0 || len(e.periods) != 1 {
		t.Errorf("empty export: %d rows, periods %v", e.rows, e.periods)
	}
	if o := get(other); o.rows == 0 {
		t.Error("empty switch leaked into another forecast")
	}
}
