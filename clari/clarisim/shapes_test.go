package clarisim

// The simulator speaks exactly as Clari does (/work/shared/clari-api.md):
// these tests hold its answers to the documented shapes, keys present and
// none invented.

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/clari-exporter/clari_exporter/clari"
)

// keysOf returns the sorted keys of a JSON object.
func keysOf(m map[string]json.RawMessage) []string {
	k := make([]string, 0, len(m))
	for s := range m {
		k = append(k, s)
	}
	sort.Strings(k)
	return k
}

func sorted(s ...string) []string { sort.Strings(s); return s }

// The documented members of each list of a JSON result.
var (
	docTopLevel   = sorted("entries", "users", "fields", "timePeriods", "timeFrames")
	docUser       = sorted("userId", "name", "email", "crmId", "hierarchyId", "hierarchyName", "parentHierarchyId", "parentHierarchyName", "scopeId")
	docField      = sorted("fieldId", "fieldName", "fieldType")
	docTimePeriod = sorted("timePeriodId", "type", "label", "year", "startDate", "endDate", "crmId")
	docTimeFrame  = sorted("timeFrameId", "startDate", "endDate")
	docCurrency   = sorted("code", "symbol")
	// Every entry has these; the value keys depend on typesToExport.
	docEntryAlways = sorted("userId", "fieldId", "timePeriodId", "timeFrameId", "updatedBy", "updatedOn", "currency")
	docEntryValues = map[string][]string{
		clari.DataForecast: {"forecastValue"}, clari.DataQuota: {"quotaValue"}, clari.DataForecastUpdated: {"isUpdated"},
		clari.DataAdjustment: {"adjustmentValue", "adjustedBy", "adjustedOn"}, clari.DataCRMTotal: {"aggregationTotal"}, clari.DataCRMClosed: {"crmClosedValue"},
	}
)

