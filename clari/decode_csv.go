package clari

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// DecodeCSV streams a Clari CSV export result to v: one Entry per row,
// passed as the same reused *Entry. Memory use does not grow with the
// document (encoding/csv with ReuseRecord; ids are interned).
//
// The documented shape (docs/client.md#csv-results) is
//
//	User,Email,CRM User ID,Role,Parent Role,Timeframe,Field,Week,Start Day,End Day,Data Type,Data Value
//	Jane Doe,jane@x.io,005A,AE,Mgr,July FY 2023,Monthly Commit,0,06/30/2023,07/06/2023,Forecast Value,"$3,000,190.00"
//
// Columns are located by header name (case and surrounding spaces ignored,
// order free, extra columns ignored). Required: Field, Start Day, Data
// Type, Data Value, and CRM User ID or Email; Role and Week are read when
// present. A row maps to an Entry like this:
//   - UserID: CRM User ID, or Email when that cell is empty. One person
//     can sit in several hierarchy nodes with the same CRM id, each node
//     its own user (Clari's JSON gives each its own userId): the first node
//     (Role) a CRM id appears with keeps the plain CRM id, every other node
//     of it is "<CRM id>|<Role>". Single-node users, nearly all of them,
//     keep the key they always had;
//   - FieldID: Field (the field's display name, as CSV has no field id);
//   - TimePeriodID: the fiscal period of the row's week, by
//     v.PeriodOf. Weeks are weekday-aligned, so Week 0 may start up to 6
//     days before its quarter: a Week 0 row is dated by its week's last day
//     (Start Day + 6), any other row by its Start Day (the last week of a
//     quarter may end after it). Without a Week column every row is dated
//     by its Start Day. Timeframe ("July FY 2023") is a label only and not
//     read: there is no period column, and the rows' days are what shows
//     which quarter Clari really exported;
//   - TimeFrameID: "TF:" + Start Day as yyyy-mm-dd (MM/DD/YYYY or
//     yyyy-mm-dd accepted), as in JSON;
//   - DataType: the Data Type label: "Forecast Value" and "Forecast
//     Updated" are documented; for the other types both "X" and "X Value"
//     are accepted (Quota, Adjustment, CRM Total, CRM Closed), and so are
//     the API names. Rows of a label this package does not know are
//     skipped and reported once per label to v.UnknownDataType;
//   - Value: Data Value like "$3,000,190.00", "-$1,234.50", "($5.00)",
//     "1234.5", "Yes"/"No"; an empty cell is HasValue false.
//
// UpdatedOn and Currency stay empty: the CSV export does not carry them.
//
// A malformed document gives a *DecodeError with the line, data-row index
// and byte offset; an error returned by a Visitor func is returned as is.
func DecodeCSV(r io.Reader, v Visitor) error {
	if r == nil {
		return &DecodeError{Format: string(FormatCSV), Entry: -1, Err: errNilReader}
	}
	if v.PeriodOf == nil {
		return &DecodeError{Format: string(FormatCSV), Entry: -1, Err: errNoCalendar}
	}
	d := csvDecoder{r: csv.NewReader(r), v: v, ids: make(map[string]string, 256), weeks: make(map[string]csvWeek, 16)}
	d.r.ReuseRecord = true
	d.r.FieldsPerRecord = -1 // row width is checked against the columns used
	err := d.decode()
	if ve, ok := err.(visitorError); ok {
		return ve.err
	}
	return err
}

// csvColumns are the header names DecodeCSV uses.
const (
	colUser       = "User"
	colEmail      = "Email"
	colCRMUserID  = "CRM User ID"
	colRole       = "Role"
	colWeek       = "Week"
	colField      = "Field"
	colStartDay   = "Start Day"
	colDataType   = "Data Type"
	colDataValue  = "Data Value"
	missingColumn = -1
)

type csvDecoder struct {
	r   *csv.Reader
	v   Visitor
	ids map[string]string

	// Column indexes; missingColumn when absent.
	email, crmUserID, field, startDay, dataType, dataValue int
	role, weekIndex                                        int // optional
	width                                                  int // columns a row needs

	// nodes holds the first hierarchy node (Role) each CRM id was seen
	// with; rows of its other nodes are other users (see DecodeCSV).
	// Bounded by maxTrackedUsers.
	nodes map[string]string

	// weeks caches a Start Day cell's week id and fiscal period: the same
	// few weeks repeat on every row.
	weeks map[string]csvWeek
	// unknown counts rows per Data Type label not known, in order of
	// first appearance (bounded: see maxUnknownLabels).
	unknown []unknownLabel

	entry   int   // data-row index
	line    int   // line of the current row
	offset  int64 // byte offset of the current row
	e       Entry
	scratch []byte
}

