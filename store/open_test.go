package store

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clari-exporter/clari_exporter/config"
	"github.com/clari-exporter/clari_exporter/internal/pgtest"
)

func TestOpenByConfig(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := Open(ctx, config.Storage{Driver: config.StorageSQLite, Path: filepath.Join(dir, "a.db")}, "", filepath.Join(dir, "b.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if lite, ok := s.(*SQLite); !ok || lite.Path() != filepath.Join(dir, "b.db") {
		t.Fatalf("--storage.path does not win: %T %v", s, s)
	}
	s.Close()
	if _, err := Open(ctx, config.Storage{Driver: "mysql"}, "", "", nil); err == nil || !strings.Contains(err.Error(), "storage.driver") {
		t.Fatalf("unknown driver: %v", err)
	}

	dsn, _ := pgtest.Fresh(t)
	p, err := Open(ctx, config.Storage{Driver: config.StoragePostgres}, config.Secret(dsn), "ignored.db", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if _, ok := p.(*Postgres); !ok {
		t.Fatalf("postgres driver opened %T", p)
	}
}
