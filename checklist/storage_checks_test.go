package checklist

import (
	"strings"
	"testing"

	"github.com/clari-exporter/clari_exporter/clari/clarisim"
)

func TestStorageModeReported(t *testing.T) {
	s := startSim(t, clarisim.Scenario{})
	rep := audit(t, Options{ConfigFile: writeConfig(t, s.URL)})
	expect(t, rep, CheckStorageMode, Pass, "storage sqlite", "one replica only", "strategy: Recreate")

	t.Setenv("CLARI_AUDIT_STORE_DSN", "postgres://clari:pw-AUDIT-SECRET@db.internal/clari")
	rep = audit(t, Options{ConfigFile: writeConfig(t, s.URL, "monthly_budget: 200",
		"monthly_budget: 200\nstorage:\n  driver: postgres\n  dsn_env: CLARI_AUDIT_STORE_DSN\nha:\n  lease_duration: 30s\n  renew_interval: 10s")})
	r := expect(t, rep, CheckStorageMode, Pass, "storage postgres", "storage.dsn_env CLARI_AUDIT_STORE_DSN", "one leader", "lease 30s renewed every 10s")
	if r.Priority != P3 {
		t.Errorf("priority %s, want P3", r.Priority)
	}
	for _, x := range rep.Results {
		if strings.Contains(x.Detail, "pw-AUDIT-SECRET") {
			t.Errorf("%s leaks the storage DSN: %s", x.ID, x.Detail)
		}
	}
}
