package clari

import (
	"fmt"
	"testing"
)

// Both job decoders (GetJob's and the streaming job list's) read the
// truncation flags in every shape Clari may send: a boolean or a count.
func TestJobTruncationShapes(t *testing.T) {
	cases := []struct {
		rows, cells string // JSON values; "" leaves the key out
		want        bool
		rowsCount   int64
	}{
		{"", "", false, 0},
		{"false", "false", false, 0},
		{"null", "0", false, 0},
		{"true", "false", true, 0},
		{"false", "true", true, 0},
		{"840", "0", true, 840},
		{"0", "12", true, 0},
		{`"3"`, `"false"`, true, 3},
		{`"0"`, `"no"`, false, 0},
		{"-1", "0", false, 0},
		{`{"n":1}`, "false", true, 0}, // unreadable: never passes as complete
	}
	for _, c := range cases {
		doc := `{"jobId":"606e23c981a6da229d75b515","status":"DONE"`
		if c.rows != "" {
			doc += `,"rowsTruncated":` + c.rows
		}
		if c.cells != "" {
			doc += `,"cellsTruncated":` + c.cells
		}
		doc += "}"
		one, err := decodeJobDocument([]byte(`{"job":` + doc + `}`))
		if err != nil {
			t.Fatalf("%s: %v", doc, err)
		}
		listed, err := collectJobs(t, "["+doc+"]")
		if err != nil || len(listed) != 1 {
			t.Fatalf("%s: list: %v %v", doc, listed, err)
		}
		for name, j := range map[string]Job{"GetJob": one, "job list": listed[0]} {
			if j.Truncated() != c.want || j.RowsTruncated.Count != c.rowsCount {
				t.Errorf("%s, %s: Truncated()=%v rows=%+v cells=%+v, want %v (rows count %d)", name, doc, j.Truncated(), j.RowsTruncated, j.CellsTruncated, c.want, c.rowsCount)
			}
		}
	}
}

// The simulator serves a clari.Job through its JSON tags: what it writes
// must read back as the same flags.
func TestTruncationRoundTrip(t *testing.T) {
	for _, tr := range []Truncation{{}, {Set: true}, {Set: true, Count: 5}} {
		b, err := tr.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		var back Truncation
		if err := back.UnmarshalJSON(b); err != nil || back != tr {
			t.Errorf("%+v → %s → %+v (%v)", tr, b, back, err)
		}
		if want := map[bool]string{false: "no", true: "yes"}[tr.Set]; tr.Count == 0 && tr.String() != want {
			t.Errorf("String %q, want %q", tr.String(), want)
		}
	}
	if s := fmt.Sprint(Truncation{Set: true, Count: 840}); s != "840" {
		t.Errorf("String %q", s)
	}
}
