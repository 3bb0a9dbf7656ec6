package config

import (
	"go/ast"
	"reflect"
	"strings"
	"testing"
)

// The file's schema (File and every type it holds) is what the file says
// and nothing else: every field is a YAML key. A resolved secret or a
// derived value (a `yaml:"-"` field, or an unexported one) belongs in
// Config (Secrets, Source, InlineKeyLine), where a dump of the file never
// sees it and a consumer of a section never carries it.
func TestFileHoldsOnlyTheFile(t *testing.T) {
	seen := map[reflect.Type]bool{}
	var check func(t *testing.T, typ reflect.Type, path string)
	check = func(t *testing.T, typ reflect.Type, path string) {
		for typ.Kind() == reflect.Pointer || typ.Kind() == reflect.Slice || typ.Kind() == reflect.Map {
			typ = typ.Elem()
		}
		if typ.Kind() != reflect.Struct || typ == durationType || seen[typ] {
			return
		}
		seen[typ] = true
		for i := 0; i < typ.NumField(); i++ {
			f := typ.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
			switch {
			case !f.IsExported():
				t.Errorf("%s.%s (%s) is unexported: the file's schema holds only YAML keys; keep resolved or derived values in Config", path, f.Name, typ)
			case name == "-" || name == "":
				t.Errorf("%s.%s (%s) has no YAML key (tag %q): a resolved secret or derived value belongs in config.Resolved (Config.Secrets), not in the file's schema", path, f.Name, typ, f.Tag.Get("yaml"))
			}
			check(t, f.Type, path+"."+name)
		}
	}
	check(t, reflect.TypeOf(File{}), "config")
	if len(seen) < 15 {
		t.Fatalf("walked only %d schema types: the walk is broken", len(seen))
	}

	// Config itself is File plus what loading resolved, nothing else that
	// a YAML key could fill.
	ct := reflect.TypeOf(Config{})
	if f := ct.Field(0); !f.Anonymous || f.Type != reflect.TypeOf(File{}) {
		t.Errorf("config.Config's first field is %s, want the embedded File", f.Name)
	}
}

// secretFree are the packages that never send a secret: they take the
// file (File) or a section, never Config, so they cannot read Secrets.
// The Clari client gets its key in clari.Options, the store and the
// warehouse their DSN next to their section.
var secretFree = []string{"runner", "watch", "landing", "runlog", "collector", "health", "leader", "snapshot", "store", "warehouse"}

// TestSecretFreeConsumersTakeTheFile fails when one of secretFree names
// config.Config or config.Resolved, or reads a field named Secrets.
func TestSecretFreeConsumersTakeTheFile(t *testing.T) {
	files := eachSourceFile(t, secretFree, func(path string, f *ast.File) {
		ast.Inspect(f, func(n ast.Node) bool {
			sel, ok := n.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			if x, ok := sel.X.(*ast.Ident); ok && x.Name == "config" && (sel.Sel.Name == "Config" || sel.Sel.Name == "Resolved") {
				t.Errorf("%s uses config.%s: package %s sends no secret, so it takes config.File (or a section) and never sees Config.Secrets", path, sel.Sel.Name, f.Name.Name)
			}
			if sel.Sel.Name == "Secrets" {
				t.Errorf("%s reads .Secrets: pass the one secret a package sends next to its section instead", path)
			}
			return true
		})
	})
	if files < 3*len(secretFree) {
		t.Fatalf("scanned only %d Go files of %v: the paths are wrong", files, secretFree)
	}
}
