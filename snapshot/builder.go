package snapshot

import (
	"errors"
	"math"
	"slices"
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
}

// entryKey is the natural key of an entry with every string component
// replaced by a small interned id. Comparable, 24 bytes, no hashing and so no
// collisions: two keys are equal exactly when all components are.
type entryKey struct {
	period, timeFrame, user, field, dataType, currency uint32
}

// entryValue is what the dedup keeps per key.
type entryValue struct {
	updatedOn int64
	value     float64
	hasValue  bool
}

// Builder accumulates the entries of one export. It is not safe for
// concurrent use; feed it from the decoder's Visitor.Entry callback.
//
// Memory is one map slot per distinct entry (a 24-byte key and a 24-byte
// value) plus one copy of each distinct string (users, fields, weeks), so
// ~100k entries cost a few MB.
type Builder struct {
	target  Target
	jobID   string
	now     func() time.Time
	strings map[string]uint32
	names   []string // id → string
	entries map[entryKey]entryValue
	dups    int
}

// NewBuilder starts the snapshot of one export job.
func NewBuilder(target Target, jobID string) *Builder {
	b := &Builder{
		target:  target,
		jobID:   jobID,
		now:     time.Now,
		strings: make(map[string]uint32),
		entries: make(map[entryKey]entryValue),
	}
	b.intern("") // id 0 is the empty string
	return b
}

// intern returns the id of s, storing a copy of s the first time it is seen.
// The map lookup with a []byte-free string does not allocate; the clone makes
// sure nothing of the decoder's reused buffers is retained.
func (b *Builder) intern(s string) uint32 {
	if id, ok := b.strings[s]; ok {
		return id
	}
	s = cloneString(s)
	id := uint32(len(b.names))
	b.strings[s] = id
	b.names = append(b.names, s)
	return id
}

func cloneString(s string) string {
	if s == "" {
		return ""
	}
	return string([]byte(s))
}

// errNilEntry is returned for a nil entry instead of panicking.
var errNilEntry = errors.New("snapshot: nil entry")

// Add records one entry. The entry is copied; the caller may reuse it.
// Of two entries with the same natural key the one with the greater
// UpdatedOn wins; on a tie (including CSV, which has no UpdatedOn) the later
// one wins. Add has the signature of clari.Visitor.Entry.
func (b *Builder) Add(e *clari.Entry) error {
	if e == nil {
		return errNilEntry
	}
	k := entryKey{
		period:    b.intern(e.TimePeriodID),
		timeFrame: b.intern(e.TimeFrameID),
		user:      b.intern(e.UserID),
		field:     b.intern(e.FieldID),
		dataType:  b.intern(e.DataType),
	}
	if b.target.Currency != "" {
		k.currency = b.intern(e.Currency)
	}
	v := entryValue{updatedOn: e.UpdatedOn, value: e.Value, hasValue: e.HasValue}
	if old, ok := b.entries[k]; ok {
		b.dups++
		if old.updatedOn > v.updatedOn {
			return nil // the kept entry is newer
		}
	}
	b.entries[k] = v
	return nil
}

// Visitor returns a clari.Visitor that feeds entries to b.
func (b *Builder) Visitor() clari.Visitor {
	return clari.Visitor{Entry: b.Add}
}

// Finish computes the snapshot. CreatedAt is the current time (UTC); the
// builder can keep being used, Finish only reads it.
func (b *Builder) Finish() Snapshot {
	s := Snapshot{
		Forecast:      b.target.Forecast,
		Period:        b.target.Period,
		JobID:         b.jobID,
		CreatedAt:     b.now().UTC(),
		Rows:          len(b.entries),
		DuplicateRows: b.dups,
		RowsByPeriod:  make(map[string]int),
	}

	requested, haveRequested := b.strings[b.target.Period]
	if b.target.Period == "" {
		haveRequested = false
	}
	latest := ""
	for k := range b.entries {
		s.RowsByPeriod[b.names[k.period]]++
		if haveRequested && k.period == requested {
			if tf := b.names[k.timeFrame]; tf > latest {
				latest = tf
			}
		}
	}
	s.LatestWeek = latest
	for p := range s.RowsByPeriod {
		s.Periods = append(s.Periods, p)
	}
	slices.Sort(s.Periods)

	if latest != "" {
		latestID := b.strings[latest]
		type fieldType struct{ field, dataType uint32 }
		sums := make(map[fieldType]*compensatedSum)
		for k, v := range b.entries {
			if k.period != requested || k.timeFrame != latestID || !v.hasValue {
				continue
			}
			ft := fieldType{k.field, k.dataType}
			sum := sums[ft]
			if sum == nil {
				sum = new(compensatedSum)
				sums[ft] = sum
			}
			sum.add(v.value)
		}
		for ft, sum := range sums {
			s.Totals = append(s.Totals, Total{Field: b.names[ft.field], DataType: b.names[ft.dataType], Value: sum.value()})
		}
		SortTotals(s.Totals)
	}
	return s
}

// compensatedSum is Neumaier's compensated summation. Map iteration order
// is random, and plain float addition depends on order; with compensation
// the total of the same entries comes out the same on every export, so an
// unchanged forecast never shows a swing of 1e-16.
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
