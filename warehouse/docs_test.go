package warehouse

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/clari-exporter/clari_exporter/config"
)

// TestDocsShowEachBackendsSQL: docs/warehouse.md has a section per
// backend, and per backend that reads raw grain, holding exactly the
// statements its checks send.
func TestDocsShowEachBackendsSQL(t *testing.T) {
	doc, err := os.ReadFile("../docs/warehouse.md")
	if err != nil {
		t.Fatal(err)
	}
	docShowsSQL(t, string(doc), config.WarehouseDrivers, config.GrainRow, "(`driver: %s`)")
	docShowsSQL(t, string(doc), config.RawGrainDrivers, config.GrainRaw, "(`driver: %s`, `grain: raw`)")
}

// docShowsSQL checks the section headed by head (with the driver) of each
// driver holds the statements of the default config in grain.
func docShowsSQL(t *testing.T, doc string, drivers []string, grain, head string) {
	t.Helper()
	for _, drv := range drivers {
		d, err := dialectFor(drv)
		if err != nil {
			t.Fatal(err)
		}
		head := fmt.Sprintf(head, drv)
		i := strings.Index(doc, head)
		if i < 0 {
			t.Errorf("docs/warehouse.md has no section %s", head)
			continue
		}
		section := doc[i:]
		if j := strings.Index(section[len(head):], "\n#"); j >= 0 {
			section = section[:len(head)+j]
		}
		cfg := config.DefaultWarehouse()
		cfg.Grain = grain
		r := resolve(cfg, d)
		for _, q := range []string{d.countSQL(r), d.duplicateKeysSQL(r), d.distinctPeriodsSQL(r), d.newestLoadSQL(r)} {
			if !strings.Contains(section, q) {
				t.Errorf("docs/warehouse.md, section %s, does not show what the check sends:\n%s", head, q)
			}
		}
	}
}
