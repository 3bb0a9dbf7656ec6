package checklist

import (
	"fmt"
	"time"

	"github.com/clari-exporter/clari_exporter/config"
)

// checkStorageMode reports how the exporter keeps its state, and with it
// how it may be deployed: an SQLite file allows exactly one replica (a
// second process on the file is refused), PostgreSQL allows several with
// one leader. Either is a valid set-up; the detail says which it is.
func checkStorageMode(cfg *config.Config) Result {
	st := cfg.Storage
	if !st.Shared() {
		return result(CheckStorageMode, Pass, fmt.Sprintf(
			"storage sqlite, file %s: one replica only (deploy with strategy: Recreate or a StatefulSet; docs/ha.md)", st.Path))
	}
	src := "storage.dsn_env " + st.DSNEnv
	if st.DSNFile != "" {
		src = "storage.dsn_file " + cfg.StorageDSNFilePath()
	}
	return result(CheckStorageMode, Pass, fmt.Sprintf(
		"storage postgres (DSN from %s): shared by every replica, one leader; lease %s renewed every %s",
		src, time.Duration(cfg.HA.LeaseDuration), time.Duration(cfg.HA.RenewInterval)))
}
