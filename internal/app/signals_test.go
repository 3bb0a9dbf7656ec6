package app

import (
	"context"
	"os"
	"syscall"
	"testing"
	"time"
)

// TestSignals: a SIGHUP asks for a reload and leaves the context running;
// a SIGTERM ends it; Stop ends the subscription. The signals go to the
// whole test process, which no other test of this package subscribes.
func TestSignals(t *testing.T) {
	parent, cancelParent := context.WithCancel(context.Background())
	defer cancelParent()
	s := NotifySignals(parent)
	defer s.Stop()

	if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	select {
	case <-s.Reload():
	case <-time.After(10 * time.Second):
		t.Fatal("no reload asked 10s after a SIGHUP")
	}
	if s.Context().Err() != nil {
		t.Fatal("a SIGHUP ended the context")
	}
	select {
	case <-s.Reload():
		t.Fatal("one SIGHUP asked for two reloads")
	default:
	}

	if err := syscall.Kill(os.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-s.Context().Done():
	case <-time.After(10 * time.Second):
		t.Fatal("the context still runs 10s after a SIGTERM")
	}

	other := NotifySignals(parent)
	cancelParent()
	select {
	case <-other.Context().Done():
	case <-time.After(10 * time.Second):
		t.Fatal("the context outlives its parent")
	}
	other.Stop()
	other.Stop() // twice is harmless
}
