package app

import (
	"errors"
	"slices"
	"testing"
)

// TestResourcesCloseNewestFirstOnce: what the app opened closes in reverse
// order of opening (the warehouse pool before the store it was opened
// after), every close runs even when one fails, and a second closeAll
// (Run's exit after a Close) closes nothing twice.
func TestResourcesCloseNewestFirstOnce(t *testing.T) {
	var r resources
	var closed []string
	failing := errors.New("warehouse pool: close failed")
	r.own(func() error { closed = append(closed, "store"); return nil })
	r.own(func() error { closed = append(closed, "warehouse"); return failing })
	if err := r.closeAll(); !errors.Is(err, failing) {
		t.Errorf("closeAll = %v, want the warehouse's error", err)
	}
	if want := []string{"warehouse", "store"}; !slices.Equal(closed, want) {
		t.Errorf("closed %v, want %v", closed, want)
	}
	if err := r.closeAll(); err != nil || len(closed) != 2 {
		t.Errorf("a second closeAll returned %v and closed %v: want nothing closed twice", err, closed)
	}
}