func (d *csvDecoder) errorf(format string, args ...any) error {
	return &DecodeError{Format: string(FormatCSV), Offset: d.offset, Entry: d.entry, Line: d.line, Err: fmt.Errorf(format, args...)}
}

// readErr turns an error of csv.Reader into a DecodeError.
func (d *csvDecoder) readErr(err error) error {
	de := &DecodeError{Format: string(FormatCSV), Offset: d.r.InputOffset(), Entry: d.entry, Line: d.line, Err: err}
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		de.Line = pe.Line
		de.Err = fmt.Errorf("column %d: %w", pe.Column, pe.Err)
		if pe.Err == csv.ErrQuote || pe.Err == csv.ErrBareQuote {
			de.Err = fmt.Errorf("column %d: %w (or the document is truncated)", pe.Column, pe.Err)
		}
	}
	if err == io.ErrUnexpectedEOF {
		de.Err = errUnexpectedEnd
	}
	return de
}

func (d *csvDecoder) decode() error {
	d.entry = -1
	d.line = 1
	header, err := d.r.Read()
	if err == io.EOF {
		return d.errorf("empty document: the header line is missing")
	}
	if err != nil {
		return d.readErr(err)
	}
	if err := d.columns(header); err != nil {
		return err
	}
	for d.entry = 0; ; d.entry++ {
		d.offset = d.r.InputOffset()
		rec, err := d.r.Read()
		if err == io.EOF {
			return d.reportUnknown()
		}
		if err != nil {
			return d.readErr(err)
		}
		d.line, _ = d.r.FieldPos(0)
		if err := d.row(rec); err != nil {
			return err
		}
	}
}

func (d *csvDecoder) columns(header []string) error {
	find := func(name string) int {
		for i, h := range header {
			if i == 0 {
				h = strings.TrimPrefix(h, "\ufeff") // a BOM, as spreadsheet tools write
			}
			if strings.EqualFold(strings.TrimSpace(h), name) {
				return i
			}
		}
		return missingColumn
	}
	d.email, d.crmUserID = find(colEmail), find(colCRMUserID)
	if d.email == missingColumn && d.crmUserID == missingColumn {
		return d.errorf("header: missing column %q (or %q); header is %q", colCRMUserID, colEmail, header)
	}
	for _, c := range []struct {
		name string
		idx  *int
	}{
		{colField, &d.field},
		{colStartDay, &d.startDay},
		{colDataType, &d.dataType},
		{colDataValue, &d.dataValue},
	} {
		if *c.idx = find(c.name); *c.idx == missingColumn {
			return d.errorf("header: missing column %q; header is %q", c.name, header)
		}
	}
	d.role, d.weekIndex = find(colRole), find(colWeek)
	d.width = 1 + max(d.email, d.crmUserID, d.field, d.startDay, d.dataType, d.dataValue, d.role, d.weekIndex)
	return nil
}

func (d *csvDecoder) intern(s string) string {
	if len(s) > maxInternedLen {
		return strings.Clone(s) // do not keep the whole record alive
	}
	if v, ok := d.ids[s]; ok {
		return v
	}
	if len(d.ids) >= maxInternedIDs {
		clear(d.ids)
	}
	s = strings.Clone(s)
	d.ids[s] = s
	return s
}

func (d *csvDecoder) internBytes(b []byte) string {
	if v, ok := d.ids[string(b)]; ok {
		return v
	}
	return d.intern(string(b))
}

func (d *csvDecoder) row(rec []string) error {
	if len(rec) < d.width {
		return d.errorf("row has %d columns, the header needs at least %d", len(rec), d.width)
	}
	dt, ok := csvDataType(rec[d.dataType])
	if !ok {
		d.countUnknown(rec[d.dataType])
		return nil
	}
	user := ""
	if d.crmUserID != missingColumn {
		user = strings.TrimSpace(rec[d.crmUserID])
	}
	if user == "" && d.email != missingColumn {
		user = strings.TrimSpace(rec[d.email])
	}
	week, err := d.week(rec[d.startDay])
	if err != nil {
		return err
	}
	period := week.period
	if d.weekIndex != missingColumn && isWeekZero(rec[d.weekIndex]) {
		period = week.periodAsWeek0
	}
	value, has, err := d.parseValue(rec[d.dataValue])
	if err != nil {
		return err
	}
	if d.v.Entry == nil {
		return nil
	}
	d.e = Entry{
		UserID:       d.userKey(user, rec),
		FieldID:      d.intern(strings.TrimSpace(rec[d.field])),
		TimePeriodID: period,
		TimeFrameID:  week.id,
		DataType:     dt,
		Value:        value,
		HasValue:     has,
	}
	if err := d.v.Entry(&d.e); err != nil {
		return visitorError{err}
	}
	return nil
}

