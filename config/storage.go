package config

import (
	"strings"
	"time"

	"github.com/prometheus/common/model"
)

// Storage drivers (storage.driver).
const (
	StorageSQLite   = "sqlite"
	StoragePostgres = "postgres"
)

// Storage is where durable state lives: an embedded SQLite file (one
// replica) or a shared PostgreSQL database (several replicas, one leader;
// see docs/ha.md).
type Storage struct {
	Driver string `yaml:"driver"` // sqlite (default) or postgres
	Path   string `yaml:"path"`   // SQLite file, default ./data/clari_exporter.db; SQLite only
	// The PostgreSQL DSN, from exactly one of a file or an environment
	// variable (never inline: it carries a password). postgres only.
	DSNFile string `yaml:"dsn_file,omitempty"`
	DSNEnv  string `yaml:"dsn_env,omitempty"`

	// DepartedRetention is how long the store keeps what it holds of a
	// target that left the config (an old quarter): runs, snapshots,
	// target state and counters are deleted once the target saw no
	// activity for this long. 0 keeps them forever. Default 90d.
	DepartedRetention model.Duration `yaml:"departed_retention"`
}

// HA tunes the leader lease of a PostgreSQL store (see docs/ha.md). The
// leader renews every RenewInterval a lease that lasts LeaseDuration, and
// steps down when it could not renew for LeaseDuration − RenewInterval.
type HA struct {
	LeaseDuration model.Duration `yaml:"lease_duration"` // default 15s
	RenewInterval model.Duration `yaml:"renew_interval"` // default 5s
}

// Bounds of the ha section. Three renewals per lease leave the leader two
// chances to renew before it must step down; below a second, database
// round trips under load eat the whole window.
const (
	minRenewInterval      = time.Second
	minRenewalsPerLease   = 3
	defaultLeaseDuration  = 15 * time.Second
	defaultRenewInterval  = 5 * time.Second
	storageDSNSecretField = "storage.dsn"
)

// Values of the leader election that no key sets. Config owns them, like
// the ha section's defaults, so package leader has none of its own.
const (
	// LeaseName names the lease row. It is fixed: replicas that share a
	// store must compete for the same lease, or two would lead one state.
	LeaseName = "clari_exporter"
	// LeasePollInterval is how often a follower checks whether the lease is
	// free: a released lease is taken within about this long (docs/ha.md).
	LeasePollInterval = 200 * time.Millisecond
	// FollowerSyncInterval is how often a follower polls the store
	// generation: every replica shows a change of the shared state within
	// about this long.
	FollowerSyncInterval = time.Second
)

// defaultDepartedRetention: a quarter after a target left the config, its
// history is of no use to /metrics or the landing page.
const defaultDepartedRetention = 90 * 24 * time.Hour

func defaultStorage() Storage {
	return Storage{Driver: StorageSQLite, Path: DefaultStoragePath, DepartedRetention: dur(defaultDepartedRetention)}
}

func defaultHA() HA {
	return HA{LeaseDuration: dur(defaultLeaseDuration), RenewInterval: dur(defaultRenewInterval)}
}

// UnmarshalYAML applies the section's defaults before decoding.
func (s *Storage) UnmarshalYAML(unmarshal func(any) error) error {
	*s = defaultStorage()
	type plainStorage Storage
	return unmarshal((*plainStorage)(s))
}

// UnmarshalYAML applies the section's defaults before decoding.
func (h *HA) UnmarshalYAML(unmarshal func(any) error) error {
	*h = defaultHA()
	type plainHA HA
	return unmarshal((*plainHA)(h))
}

// Shared reports whether the store is shared by several replicas (so a
// leader lease decides which one exports).
func (s Storage) Shared() bool { return s.Driver == StoragePostgres }

// validate checks the section; resolved is the DSN already resolved (a
// config built in code needs no source).
func (s Storage) validate(errs *fieldErrors, resolved Secret) {
	if s.DepartedRetention < 0 {
		errs.add("storage.departed_retention", "must be >= 0 (0 keeps departed targets forever), got %s", s.DepartedRetention)
	}
	switch s.Driver {
	case StorageSQLite:
		if strings.TrimSpace(s.Path) == "" {
			errs.add("storage.path", "must not be empty")
		}
		for _, k := range []struct{ key, val string }{{"dsn_file", s.DSNFile}, {"dsn_env", s.DSNEnv}} {
			if k.val != "" {
				errs.add("storage."+k.key, "is for storage.driver %q only; storage.driver is %q (the SQLite file is storage.path)", StoragePostgres, StorageSQLite)
			}
		}
	case StoragePostgres:
		switch {
		case s.DSNFile == "" && s.DSNEnv == "" && resolved == "":
			errs.add("storage", "storage.driver %q needs the DSN: set exactly one of dsn_file (recommended) or dsn_env", StoragePostgres)
		case s.DSNFile != "" && s.DSNEnv != "":
			errs.add("storage.dsn_env", "set exactly one of dsn_file or dsn_env; got dsn_file and dsn_env")
		}
		if s.DSNEnv != "" && !envVarName.MatchString(s.DSNEnv) {
			errs.add("storage.dsn_env", "must be the name of an environment variable (letters, digits, '_'), not its value; the value given is not shown")
		}
	default:
		errs.add("storage.driver", "must be %q or %q, got %q", StorageSQLite, StoragePostgres, s.Driver)
	}
}

func (h HA) validate(errs *fieldErrors) {
	renew, lease := time.Duration(h.RenewInterval), time.Duration(h.LeaseDuration)
	if renew < minRenewInterval {
		errs.add("ha.renew_interval", "must be at least %s, got %s (ha.lease_duration is %s)", model.Duration(minRenewInterval), h.RenewInterval, h.LeaseDuration)
		return
	}
	if lease < minRenewalsPerLease*renew {
		errs.add("ha.lease_duration", "must be at least %d × ha.renew_interval (%d × %s = %s), got %s: the leader needs room to retry a renewal before its lease can expire",
			minRenewalsPerLease, minRenewalsPerLease, h.RenewInterval, model.Duration(minRenewalsPerLease*renew), h.LeaseDuration)
	}
}

// StorageDSNFilePath is storage.dsn_file as read (see KeyFilePath).
func (c *Config) StorageDSNFilePath() string { return c.relative(c.Storage.DSNFile) }

// resolveStorage reads the PostgreSQL DSN of a postgres store.
func (c *Config) resolveStorage() *FieldError {
	if c.Storage.Driver != StoragePostgres {
		return nil
	}
	dsn, err := c.readSecret(storageDSNSecretField, c.Storage.DSNFile, c.Storage.DSNEnv, "")
	if err != nil {
		return err
	}
	if dsn != "" {
		c.Secrets.StorageDSN = dsn
	}
	return nil
}
