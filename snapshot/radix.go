package snapshot

// radixSort sorts keys ascending with a least-significant-digit radix sort
// over bytes, using scratch (at least len(keys) long) as the second buffer.
// A byte that is the same in every key costs nothing: packed keys use only
// the low bytes of the column and user ids, so most of the eight passes are
// skipped. Several times faster than a comparison sort on 2^18 keys.
func radixSort(keys, scratch []uint64) {
	if len(keys) < 64 {
		insertionSort(keys)
		return
	}
	var counts [8][256]int
	for _, k := range keys {
		for d := range 8 {
			counts[d][byte(k>>(8*d))]++
		}
	}
	src, dst := keys, scratch[:len(keys)]
	for d := range 8 {
		c := &counts[d]
		if c[byte(src[0]>>(8*d))] == len(src) {
			continue // every key has this byte: the pass would not move anything
		}
		var offsets [256]int
		sum := 0
		for i, n := range c {
			offsets[i] = sum
			sum += n
		}
		shift := uint(8 * d)
		for _, k := range src {
			b := byte(k >> shift)
			dst[offsets[b]] = k
			offsets[b]++
		}
		src, dst = dst, src
	}
	if &src[0] != &keys[0] {
		copy(keys, src)
	}
}

func insertionSort(keys []uint64) {
	for i := 1; i < len(keys); i++ {
		for j := i; j > 0 && keys[j] < keys[j-1]; j-- {
			keys[j], keys[j-1] = keys[j-1], keys[j]
		}
	}
}

// radixSortValues sorts values by natural key, stably (values of one key
// keep their order), with scratch (at least len(vals) long) as the second
// buffer: a least-significant-digit radix sort, which is stable by
// construction; bytes that are the same in every key are skipped.
func radixSortValues(vals, scratch []latestValue) {
	if len(vals) < 2 {
		return
	}
	var counts [8][256]int
	for i := range vals {
		k := vals[i].naturalKey()
		for d := range 8 {
			counts[d][byte(k>>(8*d))]++
		}
	}
	src, dst := vals, scratch[:len(vals)]
	for d := range 8 {
		c := &counts[d]
		shift := uint(8 * d)
		if c[byte(src[0].naturalKey()>>shift)] == len(src) {
			continue
		}
		var offsets [256]int
		sum := 0
		for i, n := range c {
			offsets[i] = sum
			sum += n
		}
		for i := range src {
			b := byte(src[i].naturalKey() >> shift)
			dst[offsets[b]] = src[i]
			offsets[b]++
		}
		src, dst = dst, src
	}
	if &src[0] != &vals[0] {
		copy(vals, src)
	}
}
