package store

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestOpenCreatesParentDirAndSetsPragmas(t *testing.T) {
	s, path := openTemp(t)
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("database file not created: %v", err)
	}
	ctx := context.Background()
	for pragma, want := range map[string]string{
		"journal_mode": "wal", "foreign_keys": "1", "synchronous": "2", "busy_timeout": "5000",
	} {
		var got string
		if err := s.db.QueryRowContext(ctx, "PRAGMA "+pragma).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if !strings.EqualFold(got, want) {
			t.Errorf("PRAGMA %s = %q, want %q", pragma, got, want)
		}
	}
	if err := s.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.IntegrityCheck(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestOpenBadPaths(t *testing.T) {
	if _, err := OpenSQLite("", nil); err == nil || !strings.Contains(err.Error(), "storage.path") {
		t.Fatalf("empty path: %v", err)
	}
	if _, err := OpenSQLite(filepath.Join(t.TempDir(), "a?b.db"), nil); err == nil {
		t.Fatal("path with '?' accepted")
	}
	// Not an SQLite file: a clear error, and the file is left alone.
	junk := filepath.Join(t.TempDir(), "junk.db")
	content := []byte(strings.Repeat("this is not a database ", 100))
	if err := os.WriteFile(junk, content, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenSQLite(junk, nil); err == nil {
		t.Fatal("junk file accepted")
	}
	if got, _ := os.ReadFile(junk); string(got) != string(content) {
		t.Fatal("junk file was modified")
	}
	// Parent is a file, not a directory.
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenSQLite(filepath.Join(file, "x.db"), nil); err == nil || !strings.Contains(err.Error(), "directory") {
		t.Fatalf("parent is a file: %v", err)
	}
}

// A second handle on a file that is open is refused, naming the file; the
// lock goes with Close, and a reopen then works (kill -9 needs no clean-up:
// the kernel drops a dead process's flock, see TestSecondProcessRefused).
func TestSecondOpenRefusedNamingTheFile(t *testing.T) {
	a, path := openTemp(t)
	_, err := OpenSQLite(path, nil)
	if err == nil {
		t.Fatal("a second store on the same file was opened")
	}
	if !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "in use") {
		t.Fatalf("error does not name the file: %v", err)
	}
	mustFinish(t, a, okRun("f", "p", "j1", t0, 1), nil) // the first one is unaffected
	a.Close()
	b, err := OpenSQLite(path, nil)
	if err != nil {
		t.Fatalf("reopen after Close: %v", err)
	}
	defer b.Close()
	if st := stateOf(t, b, "f", "p"); st.Runs != 1 {
		t.Fatalf("runs %d, want 1", st.Runs)
	}
}
