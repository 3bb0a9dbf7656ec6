package main

import (
	"bytes"
	"context"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/clari-exporter/clari_exporter/checklist"
	"github.com/clari-exporter/clari_exporter/clari/clarisim"
	"github.com/clari-exporter/clari_exporter/config"
	"github.com/clari-exporter/clari_exporter/internal/testtier"
)

// shippedConfig is a configuration the project ships for users to copy: a
// file of examples/ or a YAML block of README.md.
type shippedConfig struct {
	name string
	data []byte
}

// configKeys are top-level keys that only a clari_exporter configuration
// has: a README YAML block with one of them is a configuration (the
// scrape_configs example is not).
var configKeys = []string{"clari", "forecasts", "schedule", "watch", "warehouse"}

// shippedConfigs reads every examples/*.yml and every clari_exporter
// configuration in a ```yaml block of README.md.
func shippedConfigs(t *testing.T) []shippedConfig {
	t.Helper()
	var out []shippedConfig
	files, err := filepath.Glob("../../examples/*.yml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no examples/*.yml (%v)", err)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, shippedConfig{name: "examples/" + filepath.Base(f), data: b})
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks := regexp.MustCompile("(?ms)^```yaml\n(.*?)^```").FindAllSubmatchIndex(readme, -1)
	n := 0
	for _, m := range blocks {
		block := readme[m[2]:m[3]]
		var top map[string]any
		if err := yaml.Unmarshal(block, &top); err != nil {
			t.Errorf("README.md line %d: a yaml block does not parse: %v", 1+bytes.Count(readme[:m[2]], []byte("\n")), err)
			continue
		}
		for _, k := range configKeys {
			if _, ok := top[k]; ok {
				n++
				line := 1 + bytes.Count(readme[:m[2]], []byte("\n"))
				out = append(out, shippedConfig{name: "README.md line " + strconv.Itoa(line), data: block})
				break
			}
		}
	}
	if n == 0 {
		t.Fatal("README.md has no configuration in a ```yaml block: the extraction is broken")
	}
	return out
}

// placeEnvironment rewrites cfg for this machine the way its reader would
// set it up: every file it names (api_key_file, dsn_file) exists under dir
// with mode 0400, holding the simulator's key or dsns[field]; every
// variable it names (api_key_env, dsn_env) is set; base_url points at the
// simulator instead of Clari; a relative SQLite storage.path lands in dir.
// It returns the rewritten file.
func placeEnvironment(t *testing.T, data []byte, dir, baseURL, key string, dsns map[string]string) []byte {
	t.Helper()
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	root := doc.Content[0]
	secretFor := func(section string) string {
		if section == "clari" {
			return key
		}
		if dsns[section] == "" {
			t.Fatalf("the config names a %s DSN; the test has none to give", section)
		}
		return dsns[section]
	}
	for i := 0; i+1 < len(root.Content); i += 2 {
		section, body := root.Content[i].Value, root.Content[i+1]
		if body.Kind != yaml.MappingNode {
			continue
		}
		for j := 0; j+1 < len(body.Content); j += 2 {
			k, v := body.Content[j].Value, body.Content[j+1]
			switch k {
			case "api_key_file", "dsn_file":
				p := filepath.Join(dir, section+"-"+filepath.Base(v.Value))
				if err := os.WriteFile(p, []byte(secretFor(section)+"\n"), 0o400); err != nil {
					t.Fatal(err)
				}
				v.Value = p
			case "api_key_env", "dsn_env":
				t.Setenv(v.Value, secretFor(section))
			case "path":
				if section == "storage" && !filepath.IsAbs(v.Value) {
					v.Value = filepath.Join(dir, v.Value)
				}
			}
		}
		if section == "clari" {
			setKey(body, "base_url", baseURL)
		}
	}
	if findKey(root, "storage") == nil {
		root.Content = append(root.Content, scalar("storage"), &yaml.Node{Kind: yaml.MappingNode})
		setKey(root.Content[len(root.Content)-1], "path", filepath.Join(dir, "state.db"))
	}
	out, err := yaml.Marshal(&doc)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func scalar(v string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Value: v} }

