package config

import (
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
