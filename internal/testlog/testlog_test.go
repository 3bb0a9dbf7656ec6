package testlog

import (
	"fmt"
	"sync"
	"testing"
)

// TestBufferTakesConcurrentWrites: under -race, writers on many goroutines
// and a reader meet no race, and every line arrives whole.
func TestBufferTakesConcurrentWrites(t *testing.T) {
	var b Buffer
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 50 {
				fmt.Fprintf(&b, "writer=%d line=%d\n", w, i)
			}
		}()
	}
	for range 10 {
		_ = b.String()
	}
	wg.Wait()
	if got := len(b.Lines("writer=")); got != 400 {
		t.Errorf("%d lines, want 400", got)
	}
	if got := b.Lines("writer=3 line=49"); len(got) != 1 || got[0] != "writer=3 line=49" {
		t.Errorf("Lines(writer=3 line=49) = %q, want that one line", got)
	}
}
