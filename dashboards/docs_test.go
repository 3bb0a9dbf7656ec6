package dashboards

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDashboardsDocumented: docs/dashboards.md names every generated
// dashboard (title and uid) and every panel, so a panel added to a
// dashboard is added to the page that says what each one shows.
func TestDashboardsDocumented(t *testing.T) {
	raw, err := os.ReadFile("../docs/dashboards.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := strings.Join(strings.Fields(string(raw)), " ") // line breaks inside a title
	files, err := filepath.Glob("grafana/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no dashboards in grafana/ (%v)", err)
	}
	type panel struct {
		Title  string  `json:"title"`
		Panels []panel `json:"panels"`
	}
	for _, f := range files {
		var d struct {
			Title  string  `json:"title"`
			UID    string  `json:"uid"`
			Panels []panel `json:"panels"`
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, &d); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if !strings.Contains(doc, "## "+d.Title+" (`"+d.UID+"`)") {
			t.Errorf("docs/dashboards.md has no section \"## %s (`%s`)\"", d.Title, d.UID)
		}
		var walk func([]panel)
		walk = func(ps []panel) {
			for _, p := range ps {
				if !strings.Contains(doc, p.Title) {
					t.Errorf("docs/dashboards.md does not mention panel %q of %s", p.Title, d.Title)
				}
				walk(p.Panels)
			}
		}
		walk(d.Panels)
	}
}
