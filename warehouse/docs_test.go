package warehouse

import (
	"os"
	"strings"
	"testing"

	"github.com/clari-exporter/clari_exporter/config"
)

// TestDocsShowEachBackendsSQL: docs/warehouse.md has a section per
// backend holding exactly the statements its checks send.
func TestDocsShowEachBackendsSQL(t *testing.T) {
	doc, err := os.ReadFile("../docs/warehouse.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, drv := range config.WarehouseDrivers {
		d, err := dialectFor(drv)
		if err != nil {
			t.Fatal(err)
		}
		head := "(`driver: " + drv + "`)"
		i := strings.Index(string(doc), head)
		if i < 0 {
			t.Errorf("docs/warehouse.md has no section %s", head)
			continue
		}
		section := string(doc[i:])
		if j := strings.Index(section[len(head):], "\n### "); j >= 0 {
			section = section[:len(head)+j]
		}
		r := resolve(config.DefaultWarehouse(), d)
		for _, q := range []string{d.countSQL(r), d.duplicateKeysSQL(r), d.distinctPeriodsSQL(r), d.newestLoadSQL(r)} {
			if !strings.Contains(section, q) {
				t.Errorf("docs/warehouse.md, section %s, does not show what the check sends:\n%s", head, q)
			}
		}
	}
}
