package snapshot

// latestValue is one entry of the latest week seen so far: its packed key
// (the top bit, never part of a column id, says whether it has a value)
// and what the totals need. Which of two entries of one key came later is
// their order in the chunks: 24 bytes a value, no sequence number.
type latestValue struct {
	key       uint64
	updatedOn int64
	value     float64
}

// hasValueBit marks a latestValue.key whose entry has a value; column ids
// stay below 2^31 so that it is free.
const hasValueBit = 1 << 63

func (v *latestValue) naturalKey() uint64 { return v.key &^ hasValueBit }

// latestChunk is how many values a chunk of the latest week holds (96
// KiB). A variable for tests only.
var latestChunk = 4096

// latestWeek keeps the values of the entries of the requested period's
// latest week only, the one the totals are taken from; an entry of a later
// week drops them all. Entries without a value are kept too: a null that
// is newer than a value replaces it. Values go into fixed chunks, in
// arrival order: the week never grows by copying, and the chunks of a
// dropped week are reused.
type latestWeek struct {
	week   string // "" until an entry of the requested period arrives
	chunks [][]latestValue
	n      int // values held: the first n slots of the chunks
}

func (l *latestWeek) reset(week string) {
	l.week, l.n = week, 0
}

func (l *latestWeek) add(v latestValue) {
	c := l.n / latestChunk
	if c == len(l.chunks) {
		l.chunks = append(l.chunks, make([]latestValue, latestChunk))
	}
	l.chunks[c][l.n%latestChunk] = v
	l.n++
}

// winners calls f, per key, with the value that wins the dedup: the
// greatest UpdatedOn, the later one on a tie. Each chunk is sorted by key
// (stably: arrival order is kept within a key) and the chunks are merged
// in chunk order, so the values of one key come out in arrival order.
func (l *latestWeek) winners(f func(v *latestValue)) {
	runs := make([][]latestValue, 0, len(l.chunks))
	var scratch []latestValue
	for i := 0; i*latestChunk < l.n; i++ {
		run := l.chunks[i][:min(latestChunk, l.n-i*latestChunk)]
		if scratch == nil {
			scratch = make([]latestValue, len(run))
		}
		radixSortValues(run, scratch)
		runs = append(runs, run)
	}
	var h runHeap
	for _, r := range runs {
		h.push(r[0].naturalKey())
	}
	h.init()
	var win *latestValue
	for h.len() > 0 {
		i := h.top()
		v := &runs[i][0]
		switch {
		case win == nil:
			win = v
		case v.naturalKey() != win.naturalKey():
			f(win)
			win = v
		case v.updatedOn >= win.updatedOn:
			win = v // later, and not older
		}
		if runs[i] = runs[i][1:]; len(runs[i]) > 0 {
			h.fix(runs[i][0].naturalKey())
		} else {
			h.pop()
		}
	}
	if win != nil {
		f(win)
	}
}
