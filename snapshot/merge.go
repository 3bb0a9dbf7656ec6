package snapshot

// runHeap orders sorted runs by their current head key for a k-way merge:
// a min-heap of run indexes by (head, index). Ties go to the lower index,
// so runs numbered in arrival order give equal keys in arrival order.
type runHeap struct {
	idx   []int32  // heap of run indexes
	heads []uint64 // current head key per run index
}

// push adds run len(heads) with its first key (before init).
func (h *runHeap) push(head uint64) {
	h.idx = append(h.idx, int32(len(h.heads)))
	h.heads = append(h.heads, head)
}

func (h *runHeap) init() {
	for i := len(h.idx)/2 - 1; i >= 0; i-- {
		h.down(i)
	}
}

func (h *runHeap) len() int { return len(h.idx) }

// top is the index of the run with the least head.
func (h *runHeap) top() int { return int(h.idx[0]) }

// fix gives the top run its next head.
func (h *runHeap) fix(head uint64) {
	h.heads[h.idx[0]] = head
	h.down(0)
}

// pop removes the top run (it is exhausted).
func (h *runHeap) pop() {
	n := len(h.idx) - 1
	h.idx[0] = h.idx[n]
	h.idx = h.idx[:n]
	if n > 0 {
		h.down(0)
	}
}

func (h *runHeap) less(a, b int32) bool {
	ha, hb := h.heads[a], h.heads[b]
	return ha < hb || ha == hb && a < b
}

func (h *runHeap) down(i int) {
	n := len(h.idx)
	for {
		l := 2*i + 1
		if l >= n {
			return
		}
		m := l
		if r := l + 1; r < n && h.less(h.idx[r], h.idx[l]) {
			m = r
		}
		if !h.less(h.idx[m], h.idx[i]) {
			return
		}
		h.idx[i], h.idx[m] = h.idx[m], h.idx[i]
		i = m
	}
}