// TestDocumentShapes: every object of a JSON result carries exactly the
// documented keys (no roleName, managerId, exportInfo, precision, ...),
// users carry their parent node and a JSON-encoded scopeId, periods their
// crmId; a person in two hierarchy nodes is two users with one crmId; the
// CSV's Role and Parent Role are the JSON hierarchyName and
// parentHierarchyName.
func TestDocumentShapes(t *testing.T) {
	spec := TenantSpec{Users: 60, Fields: 2}.WithFebruaryYear()
	for _, types := range [][]string{nil, clari.AllDataTypes, {clari.DataQuota, clari.DataAdjustment}} {
		p := ExportParams{ForecastID: "net_arr", Types: types, IncludeHistorical: true, Now: time.Date(2026, 12, 8, 0, 0, 0, 0, time.UTC), DuplicateEvery: 9}
		var b bytes.Buffer
		if err := WriteResultJSON(&b, spec, p, 3); err != nil {
			t.Fatal(err)
		}
		var doc map[string]json.RawMessage
		if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
			t.Fatal(err)
		}
		if got := keysOf(doc); !slices.Equal(got, docTopLevel) {
			t.Fatalf("top-level keys %v, want %v", got, docTopLevel)
		}
		list := func(name string) []map[string]json.RawMessage {
			var l []map[string]json.RawMessage
			if err := json.Unmarshal(doc[name], &l); err != nil || len(l) == 0 {
				t.Fatalf("%s: %v (%d items)", name, err, len(l))
			}
			return l
		}
		want := append([]string(nil), docEntryAlways...)
		reqTypes := types
		if reqTypes == nil {
			reqTypes = []string{clari.DataForecast, clari.DataForecastUpdated}
		}
		for _, typ := range reqTypes {
			want = append(want, docEntryValues[typ]...)
		}
		sort.Strings(want)
		for i, e := range list("entries") {
			if got := keysOf(e); !slices.Equal(got, want) {
				t.Fatalf("types %v, entry %d keys %v, want %v", types, i, got, want)
			}
			var cur map[string]json.RawMessage
			if err := json.Unmarshal(e["currency"], &cur); err != nil || !slices.Equal(keysOf(cur), docCurrency) {
				t.Fatalf("entry %d currency %s", i, e["currency"])
			}
		}
		for name, keys := range map[string][]string{"users": docUser, "fields": docField, "timePeriods": docTimePeriod, "timeFrames": docTimeFrame} {
			for i, item := range list(name) {
				if got := keysOf(item); !slices.Equal(got, keys) {
					t.Fatalf("%s[%d] keys %v, want %v", name, i, got, keys)
				}
			}
		}
	}

	// Users: the root has null parents, the others name theirs; scopeId is
	// a JSON-encoded string; persons in two nodes share a crmId.
	var b bytes.Buffer
	p := ExportParams{ForecastID: "net_arr", Now: time.Date(2026, 12, 8, 0, 0, 0, 0, time.UTC)}
	if err := WriteResultJSON(&b, spec, p, 3); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Users []struct {
			UserID, CRMID, HierarchyID, HierarchyName string
			ParentHierarchyID, ParentHierarchyName    *string
			ScopeID                                   string
			Email                                     string
		} `json:"users"`
		TimePeriods []struct{ CRMID string } `json:"timePeriods"`
	}
	if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	nodesOf := map[string][]string{}
	roleOf := map[string]string{} // crmId + hierarchy name → parent name
	for i, u := range doc.Users {
		root := i == 0
		if root != (u.ParentHierarchyID == nil) || root != (u.ParentHierarchyName == nil) {
			t.Errorf("user %d (%s): parent %v/%v", i, u.UserID, u.ParentHierarchyID, u.ParentHierarchyName)
		}
		var scope map[string]any
		if err := json.Unmarshal([]byte(u.ScopeID), &scope); err != nil || len(scope) == 0 {
			t.Errorf("user %d scopeId %q is not a JSON-encoded object: %v", i, u.ScopeID, err)
		}
		nodesOf[u.CRMID] = append(nodesOf[u.CRMID], u.HierarchyID)
		parent := ""
		if u.ParentHierarchyName != nil {
			parent = *u.ParentHierarchyName
		}
		roleOf[u.CRMID+"\x00"+u.HierarchyName] = parent
	}
	multi := 0
	for _, nodes := range nodesOf {
		if len(nodes) > 1 {
			multi++
			if nodes[0] == nodes[1] {
				t.Errorf("a person's two user entries sit in one node %s", nodes[0])
			}
		}
	}
	if multi == 0 || len(doc.TimePeriods) != 1 || len(doc.TimePeriods[0].CRMID) != 18 {
		t.Errorf("%d persons in several nodes (want some); timePeriods %+v", multi, doc.TimePeriods)
	}

	// CSV: Role and Parent Role are the JSON hierarchy names.
	b.Reset()
	p.Format = clari.FormatCSV
	if err := WriteResultCSV(&b, spec, p, 3); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&b).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows[1:] {
		parent, ok := roleOf[r[2]+"\x00"+r[3]]
		if !ok || parent != r[4] {
			t.Fatalf("CSV row %q: Role/Parent Role are not a user's hierarchyName/parentHierarchyName", r)
		}
	}
}

// TestCancelAnswers: a cancel of a running job answers
// {"status":"CANCELLED","successful":true} and frees its slot; a cancel of
// a job that ended answers 400 export_failed_to_cancel.
func TestCancelAnswers(t *testing.T) {
	sim, srv, _ := newTestSim(t, Options{Scenario: Scenario{JobDuration: time.Hour}})
	running := create(t, srv, "net_arr", "")
	code, _, b := do(t, srv, http.MethodPatch, "/export/jobs/"+running, `{"type":"CANCEL"}`)
	var ans map[string]json.RawMessage
	if err := json.Unmarshal(b, &ans); code != 200 || err != nil || !slices.Equal(keysOf(ans), []string{"status", "successful"}) ||
		string(ans["status"]) != `"CANCELLED"` || string(ans["successful"]) != "true" {
		t.Fatalf("cancel of a running job: %d %s", code, b)
	}
	if jobStatus(t, srv, running) != "CANCELLED" || sim.Limits().AvailableConcurrentLimit != 3 {
		t.Fatalf("the cancelled job: %s, limits %+v", jobStatus(t, srv, running), sim.Limits())
	}
	if err := sim.UpdateScenario(func(sc *Scenario) { sc.JobDuration = 0 }); err != nil {
		t.Fatal(err)
	}
	done := create(t, srv, "net_arr", "")
	for _, id := range []string{running, done} {
		code, _, b = do(t, srv, http.MethodPatch, "/export/jobs/"+id, `{"type":"CANCEL"}`)
		if e := apiErr(t, b); code != 400 || e.Code != "export_failed_to_cancel" {
			t.Errorf("cancel of an ended job: %d %s", code, b)
		}
	}
	if sim.Stats().Cancels != 1 {
		t.Errorf("cancels counted %d, want 1", sim.Stats().Cancels)
	}
}

