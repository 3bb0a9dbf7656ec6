package snapshot

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/clari-exporter/clari_exporter/clari"
)

// Target is what one export was asked for. Forecast and ScopeID are the same
// for every entry of an export, so they are part of the natural key
// implicitly. When Currency is set (a converted export), each entry's
// currency is part of the key too.
type Target struct {
	Forecast string
	Period   string // requested period; "" = Clari's default (current quarter)
	ScopeID  string
	Currency string
	// DataTypes are the requested typesToExport; each one is accounted for
	// in Snapshot.RowsByDataType, with 0 when the export delivered none.
	DataTypes []string
}

// column is the part of an entry's natural key other than the user: the
// few distinct (period, week, field, data type, currency) of an export.
// Each gets a small id, so a natural key is (column id, user id), packed
// into one uint64: equal keys are equal natural keys, no hashing, no
// collisions.
type column struct {
	period, timeFrame, field, dataType, currency string
}

// base is a column without its data type. A JSON entry carries several
// data types of one base, so the builder looks up the base once per JSON
// entry (it is the previous entry's in most cases) and the data type in the
// base's short list.
type base struct {
	period, timeFrame, field, currency string
}

type baseColumns struct {
	dataTypes []string // a few at most: clari.AllDataTypes
	ids       []uint32 // column id per data type
}

// Builder accumulates the entries of one export. It is not safe for
// concurrent use; feed it from the decoder's Visitor.Entry callback.
//
// Memory: about two bytes per entry for its packed key (exact distinct
// and duplicate counts come from sorting them, see keySet), 24 bytes per
// entry of the requested period's latest week (the only values totals and
// swings read), and one copy of each distinct user id and column.
type Builder struct {
	target Target
	jobID  string
	now    func() time.Time

	users    map[string]uint32
	bases    map[base]*baseColumns
	cols     []column // id → column
	last     base     // the previous entry's base and its columns: most
	lastCols *baseColumns
	lastUser string
	lastUID  uint32

	keys   keySet
	latest latestWeek

	// fieldNames maps a JSON fieldId to the display name its fields list
	// gives (CSV carries the display name already).
	fieldNames map[string]string
}

// NewBuilder starts the snapshot of one export job.
func NewBuilder(target Target, jobID string) *Builder {
	return &Builder{
		target: target,
		jobID:  jobID,
		now:    time.Now,
		users:  make(map[string]uint32),
		bases:  make(map[base]*baseColumns),
	}
}

func cloneString(s string) string {
	if s == "" {
		return ""
	}
	return string([]byte(s))
}

// errNilEntry is returned for a nil entry instead of panicking.
var errNilEntry = errors.New("snapshot: nil entry")

// maxUsers and maxColumns bound the ids of the packed key: 32 bits of
// user, 31 of column (the latest week's values use the top bit).
const (
	maxUsers   = math.MaxUint32
	maxColumns = math.MaxInt32
)

// Add records one entry. The entry is copied; the caller may reuse it.
// Of two entries with the same natural key the one with the greater
// UpdatedOn wins; on a tie (including CSV, which has no UpdatedOn) the later
// one wins. Add has the signature of clari.Visitor.Entry.
func (b *Builder) Add(e *clari.Entry) error {
	if e == nil {
		return errNilEntry
	}
	bk := base{period: e.TimePeriodID, timeFrame: e.TimeFrameID, field: e.FieldID}
	if b.target.Currency != "" {
		bk.currency = e.Currency
	}
	bc := b.lastCols
	if bc == nil || bk != b.last {
		if bc = b.bases[bk]; bc == nil {
			bk = base{cloneString(bk.period), cloneString(bk.timeFrame), cloneString(bk.field), cloneString(bk.currency)}
			bc = new(baseColumns)
			b.bases[bk] = bc
		}
		b.last, b.lastCols = bk, bc
	}
	cid, ok := uint32(0), false
	for i, dt := range bc.dataTypes {
		if dt == e.DataType {
			cid, ok = bc.ids[i], true
			break
		}
	}
	if !ok {
		if len(b.cols) >= maxColumns {
			return fmt.Errorf("snapshot: more than %d distinct (period, week, field, data type) in one export", maxColumns)
		}
		dt := cloneString(e.DataType)
		cid = uint32(len(b.cols))
		b.cols = append(b.cols, column{b.last.period, b.last.timeFrame, b.last.field, dt, b.last.currency})
		bc.dataTypes = append(bc.dataTypes, dt)
		bc.ids = append(bc.ids, cid)
	}
	uid, ok := b.lastUID, len(b.users) > 0 && b.lastUser == e.UserID
	if !ok {
		if uid, ok = b.users[e.UserID]; !ok {
			if len(b.users) >= maxUsers {
				return fmt.Errorf("snapshot: more than %d distinct users in one export", maxUsers)
			}
			u := cloneString(e.UserID)
			uid = uint32(len(b.users))
			b.users[u] = uid
		}
		b.lastUser, b.lastUID = e.UserID, uid
	}
	key := uint64(cid)<<32 | uint64(uid)
	b.keys.add(key)

	if b.target.Period == "" || e.TimePeriodID != b.target.Period {
		return nil
	}
	switch tf := e.TimeFrameID; {
	case tf == "" || tf < b.latest.week:
		return nil // not the latest week: its values are never read
	case tf > b.latest.week:
		b.latest.reset(b.cols[cid].timeFrame)
	}
	if e.HasValue {
		key |= hasValueBit
	}
	b.latest.add(latestValue{key: key, updatedOn: e.UpdatedOn, value: e.Value})
	return nil
}

