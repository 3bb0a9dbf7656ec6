package config

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// Every default has one home: this package (defaults.go). The packages that
// take configuration (configConsumers) apply none of their own, so none can
// disagree with config's. The tests below fail
// when a package grows a default again, and when config leaves an option of
// theirs unset.

// configConsumers are the packages that take config's sections as
// resolved options (issue 9: clari, warehouse, collector; the runner, the
// Clari health reading, the leader election and the pipeline watch).
// Add a package here once it takes its options from config.
var configConsumers = []string{"clari", "warehouse", "collector", "runner", "health", "leader", "watch"}

// TestPackagesHaveNoDefaults fails on a top-level const or var named
// Default…/default… in a package that takes its options from config.
func TestPackagesHaveNoDefaults(t *testing.T) {
	files := eachSourceFile(t, configConsumers, func(path string, f *ast.File) {
		for _, decl := range f.Decls {
			gd, ok := decl.(*ast.GenDecl)
			if !ok || (gd.Tok != token.CONST && gd.Tok != token.VAR) {
				continue
			}
			for _, spec := range gd.Specs {
				for _, name := range spec.(*ast.ValueSpec).Names {
					if strings.HasPrefix(strings.ToLower(name.Name), "default") {
						t.Errorf("%s declares %s.%s: a default outside config. Put it in config/defaults.go and pass the resolved value in; if no config key sets it, it is a constant: name it for what it is", path, f.Name.Name, name.Name)
					}
				}
			}
		}
	})
	if files < 4*len(configConsumers) {
		t.Fatalf("scanned only %d Go files of %v: the paths are wrong", files, configConsumers)
	}
}

// eachSourceFile parses every non-test Go file of the sibling packages
// pkgs, calls fn with its slash path and syntax tree, and returns how many
// it parsed (callers check the paths were right).
func eachSourceFile(t *testing.T, pkgs []string, fn func(path string, f *ast.File)) int {
	t.Helper()
	files := 0
	for _, pkg := range pkgs {
		paths, err := filepath.Glob(filepath.Join("..", pkg, "*.go"))
		if err != nil {
			t.Fatal(err)
		}
		for _, path := range paths {
			if strings.HasSuffix(path, "_test.go") {
				continue
			}
			f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.SkipObjectResolution)
			if err != nil {
				t.Fatal(err)
			}
			files++
			fn(filepath.ToSlash(path), f)
		}
	}
	return files
}

// zeroFields lists the fields (dotted paths) of v that hold their zero
// value, recursing into structs.
func zeroFields(v reflect.Value, prefix string) []string {
	var out []string
	for i := 0; i < v.NumField(); i++ {
		f, name := v.Field(i), prefix+v.Type().Field(i).Name
		if f.Kind() == reflect.Struct {
			out = append(out, zeroFields(f, name+".")...)
		} else if f.IsZero() {
			out = append(out, name)
		}
	}
	return out
}

// TestClientOptionsFilledByConfig: the Clari client has no defaults, so
// config must set every option it reads. Only what is not configuration,
// or off by config's own default, may stay zero.
func TestClientOptionsFilledByConfig(t *testing.T) {
	c := Default()
	c.Secrets.APIKey = "k"
	allowed := map[string]string{
		"UserAgentVersion":        "the build's version, added by the caller",
		"Instrumentation":         "metrics, added by the caller",
		"HTTPClient":              "transport, added by the caller (tests, the audit)",
		"Logger":                  "added by the caller",
		"Retry.DefaultRetryAfter": "no config key: a 429 without Retry-After waits the backoff",
	}
	for _, f := range zeroFields(reflect.ValueOf(c.ClientOptions()), "") {
		if _, ok := allowed[f]; !ok {
			t.Errorf("clari.Options.%s is zero with config's defaults: config must decide it (defaults.go, ClientOptions)", f)
		}
	}
	if got := c.ClientOptions(); got.APIKey != "k" || got.RequestTimeout <= 0 || got.Pacing.Burst != c.Clari.Pacing.Burst {
		t.Errorf("ClientOptions does not carry the section's values: %v", got)
	}
}

// TestDefaultWarehouseFillsEveryValue: the warehouse package has no
// defaults, so DefaultWarehouse sets every value but those the user must
// choose (driver, DSN) and the switches that are off by default.
func TestDefaultWarehouseFillsEveryValue(t *testing.T) {
	allowed := map[string]string{
		"Driver": "the user's choice", "DSNFile": "the user's choice", "DSNEnv": "the user's choice",
		"DSN":  "the user's choice",
		"Sink": "off by default", "Retention.Enforce": "off by default (report only)",
	}
	for _, f := range zeroFields(reflect.ValueOf(DefaultWarehouse()), "") {
		if _, ok := allowed[f]; !ok {
			t.Errorf("warehouse.%s has no default in config (DefaultWarehouse), and the warehouse package applies none", f)
		}
	}
}
