package snapshot

import "slices"

// chunkKeys is how many 8-byte keys a full chunk of a keySet holds (512
// KiB). Bigger chunks mean fewer runs to merge at the end, smaller ones
// less memory in the open chunk and the sort's scratch; the first chunk
// grows by append, so a small export does not pay for a full one. A
// variable for tests only.
var chunkKeys = 1 << 16

// keySet counts the distinct uint64 keys added to it, exactly, in 8 bytes
// per added key (less where a chunk's own duplicates are squeezed out)
// instead of a map slot per key. Keys are appended to chunks; a full chunk
// is sorted and deduplicated in place, and Finish-time readers merge the
// sorted chunks without allocating a copy. Adding after distinct is fine
// (it opens a new chunk).
type keySet struct {
	sealed [][]uint64 // sorted, each free of duplicates
	open   []uint64   // the chunk being filled, in arrival order
	dups   int        // duplicates squeezed out of sealed chunks so far
	// scratch is the radix sort's second buffer, one chunk long.
	scratch []uint64
}

func (s *keySet) add(k uint64) {
	if len(s.open) == chunkKeys {
		s.seal()
	}
	if s.open == nil {
		capacity := chunkKeys
		if len(s.sealed) == 0 {
			capacity = 1024
		}
		s.open = make([]uint64, 0, capacity)
	}
	s.open = append(s.open, k)
}

// seal sorts the open chunk, drops its duplicates (counting them) and
// moves it to the sealed runs. A run that lost more than half its keys is
// copied to a right-sized slice, so memory follows the distinct keys.
func (s *keySet) seal() {
	if len(s.open) == 0 {
		return
	}
	if len(s.scratch) < len(s.open) {
		s.scratch = make([]uint64, max(len(s.open), min(chunkKeys, 2*len(s.open))))
	}
	radixSort(s.open, s.scratch)
	u := slices.Compact(s.open)
	s.dups += len(s.open) - len(u)
	if len(u) < cap(u)/2 {
		u = slices.Clone(u)
	}
	s.sealed = append(s.sealed, u)
	s.open = nil
}

// distinct calls f once per distinct key, in ascending order, and returns how many duplicates there were in all: the ones
// squeezed out of the chunks plus the keys found in more than one chunk.
// It merges the sorted chunks with a binary heap of their heads.
func (s *keySet) distinct(f func(k uint64)) (dups int) {
	s.seal()
	h := make(mergeHeap, 0, len(s.sealed))
	for _, c := range s.sealed {
		if len(c) > 0 {
			h = append(h, c)
		}
	}
	h.init()
	first, last := true, uint64(0)
	for len(h) > 0 {
		k := h[0][0]
		if first || k != last {
			f(k)
			first, last = false, k
		} else {
			dups++
		}
		if h[0] = h[0][1:]; len(h[0]) == 0 {
			h[0] = h[len(h)-1]
			h = h[:len(h)-1]
		}
		h.down(0)
	}
	return s.dups + dups
}

// mergeHeap is a min-heap of non-empty sorted runs ordered by their first key.
type mergeHeap [][]uint64

func (h mergeHeap) init() {
	for i := len(h)/2 - 1; i >= 0; i-- {
		h.down(i)
	}
}

func (h mergeHeap) down(i int) {
	n := len(h)
	for {
		l := 2*i + 1
		if l >= n {
			return
		}
		m := l
		if r := l + 1; r < n && h[r][0] < h[l][0] {
			m = r
		}
		if h[i][0] <= h[m][0] {
			return
		}
		h[i], h[m] = h[m], h[i]
		i = m
	}
}