// maxTrackedUsers bounds DecodeCSV's memory of users' first nodes; users
// beyond it keep their plain CRM id.
const maxTrackedUsers = 1 << 20

// userKey is the row's user: its CRM id (or email), made distinct per
// hierarchy node for every node but the first the id appears with.
func (d *csvDecoder) userKey(user string, rec []string) string {
	if d.role == missingColumn {
		return d.intern(user)
	}
	role := strings.TrimSpace(rec[d.role])
	first, seen := d.nodes[user]
	switch {
	case !seen && len(d.nodes) < maxTrackedUsers:
		if d.nodes == nil {
			d.nodes = make(map[string]string, 256)
		}
		user = d.intern(user)
		d.nodes[user] = d.intern(role)
		return user
	case !seen || first == role:
		return d.intern(user)
	}
	b := append(d.scratch[:0], user...)
	b = append(append(b, '|'), role...)
	d.scratch = b
	return d.internBytes(b)
}

// isWeekZero reports a Week cell of the quarter's first week: "0" (or
// "Week 0").
func isWeekZero(cell string) bool {
	s := strings.TrimSpace(cell)
	if len(s) > 4 && strings.EqualFold(s[:4], "week") {
		s = strings.TrimSpace(s[4:])
	}
	return s == "0"
}

// csvDataTypeLabels are the Data Type labels per data type, without the
// optional " Value" suffix ("Forecast Value" and "Forecast" both mean
// forecast).
var csvDataTypeLabels = [...]struct{ label, name string }{
	{"Forecast", DataForecast},
	{"Quota", DataQuota},
	{"Forecast Updated", DataForecastUpdated},
	{"Adjustment", DataAdjustment},
	{"CRM Total", DataCRMTotal},
	{"CRM Closed", DataCRMClosed},
}

// csvDataType maps a Data Type cell to a Data* constant: "X", "X Value"
// (any case) or the API name.
func csvDataType(s string) (string, bool) {
	s = strings.TrimSpace(s)
	bare := s
	if n := len(s) - len(" value"); n > 0 && strings.EqualFold(s[n:], " value") {
		bare = strings.TrimSpace(s[:n])
	}
	for _, c := range csvDataTypeLabels {
		if strings.EqualFold(bare, c.label) || s == c.name {
			return c.name, true
		}
	}
	return "", false
}

// maxUnknownLabels bounds the distinct unknown Data Type labels tracked;
// rows of further labels are counted under the last slot's label
// otherLabels.
const (
	maxUnknownLabels = 16
	otherLabels      = "(other labels)"
)

type unknownLabel struct {
	label string
	rows  int
}

func (d *csvDecoder) countUnknown(cell string) {
	label := strings.TrimSpace(cell)
	for i := range d.unknown {
		if d.unknown[i].label == label {
			d.unknown[i].rows++
			return
		}
	}
	if len(d.unknown) >= maxUnknownLabels {
		last := &d.unknown[len(d.unknown)-1]
		last.label = otherLabels
		last.rows++
		return
	}
	d.unknown = append(d.unknown, unknownLabel{label: excerpt(label, 64), rows: 1})
}

func (d *csvDecoder) reportUnknown() error {
	if d.v.UnknownDataType == nil {
		return nil
	}
	for _, u := range d.unknown {
		if err := d.v.UnknownDataType(u.label, u.rows); err != nil {
			return visitorError{err}
		}
	}
	return nil
}

// csvWeek is what a Start Day cell says: the week id, the fiscal period
// of its start day, and the period it belongs to as a quarter's Week 0 (of
// its last day: week 0 may start before the quarter).
type csvWeek struct{ id, period, periodAsWeek0 string }

// week parses a Start Day cell, cached per distinct cell text.
func (d *csvDecoder) week(cell string) (csvWeek, error) {
	if w, ok := d.weeks[cell]; ok {
		return w, nil
	}
	id, day, err := d.weekID(cell)
	if err != nil {
		return csvWeek{}, err
	}
	w := csvWeek{id: id, period: d.intern(d.v.PeriodOf(day)), periodAsWeek0: d.intern(d.v.PeriodOf(day.AddDate(0, 0, 6)))}
	if len(d.weeks) >= maxInternedIDs {
		clear(d.weeks)
	}
	d.weeks[strings.Clone(cell)] = w
	return w, nil
}

