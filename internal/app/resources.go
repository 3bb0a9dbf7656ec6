package app

import (
	"errors"
	"sync"
)

// resources are what the app opened (the state store, the warehouse
// pool), closed in reverse order of opening on every exit: a failed New,
// the end of Run, or Close. Components only borrow them: the warehouse
// checks and the runner's sink use the one warehouse pool in every term a
// replica leads, so neither closes it.
type resources struct {
	mu      sync.Mutex
	closers []func() error
}

// own adds a resource's close to the list.
func (r *resources) own(close func() error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.closers = append(r.closers, close)
}

// closeAll closes every resource, newest first, once; later calls do
// nothing.
func (r *resources) closeAll() error {
	r.mu.Lock()
	closers := r.closers
	r.closers = nil
	r.mu.Unlock()
	var errs []error
	for i := len(closers) - 1; i >= 0; i-- {
		errs = append(errs, closers[i]())
	}
	return errors.Join(errs...)
}
