package config

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const storageBase = "clari:\n  api_key_env: CLARI_TEST_KEY\nforecasts: [{id: a}]\n"

func TestStorageDefaultsToSQLite(t *testing.T) {
	t.Setenv("CLARI_TEST_KEY", testSecret)
	cfg, err := Parse([]byte(storageBase), "clari.yml")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Storage.Driver != StorageSQLite || cfg.Storage.Path != DefaultStoragePath || cfg.Storage.Shared() {
		t.Fatalf("storage = %+v", cfg.Storage)
	}
	if time.Duration(cfg.HA.LeaseDuration) != 15*time.Second || time.Duration(cfg.HA.RenewInterval) != 5*time.Second {
		t.Fatalf("ha = %+v, want lease 15s, renew 5s", cfg.HA)
	}
	if d := Default(); d.Storage != cfg.Storage || d.HA != cfg.HA {
		t.Fatalf("Default() %+v %+v differs from a parsed empty section %+v %+v", d.Storage, d.HA, cfg.Storage, cfg.HA)
	}
}

func TestPostgresStorageDSNFromFileAndEnv(t *testing.T) {
	t.Setenv("CLARI_TEST_KEY", testSecret)
	dir := t.TempDir()
	writeFile(t, dir, "pg.dsn", testDSN+"\n")
	cfg, err := Parse([]byte(storageBase+"storage:\n  driver: postgres\n  dsn_file: pg.dsn\nha:\n  lease_duration: 30s\n  renew_interval: 10s\n"),
		filepath.Join(dir, "clari.yml"))
	if err != nil {
		t.Fatal(err)
	}
	if string(cfg.Secrets.StorageDSN) != testDSN || !cfg.Storage.Shared() {
		t.Fatalf("DSN not resolved from the file next to the config")
	}
	if time.Duration(cfg.HA.LeaseDuration) != 30*time.Second {
		t.Fatalf("ha = %+v", cfg.HA)
	}

	t.Setenv("CLARI_STORE_DSN", testDSN)
	cfg, err = Parse([]byte(storageBase+"storage:\n  driver: postgres\n  dsn_env: CLARI_STORE_DSN\n"), "clari.yml")
	if err != nil {
		t.Fatal(err)
	}
	if string(cfg.Secrets.StorageDSN) != testDSN {
		t.Fatal("DSN not resolved from the environment")
	}
	// Redacted like the warehouse DSN: never in a dump or a formatted value.
	out, err := cfg.Redacted()
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{string(out), fmt.Sprintf("%+v", *cfg), fmt.Sprint(cfg.Secrets.StorageDSN)} {
		if strings.Contains(s, "pw-SECRET") {
			t.Fatalf("the storage DSN leaks: %s", s)
		}
	}
	if !strings.Contains(string(out), "dsn_env: CLARI_STORE_DSN") || !strings.Contains(string(out), "lease_duration: 15s") {
		t.Fatalf("dump lacks the storage and ha sections:\n%s", out)
	}
}

func TestBadStorageAndHA(t *testing.T) {
	t.Setenv("CLARI_TEST_KEY", testSecret)
	t.Setenv("CLARI_EMPTY", " ")
	cases := []struct {
		name, yaml string
		want       []string
	}{
		{"unknown driver", "storage:\n  driver: mysql\n", []string{`clari.yml:5: storage.driver: must be "sqlite" or "postgres", got "mysql"`}},
		{"postgres without DSN", "storage:\n  driver: postgres\n", []string{"storage: storage.driver \"postgres\" needs the DSN: set exactly one of dsn_file (recommended) or dsn_env"}},
		{"two DSN sources", "storage:\n  driver: postgres\n  dsn_file: x\n  dsn_env: Y\n", []string{"storage.dsn_env: set exactly one of dsn_file or dsn_env"}},
		{"DSN value in dsn_env", "storage:\n  driver: postgres\n  dsn_env: \"" + testDSN + "\"\n", []string{"storage.dsn_env: must be the name of an environment variable"}},
		{"DSN env unset", "storage:\n  driver: postgres\n  dsn_env: CLARI_NOPE_UNSET\n", []string{"storage.dsn_env: environment variable CLARI_NOPE_UNSET is not set"}},
		{"DSN env empty", "storage:\n  driver: postgres\n  dsn_env: CLARI_EMPTY\n", []string{"storage.dsn_env: environment variable CLARI_EMPTY is empty"}},
		{"DSN file missing", "storage:\n  driver: postgres\n  dsn_file: /nonexistent/pg.dsn\n", []string{"storage.dsn_file: file /nonexistent/pg.dsn does not exist"}},
		{"DSN on sqlite", "storage:\n  dsn_env: X\n", []string{`storage.dsn_env: is for storage.driver "postgres" only`}},
		{"empty path", "storage:\n  path: \"\"\n", []string{"storage.path: must not be empty"}},
		{"renew below 1s", "ha:\n  renew_interval: 500ms\n", []string{"ha.renew_interval: must be at least 1s, got 500ms (ha.lease_duration is 15s)"}},
		{"lease below 3 renewals", "ha:\n  lease_duration: 10s\n  renew_interval: 5s\n",
			[]string{"ha.lease_duration: must be at least 3 × ha.renew_interval (3 × 5s = 15s), got 10s"}},
		{"unknown ha key", "ha:\n  ttl: 5s\n", []string{"ha.ttl: unknown key (ha takes: lease_duration, renew_interval)"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse([]byte(storageBase+c.yaml), "clari.yml")
			if err == nil {
				t.Fatal("accepted")
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
			if strings.Contains(err.Error(), "pw-SECRET") {
				t.Errorf("error leaks the DSN: %v", err)
			}
		})
	}
}

// The election's fixed values (no key sets them) are config's, and are
// what docs/ha.md quotes.
func TestLeaderValues(t *testing.T) {
	if LeasePollInterval != 200*time.Millisecond || FollowerSyncInterval != time.Second || LeaseName != "clari_exporter" {
		t.Fatalf("lease poll %s, follower sync %s, lease name %q: want 200ms, 1s, clari_exporter (docs/ha.md)", LeasePollInterval, FollowerSyncInterval, LeaseName)
	}
}

func TestStorageDepartedRetention(t *testing.T) {
	t.Setenv("CLARI_TEST_KEY", testSecret)
	cfg, err := Parse([]byte(storageBase), "clari.yml")
	if err != nil {
		t.Fatal(err)
	}
	if got := time.Duration(cfg.Storage.DepartedRetention); got != 90*24*time.Hour {
		t.Fatalf("departed_retention defaults to %s, want 90d", got)
	}
	cfg, err = Parse([]byte(storageBase+"storage:\n  departed_retention: 30d\n"), "clari.yml")
	if err != nil {
		t.Fatal(err)
	}
	if got := time.Duration(cfg.Storage.DepartedRetention); got != 30*24*time.Hour {
		t.Fatalf("departed_retention: 30d read as %s", got)
	}
}
