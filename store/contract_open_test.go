package store

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/clari-exporter/clari_exporter/internal/pgtest"
)

// migrationsOf is the schema history of backend b.
func migrationsOf(b backend) []migration {
	if b.name == "postgres" {
		return postgresMigrations
	}
	return sqliteMigrations
}

func TestMigrationsIdempotent(t *testing.T) { forEachBackend(t, testMigrationsIdempotent) }

func testMigrationsIdempotent(t *testing.T, b backend) {
	s, loc := openStore(t, b)
	mustFinish(t, s, okRun("f", "p", "j1", t0, 1), mkSnap("f", "p", "j1", t0, map[string]float64{"a": 1}))
	s.Close()

	for range 2 {
		s2, err := b.openAt(loc)
		if err != nil {
			t.Fatalf("reopen: %v", err)
		}
		var n, maxV int
		if err := raw(s2).db.QueryRow(`SELECT COUNT(*), MAX(version) FROM schema_migrations`).Scan(&n, &maxV); err != nil {
			t.Fatal(err)
		}
		if want := len(migrationsOf(b)); n != want || maxV != want {
			t.Fatalf("schema_migrations has %d rows, max %d; want %d", n, maxV, want)
		}
		if st := stateOf(t, s2, "f", "p"); st.Runs != 1 || st.Latest == nil {
			t.Fatalf("data lost on reopen: %+v", st)
		}
		s2.Close()
	}
}

func TestOpenRefusesNewerSchema(t *testing.T) { forEachBackend(t, testOpenRefusesNewerSchema) }

func testOpenRefusesNewerSchema(t *testing.T, b backend) {
	s, loc := openStore(t, b)
	rawExec(t, s, `INSERT INTO schema_migrations (version, name, applied_ns) VALUES (99, 'future', 0)`)
	s.Close()
	_, err := b.openAt(loc)
	if err == nil || !strings.Contains(err.Error(), "newer") {
		t.Fatalf("want a 'newer schema' error, got %v", err)
	}
}

func TestClosedStoreFails(t *testing.T) { forEachBackend(t, testClosedStoreFails) }

func testClosedStoreFails(t *testing.T, b backend) {
	s, _ := openStore(t, b)
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

// Two replicas starting together on a new PostgreSQL schema: the advisory
// lock lets exactly one of them apply the migrations, the other waits and
// finds them applied; both work on the same data afterwards.
func TestPostgresConcurrentStartMigratesOnce(t *testing.T) {
	loc := postgresBackend.fresh(t)
	const replicas = 4
	stores := make([]Store, replicas)
	errs := make([]error, replicas)
	var wg sync.WaitGroup
	for i := range replicas {
		wg.Go(func() { stores[i], errs[i] = postgresBackend.openAt(loc) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("replica %d: %v", i, err)
		}
		defer stores[i].Close()
	}
	if n := countRows(t, stores[0], "schema_migrations"); n != len(postgresMigrations) {
		t.Fatalf("%d migrations recorded, want %d", n, len(postgresMigrations))
	}
	mustFinish(t, stores[1], okRun("f", "p", "j1", t0, 1), nil)
	if err := stores[2].FinishRun(context.Background(), okRun("f", "p", "j1", t0, 1), nil); !errors.Is(err, ErrAlreadyRecorded) {
		t.Fatalf("job recorded through another replica: %v", err)
	}
	if st := stateOf(t, stores[3], "f", "p"); st.Runs != 1 {
		t.Fatalf("runs %d, want 1", st.Runs)
	}
}

// Connection errors name host, database and user and never carry the
// password or the DSN.
func TestPostgresErrorsHideThePassword(t *testing.T) {
	dsn := pgtest.DSN(t)
	const pw = "wrong-pass-3f9c1e"
	bad := dsn
	if i, j := strings.Index(bad, "://"), strings.LastIndex(bad, "@"); i >= 0 && j > i {
		user := bad[i+3 : j]
		if k := strings.IndexByte(user, ':'); k >= 0 {
			user = user[:k]
		}
		bad = bad[:i+3] + user + ":" + pw + bad[j:]
	} else {
		t.Skipf("%s is not a URL DSN", pgtest.Env)
	}
	_, err := OpenPostgres(context.Background(), bad, nil)
	if err == nil {
		t.Fatal("wrong password accepted")
	}
	msg := err.Error()
	if strings.Contains(msg, pw) || strings.Contains(msg, bad) {
		t.Fatalf("error leaks the password: %s", msg)
	}
	if !strings.Contains(msg, "database ") || !strings.Contains(msg, "storage.dsn") {
		t.Fatalf("error does not say what to fix: %s", msg)
	}

	_, err = OpenPostgres(context.Background(), "postgres://u:"+pw+"@host:notaport/db", nil)
	if err == nil || strings.Contains(err.Error(), pw) || !strings.Contains(err.Error(), "parse") {
		t.Fatalf("unparsable DSN: %v", err)
	}
	if _, err := OpenPostgres(context.Background(), " ", nil); err == nil || !strings.Contains(err.Error(), "storage.dsn_file") {
		t.Fatalf("empty DSN: %v", err)
	}
}
