package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-kit/log"

	"github.com/clari-exporter/clari_exporter/checklist"
)

// TestDemoWritesItsAuditableConfig: the demo writes its configuration with
// its key and DSN in files of mode 0400 (a key file from a git checkout is
// 0644 and fails the audit's P1 api_key_secret_store), and `check` on that
// file, against the running demo's simulator, passes every P1 check (exit
// 0) with the key file's check passing on its mode.
func TestDemoWritesItsAuditableConfig(t *testing.T) {
	d, err := startDemo(context.Background(), defaultDemoTiming, log.NewNopLogger())
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if filepath.Dir(d.auditConfig) != d.dir {
		t.Fatalf("audit config %s is not in the demo's state directory %s", d.auditConfig, d.dir)
	}
	for _, name := range []string{demoKeyName, demoDSNName} {
		fi, err := os.Stat(filepath.Join(d.dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if mode := fi.Mode().Perm(); mode != 0o400 {
			t.Errorf("%s has mode %04o, want 0400", name, mode)
		}
	}
	var out, errb bytes.Buffer
	cf := checkFlags{configFile: d.auditConfig, output: "text", timeout: 20 * time.Second, logLevel: "warn"}
	code := checkMain(context.Background(), cf, checklist.Options{}, &out, &errb)
	if code != 0 {
		t.Errorf("check of the demo's config exited %d, want 0:\n%s%s", code, &out, &errb)
	}
	for _, want := range []string{"[PASS] api_key_secret_store (P1)", "(mode 0400)", "[PASS] api_token_valid (P1)", "[PASS] config_valid (P1)"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("check output lacks %q:\n%s", want, &out)
		}
	}
	if strings.Contains(out.String()+errb.String(), demoKey) {
		t.Error("the audit printed the demo key")
	}
}
