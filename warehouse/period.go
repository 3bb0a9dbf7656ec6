package warehouse

import (
	"fmt"
	"strconv"
)

// quarterIndex turns a fiscal quarter label "YYYY_QN" (N in 1..4) into a
// number that grows by one per quarter: year*4 + N-1. It is the only period
// arithmetic retention needs, kept here so this package does not depend on
// the fiscal calendar (labels already name fiscal quarters).
func quarterIndex(label string) (int, bool) {
	if len(label) != 7 || label[4] != '_' || label[5] != 'Q' {
		return 0, false
	}
	year, err := strconv.Atoi(label[:4])
	if err != nil || year < 0 {
		return 0, false
	}
	q := int(label[6] - '0')
	if q < 1 || q > 4 {
		return 0, false
	}
	return year*4 + q - 1, true
}

// beyondRetention reports whether period lies before the window of the
// `quarters` most recent quarters ending with current (current counts as
// one). Labels that are not YYYY_QN are never beyond retention: they are not
// ours to judge.
func beyondRetention(period string, currentIdx, quarters int) bool {
	i, ok := quarterIndex(period)
	return ok && i <= currentIdx-quarters
}

func parseRetention(currentPeriod string, quarters int) (int, error) {
	cur, ok := quarterIndex(currentPeriod)
	if !ok {
		return 0, fmt.Errorf("warehouse: current period %q is not a fiscal quarter label like 2026_Q4", currentPeriod)
	}
	if quarters < 1 {
		return 0, fmt.Errorf("warehouse: warehouse.retention.quarters is %d: it must be at least 1", quarters)
	}
	return cur, nil
}
