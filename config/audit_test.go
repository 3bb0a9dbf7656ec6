package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoadForAudit(t *testing.T) {
	dir := t.TempDir()
	write := func(name, s string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}

	t.Run("invalid config is returned with every problem", func(t *testing.T) {
		p := write("bad.yml", "clari:\n  api_key_file: missing-key\n  max_requeues: -1\nforecasts:\n  - id: net_arr\n")
		cfg, problems, err := LoadForAudit(p)
		if err != nil || cfg == nil {
			t.Fatalf("cfg %v, err %v", cfg, err)
		}
		if cfg.Forecasts[0].ID != "net_arr" || cfg.Clari.MaxRequeues != -1 {
			t.Errorf("decoded config lost values: %+v", cfg.Clari)
		}
		var paths []string
		for _, p := range problems {
			paths = append(paths, p.Path)
			if p.Line == 0 || p.Source == "" {
				t.Errorf("problem without location: %v", p)
			}
		}
		got := strings.Join(paths, ",")
		if !strings.Contains(got, "clari.max_requeues") || !strings.Contains(got, "clari.api_key_file") {
			t.Errorf("problems %v", problems)
		}
		for _, p := range problems {
			if p.Path == "clari.api_key_file" && !p.IsResolveProblem() {
				t.Errorf("%v: not a resolve problem", p)
			}
			if p.Path == "clari.max_requeues" && p.IsResolveProblem() {
				t.Errorf("%v: a resolve problem", p)
			}
		}
	})
	t.Run("undecodable file gives no config", func(t *testing.T) {
		p := write("typo.yml", "clari:\n  api_key: sk-inline-secret-123456\n  nosuch: 1\n")
		cfg, problems, err := LoadForAudit(p)
		if err != nil || cfg != nil || len(problems) == 0 {
			t.Fatalf("cfg %v, problems %v, err %v", cfg, problems, err)
		}
		for _, p := range problems {
			if strings.Contains(p.Error(), "sk-inline-secret-123456") {
				t.Errorf("problem carries the inline key: %v", p)
			}
		}
	})
	t.Run("unreadable file is an error", func(t *testing.T) {
		if _, _, err := LoadForAudit(filepath.Join(dir, "absent.yml")); err == nil {
			t.Fatal("no error")
		}
	})
	t.Run("valid config has no problems and its key", func(t *testing.T) {
		write("key", "sk-file-key\n")
		p := write("ok.yml", "clari:\n  api_key_file: key\nforecasts:\n  - id: net_arr\n")
		cfg, problems, err := LoadForAudit(p)
		if err != nil || len(problems) != 0 || cfg.Secrets.APIKey != "sk-file-key" {
			t.Fatalf("problems %v, err %v", problems, err)
		}
	})
}
