package store

import (
	"context"
	"database/sql"
	"errors"
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

func TestMigrationsIdempotent(t *testing.T) {
	s, path := openTemp(t)
	ctx := context.Background()
	mustFinish(t, s, okRun("f", "p", "j1", t0, 1), mkSnap("f", "p", "j1", t0, map[string]float64{"a": 1}))
	s.Close()

	for range 2 {
		s2, err := OpenSQLite(path, nil)
		if err != nil {
			t.Fatalf("reopen: %v", err)
		}
		var n, maxV int
		if err := s2.db.QueryRowContext(ctx, `SELECT COUNT(*), MAX(version) FROM schema_migrations`).Scan(&n, &maxV); err != nil {
			t.Fatal(err)
		}
		if n != len(sqliteMigrations) || maxV != len(sqliteMigrations) {
			t.Fatalf("schema_migrations has %d rows, max %d; want %d", n, maxV, len(sqliteMigrations))
		}
		if st := stateOf(t, s2, "f", "p"); st.Runs != 1 || st.Latest == nil {
			t.Fatalf("data lost on reopen: %+v", st)
		}
		s2.Close()
	}
}

func TestOpenRefusesNewerSchema(t *testing.T) {
	s, path := openTemp(t)
	if _, err := s.db.Exec(`INSERT INTO schema_migrations (version, name, applied_ns) VALUES (99, 'future', 0)`); err != nil {
		t.Fatal(err)
	}
	s.Close()
	_, err := OpenSQLite(path, nil)
	if err == nil || !strings.Contains(err.Error(), "newer") {
		t.Fatalf("want a 'newer schema' error, got %v", err)
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

func TestClosedStoreFails(t *testing.T) {
	s, _ := openTemp(t)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	ctx := context.Background()
	if _, err := s.TargetStates(ctx); !errors.Is(err, ErrClosed) {
		t.Fatalf("TargetStates after Close: %v", err)
	}
	if err := s.FinishRun(ctx, okRun("f", "p", "j", t0, 1), nil); !errors.Is(err, ErrClosed) {
		t.Fatalf("FinishRun after Close: %v", err)
	}
	if err := s.Ping(ctx); !errors.Is(err, ErrClosed) {
		t.Fatalf("Ping after Close: %v", err)
	}
}

// Two stores on one file (two processes, or a restart overlapping the old
// one) both work: writers wait for each other via busy_timeout.
func TestTwoHandlesOnOneFile(t *testing.T) {
	a, path := openTemp(t)
	b, err := OpenSQLite(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	mustFinish(t, a, okRun("f", "p", "j1", t0, 1), nil)
	mustFinish(t, b, okRun("f", "p", "j2", t0.Add(1), 1), nil)
	if err := b.FinishRun(context.Background(), okRun("f", "p", "j1", t0, 1), nil); !errors.Is(err, ErrAlreadyRecorded) {
		t.Fatalf("job recorded via the other handle: %v", err)
	}
	if st := stateOf(t, a, "f", "p"); st.Runs != 2 {
		t.Fatalf("runs %d, want 2", st.Runs)
	}
}

// countRows is a test helper for raw table sizes.
func countRows(t testing.TB, db *sql.DB, table string) int {
	t.Helper()
	var n int
	if err := db.QueryRow(`SELECT COUNT(*) FROM ` + table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}
