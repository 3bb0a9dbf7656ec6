package dashboards

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/cog/plugins"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/prometheus"
)

const jsonDir = "grafana"

// TestCommittedJSONIsGenerated fails when grafana/*.json differs from what
// the builders produce: run `go generate ./dashboards`.
func TestCommittedJSONIsGenerated(t *testing.T) {
	want, err := Files()
	if err != nil {
		t.Fatal(err)
	}
	if len(want) == 0 {
		t.Fatal("the generator produced no dashboard")
	}
	onDisk, err := filepath.Glob(filepath.Join(jsonDir, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range onDisk {
		if _, ok := want[filepath.Base(path)]; !ok {
			t.Errorf("%s is not produced by the generator; delete it or add a builder", path)
		}
	}
	for name, data := range want {
		got, err := os.ReadFile(filepath.Join(jsonDir, name))
		if err != nil {
			t.Errorf("%v (run go generate ./dashboards)", err)
			continue
		}
		if !bytes.Equal(got, data) {
			t.Errorf("%s/%s differs from the generator's output; run go generate ./dashboards", jsonDir, name)
		}
	}
}

// decodeStrict decodes a committed file with the SDK's strict decoder:
// unknown fields, wrong types and missing required fields fail. Encoding
// the result again must give the same bytes, so nothing in the file is
// outside the SDK's model.
func decodeStrict(t *testing.T, path string) Dashboard {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	d, err := strictDashboard(data)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	again, err := Render(d)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(again, data) {
		t.Errorf("%s: re-encoding the strictly decoded dashboard changes it; the file holds something the SDK does not model", path)
	}
	return d
}

var registerPlugins sync.Once

// strictDashboard validates data with the SDK's strict decoder and returns
// it decoded by the SDK's ordinary decoder. v0.0.22's strict decoder reports
// every error but drops the panels, queries and options it decoded: on
// success their decoders return an empty cog.BuildErrors, a non-nil error
// value, which the level above takes for a failure.
func strictDashboard(data []byte) (Dashboard, error) {
	// Panels and queries decode into their plugin's types only once the
	// SDK's plugin variants are registered.
	registerPlugins.Do(plugins.RegisterDefaultPlugins)
	var strict Dashboard
	if err := strict.UnmarshalJSONStrict(data); err != nil {
		var errs cog.BuildErrors
		if !errors.As(err, &errs) || len(errs) > 0 {
			return strict, err
		}
	}
	var d Dashboard
	err := json.Unmarshal(data, &d)
	return d, err
}

// promQuery is a panel target as the Prometheus query it must be.
func promQuery(target any) (prometheus.Dataquery, bool) {
	switch q := target.(type) {
	case prometheus.Dataquery:
		return q, true
	case *prometheus.Dataquery:
		return *q, true
	}
	return prometheus.Dataquery{}, false
}

// TestStrictDecodingRejectsUnknownFields proves the strict decoding above
// can fail: an unknown field in a panel, in a query or at the top is refused.
func TestStrictDecodingRejectsUnknownFields(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(jsonDir, "clari-api.json"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := strictDashboard(data); err != nil {
		t.Fatalf("the committed file does not decode: %v", err)
	}
	for name, edit := range map[string][2]string{
		"top level": {`"uid": "clari-api"`, `"uid": "clari-api", "bogus": 1`},
		"panel":     {`"type": "stat",`, `"type": "stat", "bogus": 1,`},
		"query":     {`"editorMode": "code",`, `"editorMode": "code", "bogus": 1,`},
		"type":      {`"refresh": "1m"`, `"refresh": 60`},
	} {
		bad := strings.Replace(string(data), edit[0], edit[1], 1)
		if bad == string(data) {
			t.Fatalf("%s: %q not found in clari-api.json", name, edit[0])
		}
		if _, err := strictDashboard([]byte(bad)); err == nil {
			t.Errorf("%s: strict decoding accepted %q", name, edit[1])
		}
	}
}

var (
	variableUse = regexp.MustCompile(`\$\{?([a-zA-Z_][a-zA-Z0-9_]*)\}?`)
	// A dashboard variable must only appear as a regex matcher value, which
	// is what makes "All" (.*) and multi-value selections valid.
	regexUse = regexp.MustCompile(`=~"\$\{?[a-zA-Z_][a-zA-Z0-9_]*\}?"`)
)

// TestDashboardsAreValid decodes every committed file strictly and checks
// what Grafana relies on: uids, the ${datasource} variable, unique panel
// ids, non-overlapping grid positions, queries.
func TestDashboardsAreValid(t *testing.T) {
	paths, _ := filepath.Glob(filepath.Join(jsonDir, "*.json"))
	if len(paths) != len(builders) {
		t.Fatalf("found %d dashboards in %s, want %d", len(paths), jsonDir, len(builders))
	}
	uids := map[string]string{}
	for _, path := range paths {
		d := decodeStrict(t, path)
		uid, title := deref(d.Uid), deref(d.Title)
		if uid == "" || title == "" {
			t.Errorf("%s: uid %q and title %q must be set", path, uid, title)
		}
		if prev, dup := uids[uid]; dup {
			t.Errorf("%s: uid %q already used by %s", path, uid, prev)
		}
		uids[uid] = path
		if want := dashboard.NewDashboard().SchemaVersion; d.SchemaVersion != want {
			t.Errorf("%s: schemaVersion %d, want the SDK's %d", path, d.SchemaVersion, want)
		}
		vars := map[string]dashboard.VariableModel{}
		for _, v := range d.Templating.List {
			vars[v.Name] = v
		}
		if v, ok := vars["datasource"]; !ok || v.Type != "datasource" || v.Query == nil || deref(v.Query.String) != "prometheus" {
			t.Errorf("%s: no datasource variable of type prometheus", path)
		}
		for _, v := range d.Templating.List {
			if v.Type == "query" && (v.Datasource == nil || deref(v.Datasource.Uid) != "${datasource}") {
				t.Errorf("%s: variable %s does not use ${datasource}", path, v.Name)
			}
		}

		ids := map[uint32]bool{}
		occupied := map[[2]uint32]uint32{}
		for _, pr := range d.Panels {
			var (
				id     uint32
				g      *dashboard.GridPos
				ptitle string
			)
			switch {
			case pr.RowPanel != nil:
				id, g, ptitle = pr.RowPanel.Id, pr.RowPanel.GridPos, deref(pr.RowPanel.Title)
			case pr.Panel != nil && pr.Panel.Id != nil:
				id, g, ptitle = *pr.Panel.Id, pr.Panel.GridPos, deref(pr.Panel.Title)
			default:
				t.Errorf("%s: a panel without an id", path)
				continue
			}
			if ids[id] {
				t.Errorf("%s: panel id %d used twice", path, id)
			}
			ids[id] = true
			if g == nil || g.W == 0 || g.H == 0 || g.X+g.W > 24 {
				t.Errorf("%s: panel %q has grid position %+v outside the 24-column grid", path, ptitle, g)
				continue
			}
			for x := g.X; x < g.X+g.W; x++ {
				for y := g.Y; y < g.Y+g.H; y++ {
					if other, ok := occupied[[2]uint32{x, y}]; ok {
						t.Errorf("%s: panel %d overlaps panel %d at (%d,%d)", path, id, other, x, y)
					}
					occupied[[2]uint32{x, y}] = id
				}
			}
			if pr.Panel == nil {
				continue
			}
			p := pr.Panel
			if p.Datasource == nil || deref(p.Datasource.Uid) != "${datasource}" || deref(p.Datasource.Type) != "prometheus" {
				t.Errorf("%s: panel %q does not use the ${datasource} variable", path, ptitle)
			}
			if len(p.Targets) == 0 {
				t.Errorf("%s: panel %q has no queries", path, ptitle)
			}
			refs := map[string]bool{}
			for _, tg := range p.Targets {
				q, ok := promQuery(tg)
				if !ok {
					t.Errorf("%s: panel %q: query %T is not a Prometheus query", path, ptitle, tg)
					continue
				}
				ref := deref(q.RefId)
				if refs[ref] || ref == "" {
					t.Errorf("%s: panel %q: refId %q empty or repeated", path, ptitle, ref)
				}
				refs[ref] = true
				if q.Datasource == nil || deref(q.Datasource.Uid) != "${datasource}" || strings.TrimSpace(q.Expr) == "" {
					t.Errorf("%s: panel %q: query %s has no expr or a fixed datasource", path, ptitle, ref)
				}
				checkVariables(t, path, ptitle, q.Expr, vars)
			}
		}
	}
}

// grafanaBuiltins are the interval variables Grafana defines itself; a
// dashboard uses them without declaring them.
var grafanaBuiltins = map[string]bool{"__rate_interval": true, "__interval": true, "__range": true}

func checkVariables(t *testing.T, path, panel, expr string, vars map[string]dashboard.VariableModel) {
	t.Helper()
	for _, m := range variableUse.FindAllStringSubmatch(expr, -1) {
		name := m[1]
		if grafanaBuiltins[name] {
			continue
		}
		if _, ok := vars[name]; !ok {
			t.Errorf("%s: panel %q uses $%s, which the dashboard does not define", path, panel, name)
		}
	}
	stripped := regexUse.ReplaceAllString(expr, "")
	for _, m := range variableUse.FindAllStringSubmatch(stripped, -1) {
		if !grafanaBuiltins[m[1]] {
			t.Errorf("%s: panel %q uses $%s outside a =~\"...\" matcher", path, panel, m[1])
		}
	}
}
