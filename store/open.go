package store

import (
	"context"
	"fmt"

	"github.com/go-kit/log"

	"github.com/clari-exporter/clari_exporter/config"
)

// Open opens the store the storage section configures: the SQLite file
// (pathOverride, from --storage.path, wins over storage.path) or the shared
// PostgreSQL database whose DSN config resolved from storage.dsn_file /
// dsn_env (config.Config.Secrets.StorageDSN). Errors name the setting to
// fix.
func Open(ctx context.Context, st config.Storage, dsn config.Secret, pathOverride string, logger log.Logger, opts ...Option) (Store, error) {
	switch st.Driver {
	case config.StoragePostgres:
		p, err := OpenPostgres(ctx, string(dsn), logger, opts...)
		if err != nil {
			return nil, err
		}
		return p, nil
	case config.StorageSQLite, "":
		path := st.Path
		if pathOverride != "" {
			path = pathOverride
		}
		s, err := OpenSQLite(path, logger, opts...)
		if err != nil {
			return nil, fmt.Errorf("%w (storage.path)", err)
		}
		return s, nil
	}
	return nil, fmt.Errorf("store: storage.driver %q is neither %q nor %q", st.Driver, config.StorageSQLite, config.StoragePostgres)
}