func findKey(m *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

func setKey(m *yaml.Node, key, value string) {
	if v := findKey(m, key); v != nil {
		v.Value, v.Tag, v.Style = value, "!!str", 0
		return
	}
	m.Content = append(m.Content, scalar(key), scalar(value))
}

// TestShippedConfigsPassTheirOwnChecks: every configuration README.md and
// examples/ give a user to copy is valid (--config.check exits 0) and
// passes the readiness audit (`check`: no FAIL at any priority) when given
// the files and variables it names, against a simulator standing in for
// Clari. A default that fails the project's own audit, or an example that
// drifts from the schema, fails here.
func TestShippedConfigsPassTheirOwnChecks(t *testing.T) {
	const key = "sk-shipped-config-test-7f6e5d4c3b2a1908"
	sim := clarisim.New(clarisim.Options{APIKey: key, RequireV4: true,
		Tenant: clarisim.TenantSpec{FiscalStartMonth: time.February}})
	srv := httptest.NewServer(sim)
	t.Cleanup(func() { srv.Close(); sim.Close() })

	for _, sc := range shippedConfigs(t) {
		t.Run(sc.name, func(t *testing.T) {
			dir := t.TempDir()
			wh := filepath.Join(dir, "warehouse.db")
			data := placeEnvironment(t, sc.data, dir, srv.URL+"/v4", key, map[string]string{"warehouse": wh})
			path := filepath.Join(dir, "clari.yml")
			if err := os.WriteFile(path, data, 0o600); err != nil {
				t.Fatal(err)
			}
			var out, errb bytes.Buffer
			if code := checkConfig(path, &out, &errb); code != 0 {
				t.Fatalf("--config.check exits %d:\n%s%s\nconfig as placed:\n%s", code, &out, &errb, data)
			}
			out.Reset()
			errb.Reset()
			cf := checkFlags{configFile: path, output: "text", timeout: 30 * time.Second, logLevel: "warn"}
			code := checkMain(context.Background(), cf, checklist.Options{}, &out, &errb)
			if code != 0 || strings.Contains(out.String(), "[FAIL]") {
				t.Errorf("check exits %d or fails a check:\n%s%s\nconfig as placed:\n%s", code, &out, &errb, data)
			}
			if strings.Contains(out.String()+errb.String(), key) {
				t.Error("the key was printed")
			}
		})
	}
}

// uncommentWarehouse returns examples/clari.yml with its commented-out
// warehouse block (from "# warehouse:" to the end of the comment lines)
// uncommented, as its comment tells the reader to do.
func uncommentWarehouse(t *testing.T, data []byte) []byte {
	t.Helper()
	lines := strings.Split(string(data), "\n")
	in, found := false, false
	for i, l := range lines {
		if l == "# warehouse:" {
			in, found = true, true
		}
		if in && !strings.HasPrefix(l, "#") {
			in = false
		}
		if in {
			lines[i] = strings.TrimPrefix(strings.TrimPrefix(l, "#"), " ")
		}
	}
	if !found {
		t.Fatal("examples/clari.yml has no commented-out '# warehouse:' block")
	}
	return []byte(strings.Join(lines, "\n"))
}

// TestExampleWarehouseBlockIsValid: the example's warehouse section,
// uncommented as its comment says and with CLARI_WAREHOUSE_DSN set, loads.
func TestExampleWarehouseBlockIsValid(t *testing.T) {
	data, err := os.ReadFile("../../examples/clari.yml")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	placed := placeEnvironment(t, uncommentWarehouse(t, data), dir, "https://api.clari.com/v4", "sk-example-warehouse-test",
		map[string]string{"warehouse": "postgres://clari:pw@127.0.0.1:5432/analytics?sslmode=disable"})
	if !bytes.Contains(placed, []byte("warehouse:")) {
		t.Fatalf("no warehouse section after uncommenting:\n%s", placed)
	}
	path := filepath.Join(dir, "clari.yml")
	if err := os.WriteFile(path, placed, 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	if code := checkConfig(path, &out, &errb); code != 0 {
		t.Fatalf("--config.check of examples/clari.yml with its warehouse block exits %d:\n%s%s", code, &out, &errb)
	}
}

// TestExampleShowsEveryKey: examples/clari.yml says it shows every key;
// each YAML key of the configuration's schema appears in it, set or in a
// comment ("# key:"), under its section.
func TestExampleShowsEveryKey(t *testing.T) {
	data, err := os.ReadFile("../../examples/clari.yml")
	if err != nil {
		t.Fatal(err)
	}
	// Uncomment every key: one shown as "# dsn_file: ..." counts, also in
	// the commented-out warehouse block ("#   # dsn_file: ...").
	commented := regexp.MustCompile(`^( *)# ( *(?:# )?[a-z_]+:(?: |$))`)
	var plain []string
	for _, l := range strings.Split(string(data), "\n") {
		for commented.MatchString(l) {
			l = commented.ReplaceAllString(l, "$1$2")
		}
		if c := strings.Index(l, "  #"); c > 0 {
			l = l[:c]
		}
		plain = append(plain, l)
	}
	shown := map[string]bool{}
	var stack []struct {
		indent int
		key    string
	}
	keyLine := regexp.MustCompile(`^( *)(?:- )?([a-z_]+):`)
	for _, l := range plain {
		m := keyLine.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		indent := len(m[1])
		if strings.Contains(l[:len(m[0])], "- ") {
			indent += 2
		}
		for len(stack) > 0 && stack[len(stack)-1].indent >= indent {
			stack = stack[:len(stack)-1]
		}
		path := m[2]
		if len(stack) > 0 {
			path = stack[len(stack)-1].key + "." + m[2]
		}
		shown[path] = true
		stack = append(stack, struct {
			indent int
			key    string
		}{indent, path})
	}
	var missing []string
	for _, p := range schemaPaths(reflect.TypeOf(config.File{}), "") {
		if !shown[p] {
			missing = append(missing, p)
		}
	}
	if len(missing) > 0 {
		t.Errorf("examples/clari.yml does not show %d key(s): %s", len(missing), strings.Join(missing, ", "))
	}
}

// schemaPaths lists the dotted YAML paths of every key of the schema type
// t (a list's items share their list's path).
func schemaPaths(t reflect.Type, prefix string) []string {
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice {
		t = t.Elem()
	}
	var out []string
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "" || name == "-" {
			continue
		}
		p := prefix + name
		out = append(out, p)
		ft := f.Type
		for ft.Kind() == reflect.Pointer || ft.Kind() == reflect.Slice {
			ft = ft.Elem()
		}
		if ft.Kind() == reflect.Struct && ft.PkgPath() == t.PkgPath() {
			out = append(out, schemaPaths(ft, p+".")...)
		}
	}
	return out
}

// TestReadmeScrapeConfigIsValid: the README's scrape_configs example is a
// Prometheus configuration promtool accepts, and its job name is one the
// shipped alerts select (job=~"clari.*").
func TestReadmeScrapeConfigIsValid(t *testing.T) {
	promtool := testtier.Tool(t, "promtool", "prometheus")
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	var block []byte
	for _, m := range regexp.MustCompile("(?ms)^```yaml\n(.*?)^```").FindAllSubmatch(readme, -1) {
		if bytes.HasPrefix(m[1], []byte("scrape_configs:")) {
			block = m[1]
		}
	}
	if block == nil {
		t.Fatal("README.md has no ```yaml block starting with scrape_configs:")
	}
	var cfg struct {
		ScrapeConfigs []struct {
			JobName string `yaml:"job_name"`
		} `yaml:"scrape_configs"`
	}
	if err := yaml.Unmarshal(block, &cfg); err != nil || len(cfg.ScrapeConfigs) == 0 {
		t.Fatalf("the scrape_configs example does not parse: %v", err)
	}
	for _, sc := range cfg.ScrapeConfigs {
		if !regexp.MustCompile(`^clari.*$`).MatchString(sc.JobName) {
			t.Errorf("job_name %q is not selected by the alerts' job=~\"clari.*\"", sc.JobName)
		}
	}
	path := filepath.Join(t.TempDir(), "prometheus.yml")
	if err := os.WriteFile(path, block, 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(promtool, "check", "config", path).CombinedOutput(); err != nil {
		t.Errorf("promtool check config of the README's scrape_configs: %v\n%s", err, out)
	}
}
