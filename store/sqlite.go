package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/go-kit/log"
	"github.com/go-kit/log/level"

	_ "modernc.org/sqlite" // registers the CGO-free "sqlite" driver
)

// DefaultRunsPerTarget is how many runs (and with them their snapshots) are
// kept per target (the tests set fewer). Counters are not
// affected by pruning. 100 runs at 4 a day is almost a month of history.
const DefaultRunsPerTarget = 100

// SQLite is the embedded Store: one file, WAL journal, safe against the
// process being killed at any point (see docs/storage.md). One process at a
// time: a lock file next to the database refuses a second one.
type SQLite struct {
	*core
	path string
	lock *fileLock
}

var _ Store = (*SQLite)(nil)

// OpenSQLite opens (creating it and its parent directory if needed) the
// SQLite database at path and brings its schema up to date. It takes an
// exclusive lock on path+"-lock" first and fails, naming the file, when
// another process (or another handle in this one) holds it: two exporters
// on one file would be two schedulers spending quota.
func OpenSQLite(path string, logger log.Logger, opts ...Option) (*SQLite, error) {
	if strings.TrimSpace(path) == "" {
		return nil, errors.New("store: storage.path is empty; set it to a file path such as ./data/clari_exporter.db")
	}
	if strings.ContainsAny(path, "?#") {
		return nil, fmt.Errorf("store: storage.path %q must not contain '?' or '#'", path)
	}
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return nil, fmt.Errorf("store: cannot create the directory of storage.path %q: %w", path, err)
		}
	}
	lock, err := lockFile(path)
	if err != nil {
		return nil, err
	}
	db, err := sql.Open("sqlite", sqliteDSN(path))
	if err != nil {
		lock.release()
		return nil, fmt.Errorf("store: open %q: %w", path, err)
	}
	s := &SQLite{core: newCore(db, &sqliteDialect, logger, opts), path: path, lock: lock}
	ctx := context.Background()
	if err := s.checkPragmas(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("store: %q: %w", path, err)
	}
	applied, err := migrate(ctx, s.core, nil, sqliteMigrations)
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("store: %q: %w", path, err)
	}
	if applied > 0 {
		level.Info(s.logger).Log("msg", "storage schema migrated", "path", path, "applied", applied, "version", len(sqliteMigrations))
	}
	return s, nil
}

// sqliteDSN builds the connection string. Every pooled connection gets:
//   - busy_timeout: wait (up to 5 s) for another writer instead of failing
//     with SQLITE_BUSY; a second process on the same file just waits.
//   - journal_mode=WAL: readers (scrapes) never block the writer and vice
//     versa; a commit is one append to the WAL, atomic under kill -9.
//   - synchronous=FULL: the WAL is fsynced at every commit, so a committed
//     run also survives power loss or an OS crash, not only a process kill
//     (NORMAL would be enough for kill -9). Commits are a few per hour, so
//     the fsync costs nothing that matters.
//   - foreign_keys=1: deleting a run deletes its snapshot and totals.
//   - _txlock=immediate: write transactions take the write lock at BEGIN,
//     so two writers never deadlock upgrading read locks (read-only
//     transactions still begin deferred).
func sqliteDSN(path string) string {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(5000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(FULL)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Set("_txlock", "immediate")
	return path + "?" + q.Encode()
}

// checkPragmas verifies that the connection settings took effect; WAL can
// silently fail to enable (e.g. on some network file systems).
func (s *SQLite) checkPragmas(ctx context.Context) error {
	var mode string
	if err := s.db.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		return fmt.Errorf("cannot read the database (is it an SQLite file?): %w", err)
	}
	if !strings.EqualFold(mode, "wal") {
		return fmt.Errorf("journal_mode is %q, not WAL; put storage.path on a local file system", mode)
	}
	var fk int
	if err := s.db.QueryRowContext(ctx, "PRAGMA foreign_keys").Scan(&fk); err != nil {
		return err
	}
	if fk != 1 {
		return errors.New("foreign keys could not be enabled")
	}
	return nil
}

// Path is the database file.
func (s *SQLite) Path() string { return s.path }

// IntegrityCheck runs PRAGMA integrity_check and returns an error describing
// the first problems when the file is damaged.
func (s *SQLite) IntegrityCheck(ctx context.Context) error {
	if s.closed.Load() {
		return ErrClosed
	}
	rows, err := s.db.QueryContext(ctx, "PRAGMA integrity_check")
	if err != nil {
		return err
	}
	defer rows.Close()
	var problems []string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			return err
		}
		if line != "ok" {
			problems = append(problems, line)
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if len(problems) > 0 {
		return fmt.Errorf("store: integrity check of %q failed: %s", s.path, strings.Join(problems, "; "))
	}
	return nil
}

// Close implements Store. It releases the file lock after the database.
func (s *SQLite) Close() error {
	err := s.closeDB()
	s.lock.release()
	return err
}
