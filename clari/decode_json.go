package clari

import (
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// DecodeJSON streams a Clari JSON export result to v without holding it in
// memory: memory use is a fixed 64 KiB buffer plus a bounded table of
// interned ids, whatever the document's size.
//
// The top-level lists (entries, users, fields, timePeriods, timeFrames) may
// come in any order; unknown keys at any level are skipped whatever their
// values. Each entry becomes one Entry per data-type key it carries, in the
// order of AllDataTypes (forecast, quota, forecast_updated, adjustment,
// crm_total, crm_closed), all passed as the same reused *Entry.
//
// A malformed or truncated document gives a *DecodeError with the byte
// offset and entry index; an error returned by a Visitor func is returned as
// is. DecodeJSON never panics, whatever the input.
func DecodeJSON(r io.Reader, v Visitor) error {
	if r == nil {
		return &DecodeError{Format: string(FormatJSON), Entry: -1, Err: errNilReader}
	}
	d := jsonDecoder{s: newJSONScanner(r), v: v, ids: make(map[string]string, 256)}
	err := d.document()
	if ve, ok := err.(visitorError); ok {
		return ve.err
	}
	return err
}

type jsonDecoder struct {
	s *jsonScanner
	v Visitor

	// ids interns the short strings that repeat in every entry (user,
	// field, period and week ids, currency codes), so an Entry costs no
	// allocation. Bounded by maxInternedIDs: it is cleared when full.
	ids map[string]string

	// last holds the previous value of each interned key (last* indexes).
	last [6]string

	entries int   // entries seen so far: the index of the next one
	e       Entry // passed to v.Entry, reused
	// Per entry: which data-type keys were present, and their values, by
	// index in AllDataTypes.
	present  [6]bool
	hasValue [6]bool
	values   [6]float64
}

const (
	maxInternedIDs = 16384
	maxInternedLen = 128
)

// Indexes into jsonDecoder.last.
const (
	lastUserID = iota
	lastFieldID
	lastTimePeriodID
	lastTimeFrameID
	lastCurrency
	lastListID
)

// Indexes into AllDataTypes.
const (
	idxForecast = iota
	idxQuota
	idxForecastUpdated
	idxAdjustment
	idxCRMTotal
	idxCRMClosed
)

func (d *jsonDecoder) intern(b []byte) string {
	if len(b) > maxInternedLen {
		return string(b)
	}
	if s, ok := d.ids[string(b)]; ok { // no allocation for the lookup
		return s
	}
	if len(d.ids) >= maxInternedIDs {
		clear(d.ids)
	}
	s := string(b)
	d.ids[s] = s
	return s
}

// key reads an object key and the ':' after it, returning the key's id from
// classify (the key's bytes are only valid until the next read, so they are
// classified before anything else is read).
func (d *jsonDecoder) key(classify func([]byte) int) (int, error) {
	b, err := d.s.readString()
	if err != nil {
		return 0, err
	}
	k := classify(b)
	if err := d.s.expectDelim(':', "':' after object key"); err != nil {
		return 0, err
	}
	return k, nil
}

// members decodes the members of an object after its '{': each key goes
// through classify, then member reads (or skips) its value.
func (d *jsonDecoder) members(classify func([]byte) int, member func(k int) error) error {
	for first := true; ; first = false {
		more, err := d.s.nextMember(first)
		if err != nil || !more {
			return err
		}
		k, err := d.key(classify)
		if err != nil {
			return err
		}
		if err := member(k); err != nil {
			return err
		}
	}
}

// elements decodes the elements of an array after its '[', calling item at
// the start of each.
func (d *jsonDecoder) elements(item func() error) error {
	for first := true; ; first = false {
		more, err := d.s.nextElement(first)
		if err != nil || !more {
			return err
		}
		if err := item(); err != nil {
			return err
		}
	}
}

// end checks that only white space follows the document's top-level value
// (what names it in the error).
func (d *jsonDecoder) end(what string) error {
	eof, err := d.s.atEOF()
	if err != nil {
		return err
	}
	if !eof {
		return d.s.errorf("unexpected data after the %s", what)
	}
	return nil
}

// Top-level keys.
const (
	topUnknown = iota
	topEntries
	topUsers
	topFields
	topTimePeriods
	topTimeFrames
)

func classifyTop(b []byte) int {
	switch string(b) {
	case "entries":
		return topEntries
	case "users":
		return topUsers
	case "fields":
		return topFields
	case "timePeriods":
		return topTimePeriods
	case "timeFrames":
		return topTimeFrames
	}
	return topUnknown
}

// maxNamedKeys bounds the unknown top-level keys a shape error names.
const maxNamedKeys = 8

func (d *jsonDecoder) document() error {
	if err := d.s.expectDelim('{', "a JSON object at the top level"); err != nil {
		return err
	}
	// A document with none of the five lists is not an empty export but a
	// shape this decoder does not know ({"data":[...]}): it fails, naming
	// the keys it has, so the error says what Clari sent.
	lists := 0
	var others []string
	classify := func(b []byte) int {
		k := classifyTop(b)
		if k == topUnknown && len(others) < maxNamedKeys {
			others = append(others, strconv.Quote(excerpt(string(b), 40)))
		}
		return k
	}
	err := d.members(classify, func(k int) error {
		if k != topUnknown {
			lists++
		}
		switch k {
		case topEntries:
			return d.list("entries", d.entry)
		case topUsers:
			return d.list("users", d.user)
		case topFields:
			return d.list("fields", d.field)
		case topTimePeriods:
			return d.list("timePeriods", d.timePeriod)
		case topTimeFrames:
			return d.list("timeFrames", d.timeFrame)
		}
		return d.s.skipValue(1)
	})
	if err != nil {
		return err
	}
	if err := d.end("top-level object"); err != nil {
		return err
	}
	if lists == 0 {
		found := "an empty object"
		if len(others) > 0 {
			found = "only the keys " + strings.Join(others, ", ")
		}
		return &DecodeError{Format: string(FormatJSON), Entry: -1, // the whole document: byte 0
			Err: fmt.Errorf("not an export result: none of the lists entries, users, fields, timePeriods, timeFrames; found %s", found)}
	}
	return nil
}

// list decodes an array of objects, calling item after each '{' is
// consumed. null counts as an empty list.
func (d *jsonDecoder) list(name string, item func() error) error {
	c, err := d.s.peek()
	if err != nil {
		return err
	}
	if c == 'n' {
		_, err := d.s.readLiteral()
		return err
	}
	if c != '[' {
		return d.s.errorf("%s: expected an array, found %s", name, describe(c))
	}
	d.s.pos++
	return d.elements(func() error {
		c, err := d.s.peek()
		if err != nil {
			return err
		}
		if c != '{' {
			return d.s.errorf("%s item: expected an object, found %s", name, describe(c))
		}
		d.s.pos++
		return item()
	})
}

// Entry keys.
const (
	entryUnknown = iota
	entryUserID
	entryFieldID
	entryTimePeriodID
	entryTimeFrameID
	entryUpdatedOn
	entryCurrency
	entryForecast
	entryQuota
	entryIsUpdated
	entryAdjustment
	entryCRMTotal
	entryCRMClosed
)

// entryValueIndex maps a value key to its index in AllDataTypes.
var entryValueIndex = [...]int{
	entryForecast:   idxForecast,
	entryQuota:      idxQuota,
	entryIsUpdated:  idxForecastUpdated,
	entryAdjustment: idxAdjustment,
	entryCRMTotal:   idxCRMTotal,
	entryCRMClosed:  idxCRMClosed,
}

var entryKeyNames = [...]string{
	entryUserID:       "userId",
	entryFieldID:      "fieldId",
	entryTimePeriodID: "timePeriodId",
	entryTimeFrameID:  "timeFrameId",
	entryUpdatedOn:    "updatedOn",
	entryCurrency:     "currency",
	entryForecast:     "forecastValue",
	entryQuota:        "quotaValue",
	entryIsUpdated:    "isUpdated",
	entryAdjustment:   "adjustmentValue",
	entryCRMTotal:     "aggregationTotal",
	entryCRMClosed:    "crmClosedValue",
}

func classifyEntry(b []byte) int {
	switch string(b) {
	case "userId":
		return entryUserID
	case "fieldId":
		return entryFieldID
	case "timePeriodId":
		return entryTimePeriodID
	case "timeFrameId":
		return entryTimeFrameID
	case "updatedOn":
		return entryUpdatedOn
	case "currency":
		return entryCurrency
	case "forecastValue":
		return entryForecast
	case "quotaValue":
		return entryQuota
	case "isUpdated":
		return entryIsUpdated
	case "adjustmentValue":
		return entryAdjustment
	case "aggregationTotal", "crmTotalValue":
		// aggregationTotal is the only key a public schema names for the
		// CRM total; crmTotalValue is kept for documents that use it.
		return entryCRMTotal
	case "crmClosedValue":
		return entryCRMClosed
	}
	return entryUnknown
}

// entry decodes one entries item (after its '{') and emits its Entries.
func (d *jsonDecoder) entry() error {
	d.s.entry = d.entries
	var base Entry
	d.present = [6]bool{}
	err := d.members(classifyEntry, func(k int) (err error) {
		switch k {
		case entryUserID:
			base.UserID, err = d.id(entryKeyNames[k], &d.last[lastUserID])
		case entryFieldID:
			base.FieldID, err = d.id(entryKeyNames[k], &d.last[lastFieldID])
		case entryTimePeriodID:
			base.TimePeriodID, err = d.id(entryKeyNames[k], &d.last[lastTimePeriodID])
		case entryTimeFrameID:
			base.TimeFrameID, err = d.id(entryKeyNames[k], &d.last[lastTimeFrameID])
		case entryUpdatedOn:
			base.UpdatedOn, err = d.epochMillis(entryKeyNames[k])
		case entryCurrency:
			base.Currency, err = d.currency()
		case entryForecast, entryQuota, entryIsUpdated, entryAdjustment, entryCRMTotal, entryCRMClosed:
			i := entryValueIndex[k]
			d.present[i] = true
			d.values[i], d.hasValue[i], err = d.value(entryKeyNames[k])
		default:
			err = d.s.skipValue(1)
		}
		return err
	})
	if err != nil {
		return err
	}
	if d.v.Entry != nil {
		for i, ok := range d.present {
			if !ok {
				continue
			}
			// Rebuilt for every call: the visitor may have changed it.
			d.e = base
			d.e.DataType = AllDataTypes[i]
			d.e.Value = d.values[i]
			d.e.HasValue = d.hasValue[i]
			if err := d.v.Entry(&d.e); err != nil {
				return visitorError{err}
			}
		}
	}
	d.entries++
	d.s.entry = -1
	return nil
}

// id reads a string (or a number, kept as its text; or null, as ""). With
// last it is interned, and returned without even a map lookup when it
// equals *last, the previous value of the same key (consecutive entries
// mostly share user, field and period).
func (d *jsonDecoder) id(name string, last *string) (string, error) {
	c, err := d.s.peek()
	if err != nil {
		return "", err
	}
	var b []byte
	switch {
	case c == '"':
		b, err = d.s.readString()
	case c == '-' || (c >= '0' && c <= '9'):
		b, err = d.s.readNumber()
	case c == 'n':
		_, err = d.s.readLiteral()
		return "", err
	default:
		return "", d.s.errorf("%s: expected a string, found %s", name, describe(c))
	}
	if err != nil {
		return "", err
	}
	if last == nil {
		return string(b), nil
	}
	if string(b) == *last {
		return *last, nil
	}
	*last = d.intern(b)
	return *last, nil
}

// value reads a data value: a number, null (no value), a numeric string
// ("123.5"; "" is no value) or a boolean (1/0).
func (d *jsonDecoder) value(name string) (float64, bool, error) {
	c, err := d.s.peek()
	if err != nil {
		return 0, false, err
	}
	switch {
	case c == '-' || (c >= '0' && c <= '9'):
		off := d.s.offset()
		b, err := d.s.readNumber()
		if err != nil {
			return 0, false, err
		}
		f, err := parseFloatBytes(b)
		if err != nil {
			return 0, false, d.s.errAt(off, fmt.Errorf("%s: %w", name, err))
		}
		return f, true, nil
	case c == 'n':
		_, err := d.s.readLiteral()
		return 0, false, err
	case c == 't' || c == 'f':
		lit, err := d.s.readLiteral()
		if lit == 't' {
			return 1, true, err
		}
		return 0, true, err
	case c == '"':
		off := d.s.offset()
		b, err := d.s.readString()
		if err != nil {
			return 0, false, err
		}
		b = trimSpace(b)
		if len(b) == 0 {
			return 0, false, nil
		}
		switch string(b) {
		case "true":
			return 1, true, nil
		case "false":
			return 0, true, nil
		}
		f, err := parseFloatBytes(b)
		if err != nil {
			return 0, false, d.s.errAt(off, fmt.Errorf("%s: %w", name, err))
		}
		return f, true, nil
	}
	return 0, false, d.s.errorf("%s: expected a number or null, found %s", name, describe(c))
}

// epochMillis reads updatedOn: a number (or numeric string) of epoch
// milliseconds; null is 0.
func (d *jsonDecoder) epochMillis(name string) (int64, error) {
	f, ok, err := d.value(name)
	if err != nil || !ok {
		return 0, err
	}
	if f != math.Trunc(f) || f < -9.2e18 || f > 9.2e18 {
		return 0, d.s.errorf("%s: %v is not a whole number of milliseconds", name, f)
	}
	return int64(f), nil
}

// currency reads {"code":"USD","symbol":"$"} or a bare code "USD".
func (d *jsonDecoder) currency() (string, error) {
	c, err := d.s.peek()
	if err != nil {
		return "", err
	}
	if c != '{' {
		return d.id("currency", &d.last[lastCurrency])
	}
	d.s.pos++
	code := ""
	err = d.members(classifyCode, func(k int) (err error) {
		if k == 1 {
			code, err = d.id("currency.code", &d.last[lastCurrency])
			return err
		}
		return d.s.skipValue(2)
	})
	if err != nil {
		return "", err
	}
	return code, nil
}

// Classifiers of objects with one known key (1; any other is 0), made once.
var (
	classifyCode = isKey("code") // a currency object
	classifyJobs = isKey("jobs") // the object around a job list
)

func isKey(name string) func([]byte) int {
	return func(b []byte) int {
		if string(b) == name {
			return 1
		}
		return 0
	}
}

// object decodes the members of an object (after its '{'), handing each
// known key's text to set; unknown keys are skipped.
func (d *jsonDecoder) object(keys []string, set func(k int, v string)) error {
	classify := func(b []byte) int {
		for i, name := range keys {
			if string(b) == name {
				return i
			}
		}
		return -1
	}
	return d.members(classify, func(k int) error {
		if k < 0 {
			return d.s.skipValue(1)
		}
		c, err := d.s.peek()
		if err != nil {
			return err
		}
		var v string
		var idSlot *string // the list item's id (key 0) is interned
		if k == 0 {
			idSlot = &d.last[lastListID]
		}
		if c == 't' || c == 'f' {
			lit, err := d.s.readLiteral()
			if err != nil {
				return err
			}
			v = strconv.FormatBool(lit == 't')
		} else if v, err = d.id(keys[k], idSlot); err != nil {
			return err
		}
		set(k, v)
		return nil
	})
}

// The lookup lists: the JSON keys of each item, in the order of the
// fields its fields func returns.
var (
	userKeys       = []string{"userId", "name", "email", "crmId", "hierarchyId", "hierarchyName", "parentHierarchyId", "parentHierarchyName", "scopeId"}
	fieldKeys      = []string{"fieldId", "fieldName", "fieldType"}
	timePeriodKeys = []string{"timePeriodId", "type", "label", "year", "startDate", "endDate", "crmId"}
	timeFrameKeys  = []string{"timeFrameId", "startDate", "endDate"}
)

func (d *jsonDecoder) user() error {
	return lookupItem(d, userKeys, d.v.User, func(u *User) []*string {
		return []*string{&u.UserID, &u.Name, &u.Email, &u.CRMID, &u.HierarchyID, &u.HierarchyName, &u.ParentHierarchyID, &u.ParentHierarchyName, &u.ScopeID}
	})
}

func (d *jsonDecoder) field() error {
	return lookupItem(d, fieldKeys, d.v.Field, func(f *Field) []*string {
		return []*string{&f.FieldID, &f.FieldName, &f.FieldType}
	})
}

func (d *jsonDecoder) timePeriod() error {
	return lookupItem(d, timePeriodKeys, d.v.TimePeriod, func(p *TimePeriod) []*string {
		return []*string{&p.TimePeriodID, &p.Type, &p.Label, &p.Year, &p.StartDate, &p.EndDate, &p.CRMID}
	})
}

func (d *jsonDecoder) timeFrame() error {
	return lookupItem(d, timeFrameKeys, d.v.TimeFrame, func(t *TimeFrame) []*string {
		return []*string{&t.TimeFrameID, &t.StartDate, &t.EndDate}
	})
}

// lookupItem decodes one item of a lookup list: keys[k] fills the k-th
// field fields returns. The item goes to visit (nil: decoded and dropped).
// Lookup lists are small (users, fields, periods, weeks), so the few
// allocations here do not matter; entries take the allocation-free path.
func lookupItem[T any](d *jsonDecoder, keys []string, visit func(T) error, fields func(*T) []*string) error {
	var item T
	slots := fields(&item)
	if err := d.object(keys, func(k int, v string) { *slots[k] = v }); err != nil || visit == nil {
		return err
	}
	if err := visit(item); err != nil {
		return visitorError{err}
	}
	return nil
}
