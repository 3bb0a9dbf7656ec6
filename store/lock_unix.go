//go:build unix

package store

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// fileLock is an exclusive flock(2) on a lock file next to the database.
// The kernel drops it when the process dies, so kill -9 never leaves a
// stale lock behind; a second open in the same process conflicts too (flock
// locks belong to the open file, not the process).
type fileLock struct{ f *os.File }

// lockPath is the lock file of the database at path. SQLite itself uses
// the -wal, -shm and -journal suffixes, never -lock.
func lockPath(path string) string { return path + "-lock" }

func lockFile(path string) (*fileLock, error) {
	lp := lockPath(path)
	f, err := os.OpenFile(lp, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("store: cannot create the lock file %s of storage.path %q: %w", lp, path, err)
	}
	for {
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if !errors.Is(err, syscall.EINTR) {
			break
		}
	}
	if err != nil {
		holder := ""
		if b, rerr := os.ReadFile(lp); rerr == nil {
			if pid, perr := strconv.Atoi(strings.TrimSpace(string(b))); perr == nil {
				holder = fmt.Sprintf(" (pid %d)", pid)
			}
		}
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("store: the SQLite file %s is in use by another clari_exporter%s (lock %s is held): "+
				"two exporters on one file would both schedule exports and spend quota twice; stop the other one, "+
				"give this one its own storage.path, or run several replicas on storage.driver: postgres", path, holder, lp)
		}
		return nil, fmt.Errorf("store: cannot lock %s for storage.path %q: %w", lp, path, err)
	}
	// The pid is informational (named in the error of a refused second
	// process); the lock itself is the flock.
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return &fileLock{f: f}, nil
}

// release drops the lock. The file stays: removing it would let a process
// that opened the old inode and a new one both "hold" a lock.
func (l *fileLock) release() {
	if l == nil || l.f == nil {
		return
	}
	_ = syscall.Flock(int(l.f.Fd()), syscall.LOCK_UN)
	l.f.Close()
	l.f = nil
}
