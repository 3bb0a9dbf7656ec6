package app

import (
	"testing"

	"github.com/clari-exporter/clari_exporter/config"
)

// TestRestartOnlySettingsCompared: a reload that changes a restart-only
// section (store, ha, warehouse, their DSNs) is told apart from one that
// does not, including a warehouse section added or removed.
func TestRestartOnlySettingsCompared(t *testing.T) {
	base := func() *config.Config {
		c := &config.Config{}
		c.Storage.Driver, c.Storage.Path = "sqlite", "/var/lib/a.db"
		c.HA.LeaseDuration = 15
		c.Secrets.StorageDSN = "postgres://u:p@h/db"
		c.Warehouse = &config.Warehouse{Driver: "postgres", Table: "t"}
		c.Secrets.WarehouseDSN = "postgres://u:p@w/db"
		return c
	}
	for _, tc := range []struct {
		name      string
		edit      func(*config.Config)
		store, wh bool // whether each stays the same
	}{
		{"unchanged", func(*config.Config) {}, true, true},
		{"storage path", func(c *config.Config) { c.Storage.Path = "/other.db" }, false, true},
		{"lease", func(c *config.Config) { c.HA.RenewInterval = 3 }, false, true},
		{"storage dsn", func(c *config.Config) { c.Secrets.StorageDSN = "postgres://u:q@h/db" }, false, true},
		{"warehouse table", func(c *config.Config) { c.Warehouse.Table = "u" }, true, false},
		{"warehouse retention", func(c *config.Config) { c.Warehouse.Retention.Enforce = true }, true, false},
		{"warehouse dsn", func(c *config.Config) { c.Secrets.WarehouseDSN = "postgres://u:q@w/db" }, true, false},
		{"warehouse removed", func(c *config.Config) { c.Warehouse = nil }, true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			started, reloaded := base(), base()
			tc.edit(reloaded)
			if got := sameStore(started, reloaded); got != tc.store {
				t.Errorf("sameStore = %v, want %v", got, tc.store)
			}
			if got := sameWarehouse(started, reloaded); got != tc.wh {
				t.Errorf("sameWarehouse = %v, want %v", got, tc.wh)
			}
			if got := sameWarehouse(reloaded, started); got != tc.wh {
				t.Errorf("sameWarehouse (reversed) = %v, want %v", got, tc.wh)
			}
		})
	}
	x, y := base(), base()
	x.Warehouse, y.Warehouse = nil, nil
	if !sameWarehouse(x, y) {
		t.Error("two configs without a warehouse section compare as changed")
	}
}