// TestAuditShapes: pages are {"items":[...],"actors":[...]} (+ nextLink
// until the last), items carry exactly event, actorId and eventTimestamp,
// actors name every actorId of their page, and dateFrom/dateTo filter the
// events (inclusive), kept across pages.
func TestAuditShapes(t *testing.T) {
	_, srv, clk := newTestSim(t, Options{Scenario: Scenario{AuditEvents: 40}})
	create(t, srv, "net_arr", "")
	clk.Advance(time.Minute)
	read := func(query string) (events []int64, pages int) {
		next := "/audit/events?" + query
		for next != "" {
			code, _, b := do(t, srv, http.MethodGet, next, "")
			var page map[string]json.RawMessage
			if err := json.Unmarshal(b, &page); code != 200 || err != nil {
				t.Fatalf("%s: %d %s", next, code, b)
			}
			var items, actors []map[string]json.RawMessage
			_ = json.Unmarshal(page["items"], &items)
			_ = json.Unmarshal(page["actors"], &actors)
			keys := keysOf(page)
			if k := slices.DeleteFunc(keys, func(s string) bool { return s == "nextLink" }); !slices.Equal(k, []string{"actors", "items"}) {
				t.Fatalf("page keys %v, want items, actors (and nextLink)", keysOf(page))
			}
			named := map[string]bool{}
			for _, a := range actors {
				if !slices.Equal(keysOf(a), []string{"actorId", "email", "name"}) {
					t.Fatalf("actor keys %v", keysOf(a))
				}
				named[string(a["actorId"])] = true
			}
			for _, it := range items {
				if !slices.Equal(keysOf(it), []string{"actorId", "event", "eventTimestamp"}) {
					t.Fatalf("item keys %v", keysOf(it))
				}
				if !named[string(it["actorId"])] {
					t.Fatalf("actorId %s is not among the page's actors", it["actorId"])
				}
				var e clari.AuditEvent
				if err := json.Unmarshal(mustJSON(t, it), &e); err != nil || e.Event == "" || e.ActorID == "" {
					t.Fatalf("item %v: %+v %v", it, e, err)
				}
				events = append(events, e.EventTimestamp)
			}
			pages++
			var link string
			_ = json.Unmarshal(page["nextLink"], &link)
			next = ""
			if link != "" {
				u, err := url.Parse(link)
				if err != nil || !strings.HasPrefix(link, srv.URL+"/") {
					t.Fatalf("nextLink %q", link)
				}
				next = u.RequestURI()
			}
		}
		return events, pages
	}
	all, pages := read("limit=15")
	if len(all) != 41 || pages != 3 {
		t.Fatalf("%d events on %d pages, want 41 on 3", len(all), pages)
	}
	// Every event from the 10th newest to the 30th newest, by time.
	from, to := all[30], all[10]
	for _, q := range []string{
		"limit=7&dateFrom=" + strconv.FormatInt(from, 10) + "&dateTo=" + strconv.FormatInt(to, 10),
		"limit=7&dateFrom=" + url.QueryEscape(time.UnixMilli(from).UTC().Format(time.RFC3339Nano)) + "&dateTo=" + url.QueryEscape(time.UnixMilli(to).UTC().Format(time.RFC3339Nano)),
	} {
		got, pages := read(q)
		if len(got) != 21 || got[0] != to || got[20] != from || pages != 3 {
			t.Errorf("%s: %d events on %d pages (%v..%v), want 21 on 3", q, len(got), pages, got[0], got[len(got)-1])
		}
	}
	day := time.UnixMilli(all[0]).UTC().Format("2006-01-02")
	if got, _ := read("dateFrom=" + day + "&dateTo=" + day); len(got) == 0 || len(got) >= len(all) {
		t.Errorf("one day %s: %d of %d events", day, len(got), len(all))
	}
	if code, _, _ := do(t, srv, http.MethodGet, "/audit/events?dateFrom=yesterday", ""); code != 400 {
		t.Errorf("dateFrom=yesterday: %d, want 400", code)
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