// weekID turns a Start Day cell (MM/DD/YYYY, M/D/YYYY or yyyy-mm-dd) into
// the JSON timeFrameId form "TF:yyyy-mm-dd" and the day itself.
func (d *csvDecoder) weekID(cell string) (string, time.Time, error) {
	s := strings.TrimSpace(cell)
	var y, m, dd int
	var t time.Time
	ok := false
	if i := strings.IndexByte(s, '/'); i >= 0 {
		j := i + 1 + strings.IndexByte(s[i+1:], '/')
		if j > i {
			m, ok = atoiRange(s[:i], 1, 2, 1, 12)
			if ok {
				dd, ok = atoiRange(s[i+1:j], 1, 2, 1, 31)
			}
			if ok {
				y, ok = atoiRange(s[j+1:], 4, 4, 1, 9999)
			}
		}
	} else if len(s) == 10 && s[4] == '-' && s[7] == '-' {
		y, ok = atoiRange(s[:4], 4, 4, 1, 9999)
		if ok {
			m, ok = atoiRange(s[5:7], 2, 2, 1, 12)
		}
		if ok {
			dd, ok = atoiRange(s[8:], 2, 2, 1, 31)
		}
	}
	if ok {
		day := time.Date(y, time.Month(m), dd, 0, 0, 0, 0, time.UTC)
		ok = day.Day() == dd // 02/31/2026 is not a day
		t = day
	}
	if !ok {
		return "", time.Time{}, d.errorf("column %q: invalid date %q (want MM/DD/YYYY)", colStartDay, cell)
	}
	b := append(d.scratch[:0], "TF:"...)
	b = appendDigits(b, y, 4)
	b = append(b, '-')
	b = appendDigits(b, m, 2)
	b = append(b, '-')
	b = appendDigits(b, dd, 2)
	d.scratch = b
	return d.internBytes(b), t, nil
}

// atoiRange parses a decimal of minLen..maxLen digits within [lo, hi].
func atoiRange(s string, minLen, maxLen, lo, hi int) (int, bool) {
	if len(s) < minLen || len(s) > maxLen {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
		n = n*10 + int(s[i]-'0')
	}
	return n, n >= lo && n <= hi
}

func appendDigits(b []byte, n, width int) []byte {
	var tmp [4]byte
	for i := width - 1; i >= 0; i-- {
		tmp[i] = byte('0' + n%10)
		n /= 10
	}
	return append(b, tmp[:width]...)
}

// parseValue parses a Data Value cell: a possibly currency-formatted number
// ("$3,000,190.00", "-$1,234.50", "$-1,234.50", "($5.00)", "€12.5"), a
// Yes/No (1/0), or empty (no value).
func (d *csvDecoder) parseValue(cell string) (float64, bool, error) {
	s := strings.TrimSpace(cell)
	if s == "" {
		return 0, false, nil
	}
	switch {
	case strings.EqualFold(s, "yes") || strings.EqualFold(s, "true"):
		return 1, true, nil
	case strings.EqualFold(s, "no") || strings.EqualFold(s, "false"):
		return 0, true, nil
	}
	neg := false
	if len(s) >= 2 && s[0] == '(' && s[len(s)-1] == ')' {
		neg, s = true, s[1:len(s)-1] // accounting negative
	}
	if len(s) > 0 && s[0] == '-' {
		neg, s = !neg, s[1:]
	}
	// A currency symbol or code of a few bytes: "$", "€", "US$", "CHF ".
	sym := 0
	for sym < len(s) && sym < 8 && !(s[sym] >= '0' && s[sym] <= '9') && s[sym] != '.' && s[sym] != '-' {
		sym++
	}
	s = strings.TrimSpace(s[sym:])
	if len(s) > 0 && s[0] == '-' && sym > 0 {
		neg, s = !neg, s[1:]
	}
	// Commas must be thousands separators (groups of three digits before
	// the point): "1.234,00" is refused rather than read as 1.234.
	b := d.scratch[:0]
	grouped := true
	for i := 0; i < len(s); i++ {
		if s[i] != ',' {
			b = append(b, s[i])
			continue
		}
		if i == 0 || i+4 > len(s) || !isDigits(s[i+1:i+4]) || (i+4 < len(s) && s[i+4] != ',' && s[i+4] != '.') || strings.IndexByte(s[:i], '.') >= 0 {
			grouped = false
		}
	}
	d.scratch = b
	if !grouped || len(b) == 0 || b[0] == '-' || b[0] == '+' {
		return 0, false, d.errorf("column %q: invalid value %q", colDataValue, cell)
	}
	f, err := parseFloatBytes(b)
	if err != nil {
		return 0, false, d.errorf("column %q: invalid value %q", colDataValue, cell)
	}
	if neg {
		f = -f
	}
	return f, true, nil
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
