package snapshot

import "slices"

// latestValue is one entry of the latest week seen so far: its packed key,
// its position among the entries added (so ties go to the later one) and
// what the totals need.
type latestValue struct {
	key       uint64
	updatedOn int64
	value     float64
	seq       uint32 // wraps after 4G entries: ties then go to either one
	hasValue  bool
}

// latestWeek keeps the values of the entries of the requested period's
// latest week only, the one the totals are taken from; an entry of a later
// week drops them all. Entries without a value are kept too: a null that
// is newer than a value replaces it.
type latestWeek struct {
	week   string // "" until an entry of the requested period arrives
	values []latestValue
}

// winners sorts the values by key and returns, per key, the one that wins
// the dedup: the greatest UpdatedOn, the later one on a tie.
func (l *latestWeek) winners(f func(v *latestValue)) {
	slices.SortFunc(l.values, func(a, b latestValue) int {
		switch {
		case a.key != b.key:
			if a.key < b.key {
				return -1
			}
			return 1
		case a.updatedOn != b.updatedOn:
			if a.updatedOn < b.updatedOn {
				return -1
			}
			return 1
		case a.seq < b.seq:
			return -1
		case a.seq > b.seq:
			return 1
		}
		return 0
	})
	for i := range l.values {
		if i+1 == len(l.values) || l.values[i+1].key != l.values[i].key {
			f(&l.values[i])
		}
	}
}
