package snapshot

import (
	"encoding/binary"
	"math/bits"
	"slices"
)

// chunkKeys is how many 8-byte keys the open chunk of a keySet collects
// before it is sorted and packed (512 KiB). Bigger chunks mean fewer runs
// to merge at the end, smaller ones less memory in the open chunk and the
// sort's scratch; the first chunk grows by append, so a small export does
// not pay for a full one. A variable for tests only.
var chunkKeys = 1 << 16

// keySet counts the distinct uint64 keys added to it, exactly. Keys are
// appended to an open chunk; a full chunk is sorted, its duplicates are
// counted and dropped, and what remains is packed as the uvarint
// differences of consecutive keys into a run of its own size. Packed keys
// are a column id over a user id, and a chunk holds a few thousand
// consecutive users' entries, so a difference is mostly 1 or a small
// number: about one or two bytes a key instead of eight. Finish-time
// readers merge the runs. Adding after distinct is fine.
type keySet struct {
	runs [][]byte // packed, each sorted and free of duplicates
	open []uint64 // the chunk being filled, in arrival order; reused
	dups int      // duplicates squeezed out of the runs so far
	// scratch is the radix sort's second buffer, one chunk long.
	scratch []uint64
}

func (s *keySet) add(k uint64) {
	if len(s.open) == chunkKeys {
		s.seal()
	}
	s.open = append(s.open, k)
}

// uvarintLen is the length of binary.AppendUvarint(nil, x).
func uvarintLen(x uint64) int { return (bits.Len64(x|1) + 6) / 7 }

// seal sorts the open chunk, drops its duplicates (counting them), packs
// it into a new run of exactly its size and empties the chunk for reuse.
func (s *keySet) seal() {
	if len(s.open) == 0 {
		return
	}
	if len(s.scratch) < len(s.open) {
		s.scratch = make([]uint64, len(s.open))
	}
	radixSort(s.open, s.scratch)
	u := slices.Compact(s.open)
	s.dups += len(s.open) - len(u)
	size, prev := 0, uint64(0)
	for _, k := range u {
		size += uvarintLen(k - prev)
		prev = k
	}
	run, prev := make([]byte, 0, size), 0
	for _, k := range u {
		run = binary.AppendUvarint(run, k-prev)
		prev = k
	}
	s.runs = append(s.runs, run)
	s.open = s.open[:0]
}

// distinct calls f once per distinct key, in ascending order, and returns
// how many duplicates there were in all: the ones squeezed out of the
// chunks plus the keys found in more than one run.
func (s *keySet) distinct(f func(k uint64)) (dups int) {
	s.seal()
	// rest[i] is run i's undecoded tail; its current key is the heap's
	// head of run i, each next key that plus the delta decoded from rest.
	rest := make([][]byte, 0, len(s.runs))
	next := func(i int) (delta uint64, ok bool) {
		if len(rest[i]) == 0 {
			return 0, false
		}
		d, n := binary.Uvarint(rest[i])
		rest[i] = rest[i][n:]
		return d, true
	}
	var h runHeap
	for _, r := range s.runs {
		if len(r) == 0 {
			continue
		}
		rest = append(rest, r)
		k0, _ := next(len(rest) - 1) // the first delta is from 0
		h.push(k0)
	}
	h.init()
	first, last := true, uint64(0)
	for h.len() > 0 {
		i := h.top()
		k := h.heads[i]
		if first || k != last {
			f(k)
			first, last = false, k
		} else {
			dups++
		}
		if d, ok := next(i); ok {
			h.fix(k + d)
		} else {
			h.pop()
		}
	}
	return s.dups + dups
}
