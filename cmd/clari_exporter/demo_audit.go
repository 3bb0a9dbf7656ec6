package main

import (
	"fmt"
	"os"
	"path/filepath"

	"gopkg.in/yaml.v3"
)

// Files the demo writes into its state directory so the running demo can
// be audited: `clari_exporter check --config.file=<dir>/clari.yml`.
const (
	demoConfigName = "clari.yml"
	demoKeyName    = "clari-api-key"
	demoDSNName    = "warehouse-dsn"
)

// writeAuditConfig writes the demo's configuration as a file, its key and
// warehouse DSN beside it as files only their owner can read (mode 0400,
// what the audit's api_key_secret_store asks of a key file; a key file
// checked out from git is 0644 and fails it). It returns the config path.
func (d *demoEnv) writeAuditConfig() (string, error) {
	file := d.cfg.File
	file.Clari.APIKey, file.Clari.APIKeyFile = "", demoKeyName
	secrets := map[string]string{demoKeyName: demoKey}
	if d.cfg.Warehouse != nil {
		wh := *d.cfg.Warehouse
		wh.DSN, wh.DSNFile = "", demoDSNName
		file.Warehouse = &wh
		secrets[demoDSNName] = string(d.cfg.Secrets.WarehouseDSN)
	}
	for name, value := range secrets {
		if err := os.WriteFile(filepath.Join(d.dir, name), []byte(value+"\n"), 0o400); err != nil {
			return "", fmt.Errorf("demo: writing %s: %w", name, err)
		}
	}
	data, err := yaml.Marshal(&file)
	if err != nil {
		return "", fmt.Errorf("demo: encoding its configuration: %w", err)
	}
	path := filepath.Join(d.dir, demoConfigName)
	head := "# The running demo's configuration, written by clari_exporter --demo so that\n# `clari_exporter check --config.file=" + path + "` audits it.\n"
	if err := os.WriteFile(path, append([]byte(head), data...), 0o600); err != nil {
		return "", fmt.Errorf("demo: writing %s: %w", path, err)
	}
	return path, nil
}