// Visitor returns a clari.Visitor that feeds entries and the fields list
// to b.
func (b *Builder) Visitor() clari.Visitor {
	return clari.Visitor{Entry: b.Add, Field: b.AddField}
}

// AddField records a field's display name (an item of a JSON result's
// fields list). Totals are labelled by display name, because that is all a
// CSV result carries: the same data exported as JSON or CSV then gives the
// same series. The list may come before or after the entries.
func (b *Builder) AddField(f clari.Field) error {
	name := strings.TrimSpace(f.FieldName)
	if f.FieldID == "" || name == "" {
		return nil
	}
	if b.fieldNames == nil {
		b.fieldNames = make(map[string]string)
	}
	b.fieldNames[strings.Clone(f.FieldID)] = strings.Clone(name)
	return nil
}

// fieldLabel maps the field id of a total to its display name. A field
// keeps its id when the fields list does not name it, or when two fields
// share a name (one series per field, not two with the same labels).
func (b *Builder) fieldLabel() func(id string) string {
	if len(b.fieldNames) == 0 {
		return func(id string) string { return id }
	}
	uses := make(map[string]int, len(b.fieldNames))
	for _, name := range b.fieldNames {
		uses[name]++
	}
	return func(id string) string {
		if name, ok := b.fieldNames[id]; ok && uses[name] == 1 {
			return name
		}
		return id
	}
}

// Finish computes the snapshot. CreatedAt is the current time (UTC); the
// builder can keep being used, Finish only reads it.
func (b *Builder) Finish() Snapshot {
	s := Snapshot{
		Forecast:     b.target.Forecast,
		Period:       b.target.Period,
		JobID:        b.jobID,
		CreatedAt:    b.now().UTC(),
		RowsByPeriod: make(map[string]int),
		// Every requested type is present, so one that delivered nothing
		// reads 0 rather than vanishing.
		RowsByDataType: make(map[string]int, len(b.target.DataTypes)),
	}
	for _, dt := range b.target.DataTypes {
		s.RowsByDataType[dt] = 0
	}
	perColumn := make([]int, len(b.cols))
	s.DuplicateRows = b.keys.distinct(func(k uint64) { perColumn[k>>32]++ })
	for id, n := range perColumn {
		if n > 0 {
			s.Rows += n
			s.RowsByPeriod[b.cols[id].period] += n
			s.RowsByDataType[b.cols[id].dataType] += n
		}
	}
	for p := range s.RowsByPeriod {
		s.Periods = append(s.Periods, p)
	}
	slices.Sort(s.Periods)

	s.LatestWeek = b.latest.week
	if s.LatestWeek == "" {
		return s
	}
	type fieldType struct{ field, dataType string }
	sums := make(map[fieldType]*compensatedSum)
	b.latest.winners(func(v *latestValue) {
		if v.key&hasValueBit == 0 {
			return
		}
		c := &b.cols[v.naturalKey()>>32]
		ft := fieldType{c.field, c.dataType}
		sum := sums[ft]
		if sum == nil {
			sum = new(compensatedSum)
			sums[ft] = sum
		}
		sum.add(v.value)
	})
	label := b.fieldLabel()
	for ft, sum := range sums {
		s.Totals = append(s.Totals, Total{Field: label(ft.field), DataType: ft.dataType, Value: sum.value()})
	}
	SortTotals(s.Totals)
	return s
}

// compensatedSum is Neumaier's compensated summation: plain float addition
// depends on order, and with compensation the total of the same entries
// comes out the same whatever order they arrived in, so an unchanged
// forecast never shows a swing of 1e-16.
type compensatedSum struct{ sum, c float64 }

func (s *compensatedSum) add(x float64) {
	t := s.sum + x
	if math.Abs(s.sum) >= math.Abs(x) {
		s.c += (s.sum - t) + x
	} else {
		s.c += (x - t) + s.sum
	}
	s.sum = t
}

func (s *compensatedSum) value() float64 { return s.sum + s.c }
