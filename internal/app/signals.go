package app

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

// Signals is the exporter's one subscription to the process signals it
// answers: SIGTERM and SIGINT end Context (a graceful stop: in-flight
// export jobs stay persisted and resume at the next start), SIGHUP asks
// Run for a reload. The command subscribes before it opens anything, so a
// signal that arrives while the app is built stops or reloads it instead
// of killing the process.
type Signals struct {
	ctx    context.Context
	cancel context.CancelFunc
	ch     chan os.Signal
	reload chan struct{}
	done   chan struct{}
}

// NotifySignals subscribes to SIGTERM, SIGINT and SIGHUP until Stop. Its
// Context ends with parent or the first SIGTERM or SIGINT.
func NotifySignals(parent context.Context) *Signals {
	ctx, cancel := context.WithCancel(parent)
	s := &Signals{ctx: ctx, cancel: cancel,
		ch:     make(chan os.Signal, 1),
		reload: make(chan struct{}, 1),
		done:   make(chan struct{})}
	signal.Notify(s.ch, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP)
	go s.dispatch()
	return s
}

func (s *Signals) dispatch() {
	for {
		select {
		case sig := <-s.ch:
			if sig != syscall.SIGHUP {
				s.cancel()
				continue
			}
			select {
			case s.reload <- struct{}{}:
			default: // a reload is already pending: it reads the newest file
			}
		case <-s.done:
			return
		}
	}
}

// Context ends at the first SIGTERM or SIGINT (or with the parent).
func (s *Signals) Context() context.Context { return s.ctx }

// Reload receives once per SIGHUP (SIGHUPs that arrive while one is
// pending count once).
func (s *Signals) Reload() <-chan struct{} { return s.reload }

// Stop ends the subscription and Context; the signals get their default
// action again.
func (s *Signals) Stop() {
	signal.Stop(s.ch)
	select {
	case <-s.done:
	default:
		close(s.done)
	}
	s.cancel()
}
