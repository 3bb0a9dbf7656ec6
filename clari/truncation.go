package clari

// A job record says whether its document is complete: rowsTruncated and
// cellsTruncated [doc]. Clari's reference does not fix their type, so both
// shapes seen are read: a boolean, or a count that is set when above 0. A
// DONE job with either set delivered an incomplete document: a run ends
// OutcomeTruncated without reading it (jobs.go), the watch fails the check;
// this file only reads the flags.

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
)

// Truncation is one of a job record's truncation flags as Clari sent it.
type Truncation struct {
	// Set is true when Clari sent true or a count above 0.
	Set bool
	// Count is the number Clari sent (rows or cells left out); 0 when it
	// sent a boolean, or nothing.
	Count int64
}

// String is the flag as a log or error value: "no", "yes" (a boolean) or
// the count.
func (t Truncation) String() string {
	switch {
	case t.Count > 0:
		return strconv.FormatInt(t.Count, 10)
	case t.Set:
		return "yes"
	}
	return "no"
}

// MarshalJSON writes the count when there is one, else the boolean: the
// shape Clari sends, so the simulator can serve a clari.Job as it is.
func (t Truncation) MarshalJSON() ([]byte, error) {
	if t.Count > 0 {
		return strconv.AppendInt(nil, t.Count, 10), nil
	}
	return strconv.AppendBool(nil, t.Set), nil
}

// UnmarshalJSON accepts a boolean, a number, a string holding either, or
// null (not set). Any other value counts as set: a flag the client cannot
// read must never let an incomplete document pass as complete.
func (t *Truncation) UnmarshalJSON(b []byte) error {
	v := bytes.TrimSpace(b)
	if len(v) > 0 && v[0] == '"' {
		var s string
		if err := json.Unmarshal(v, &s); err != nil {
			return err
		}
		*t = parseTruncation(s)
		return nil
	}
	*t = parseTruncation(string(v))
	return nil
}

// parseTruncation reads the text of a flag (a JSON literal, number, or the
// content of a string).
func parseTruncation(s string) Truncation {
	s = strings.TrimSpace(s)
	switch strings.ToLower(s) {
	case "", "null", "false", "0", "no":
		return Truncation{}
	case "true", "yes":
		return Truncation{Set: true}
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return Truncation{Set: true} // unreadable: fail safe
	}
	if !(f > 0) {
		return Truncation{}
	}
	n := int64(f)
	if f >= 9.2e18 {
		n = 1<<63 - 1
	}
	return Truncation{Set: true, Count: max(n, 1)}
}

// Truncated reports whether the job record says its document is
// incomplete: rowsTruncated or cellsTruncated set (true, or a count above
// 0). A DONE job that is Truncated must never pass as a good export.
func (j *Job) Truncated() bool { return j.RowsTruncated.Set || j.CellsTruncated.Set }
