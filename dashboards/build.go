package dashboards

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// datasource is the panel and query datasource: the ${datasource} variable,
// so the dashboards work with any Prometheus, not one fixed uid.
var datasource = DatasourceRef{Type: "prometheus", UID: "${datasource}"}

// board lays panels out left to right on Grafana's 24-column grid and
// numbers them, so panel ids are unique and positions never overlap.
type board struct {
	d      Dashboard
	nextID int
	x, y   int
	lineH  int
}

func newBoard(uid, title, description string, vars ...Variable) *board {
	return &board{d: Dashboard{
		Annotations: Annotations{List: []Annotation{{
			BuiltIn:    1,
			Datasource: DatasourceRef{Type: "grafana", UID: "-- Grafana --"},
			Enable:     true,
			Hide:       true,
			IconColor:  "rgba(0, 211, 255, 1)",
			Name:       "Annotations & Alerts",
			Type:       "dashboard",
		}}},
		Description:  description,
		Editable:     false,
		GraphTooltip: 1,
		Links: []Link{{
			AsDropdown: true, IncludeVars: true, KeepTime: true,
			Tags: []string{"clari"}, Title: "Clari dashboards", Type: "dashboards",
		}},
		Panels:        []Panel{},
		Refresh:       "1m",
		SchemaVersion: SchemaVersion,
		Tags:          []string{"clari", "clari_exporter"},
		Templating:    Templating{List: append([]Variable{datasourceVariable()}, vars...)},
		Time:          TimeRange{From: "now-24h", To: "now"},
		Timepicker:    Timepicker{RefreshIntervals: []string{"30s", "1m", "5m", "15m", "1h"}},
		Timezone:      "utc",
		Title:         title,
		UID:           uid,
		Version:       1,
	}, nextID: 1}
}

// row starts a new line with a (non-collapsible) row header.
func (b *board) row(title string) {
	b.newline()
	collapsed := false
	b.d.Panels = append(b.d.Panels, Panel{
		Collapsed: &collapsed,
		GridPos:   GridPos{H: 1, W: 24, X: 0, Y: b.y},
		ID:        b.id(),
		Title:     title,
		Type:      "row",
	})
	b.y++
}

// add places a panel of width w and height h after the previous one,
// wrapping to a new line when it does not fit.
func (b *board) add(w, h int, p Panel) {
	if b.x+w > 24 {
		b.newline()
	}
	p.GridPos = GridPos{H: h, W: w, X: b.x, Y: b.y}
	p.ID = b.id()
	b.d.Panels = append(b.d.Panels, p)
	b.x += w
	b.lineH = max(b.lineH, h)
}

func (b *board) newline() {
	b.y += b.lineH
	b.x, b.lineH = 0, 0
}

func (b *board) id() int {
	id := b.nextID
	b.nextID++
	return id
}

func (b *board) done() Dashboard { return b.d }

// datasourceVariable is the ${datasource} picker (type prometheus).
func datasourceVariable() Variable {
	return Variable{
		Label:   "Data source",
		Name:    "datasource",
		Options: []struct{}{},
		Query:   "prometheus",
		Refresh: 1,
		Type:    "datasource",
	}
}

// labelVariable is a multi-value variable filled by label_values(selector,
// label); "All" matches everything (.*), so queries use =~"$name".
func labelVariable(name, label, selector string) Variable {
	q := fmt.Sprintf("label_values(%s, %s)", selector, name)
	ds := datasource
	return Variable{
		AllValue:   ".*",
		Datasource: &ds,
		Definition: q,
		IncludeAll: true,
		Label:      label,
		Multi:      true,
		Name:       name,
		Options:    []struct{}{},
		Query:      q,
		Refresh:    2,
		Sort:       1,
		Type:       "query",
	}
}

// rangeQuery is a time-series query; instantQuery a table query.
func rangeQuery(expr, legend string) Target {
	return Target{Datasource: datasource, EditorMode: "code", Expr: expr, LegendFormat: legend, Range: true}
}

func instantQuery(expr, legend string) Target {
	return Target{Datasource: datasource, EditorMode: "code", Expr: expr, Format: "table", Instant: true, LegendFormat: legend}
}

func withRefIDs(ts []Target) []Target {
	for i := range ts {
		ts[i].RefID = string(rune('A' + i))
	}
	return ts
}

func float(v float64) *float64 { return &v }

// steps builds absolute thresholds: base colour, then (value, colour) pairs.
func steps(base string, pairs ...any) *Thresholds {
	t := &Thresholds{Mode: "absolute", Steps: []ThresholdStep{{Color: base}}}
	for i := 0; i+1 < len(pairs); i += 2 {
		t.Steps = append(t.Steps, ThresholdStep{Value: float(pairs[i].(float64)), Color: pairs[i+1].(string)})
	}
	return t
}

// mapping maps exact values to text and colour, e.g. 1 → PASS green.
func mapping(pairs ...[3]string) []ValueMapping {
	opts := map[string]MappingResult{}
	for i, p := range pairs {
		opts[p[0]] = MappingResult{Text: p[1], Color: p[2], Index: i}
	}
	return []ValueMapping{{Type: "value", Options: opts}}
}

// panelSpec is what the panel constructors need besides the queries.
type panelSpec struct {
	title, description, unit string
	thresholds               *Thresholds
	mappings                 []ValueMapping
	min                      *float64
	stacked                  bool
	bars                     bool
}

func timeseries(s panelSpec, targets ...Target) Panel {
	draw, fill := "line", 10
	if s.bars {
		draw, fill = "bars", 80
	}
	stack := "none"
	if s.stacked {
		stack = "normal"
	}
	thrStyle := "off"
	if s.thresholds != nil {
		thrStyle = "line"
	}
	return Panel{
		Datasource:  &datasource,
		Description: s.description,
		FieldConfig: &FieldConfig{
			Defaults: FieldDefaults{
				Color: &FieldColor{Mode: "palette-classic"},
				Custom: &FieldCustom{
					DrawStyle: draw, FillOpacity: fill, LineWidth: 1, ShowPoints: "never",
					Stacking: Stack{Group: "A", Mode: stack}, ThresholdsStyle: Mode{Mode: thrStyle},
				},
				Mappings:   orEmpty(s.mappings),
				Min:        s.min,
				Thresholds: s.thresholds,
				Unit:       s.unit,
			},
			Overrides: []struct{}{},
		},
		Options: &PanelOptions{
			Legend:  &Legend{Calcs: []string{"lastNotNull", "max"}, DisplayMode: "table", Placement: "bottom", ShowLegend: true},
			Tooltip: &Tooltip{Mode: "multi", Sort: "desc"},
		},
		Targets: withRefIDs(targets),
		Title:   s.title,
		Type:    "timeseries",
	}
}

func stat(s panelSpec, targets ...Target) Panel {
	th := s.thresholds
	if th == nil {
		th = steps("green")
	}
	return Panel{
		Datasource:  &datasource,
		Description: s.description,
		FieldConfig: &FieldConfig{
			Defaults: FieldDefaults{
				Color:      &FieldColor{Mode: "thresholds"},
				Mappings:   orEmpty(s.mappings),
				Min:        s.min,
				Thresholds: th,
				Unit:       s.unit,
			},
			Overrides: []struct{}{},
		},
		Options: &PanelOptions{
			ColorMode:     "background",
			GraphMode:     "none",
			JustifyMode:   "auto",
			Orientation:   "auto",
			ReduceOptions: &ReduceOptions{Calcs: []string{"lastNotNull"}, Fields: "", Values: false},
			TextMode:      "auto",
		},
		Targets: withRefIDs(targets),
		Title:   s.title,
		Type:    "stat",
	}
}

// thresholdColored is the field config of panels coloured by thresholds
// (tables, state timelines): the spec's unit, mappings and thresholds.
func thresholdColored(s panelSpec) *FieldConfig {
	return &FieldConfig{
		Defaults: FieldDefaults{
			Color:      &FieldColor{Mode: "thresholds"},
			Mappings:   orEmpty(s.mappings),
			Thresholds: orDefault(s.thresholds),
			Unit:       s.unit,
		},
		Overrides: []struct{}{},
	}
}

func table(s panelSpec, sortBy string, targets ...Target) Panel {
	show := true
	var sort []SortBy
	if sortBy != "" {
		sort = []SortBy{{Desc: true, DisplayName: sortBy}}
	}
	return Panel{
		Datasource:  &datasource,
		Description: s.description,
		FieldConfig: thresholdColored(s),
		Options:     &PanelOptions{ShowHeader: &show, SortBy: sort},
		Targets:     withRefIDs(targets),
		Title:       s.title,
		Type:        "table",
	}
}

func stateTimeline(s panelSpec, targets ...Target) Panel {
	merge := true
	return Panel{
		Datasource:  &datasource,
		Description: s.description,
		FieldConfig: thresholdColored(s),
		Options: &PanelOptions{
			Legend:      &Legend{Calcs: []string{}, DisplayMode: "list", Placement: "bottom", ShowLegend: true},
			MergeValues: &merge,
			ShowValue:   "auto",
			Tooltip:     &Tooltip{Mode: "single", Sort: "none"},
		},
		Targets: withRefIDs(targets),
		Title:   s.title,
		Type:    "state-timeline",
	}
}

func orEmpty(m []ValueMapping) []ValueMapping {
	if m == nil {
		return []ValueMapping{}
	}
	return m
}

func orDefault(t *Thresholds) *Thresholds {
	if t == nil {
		return steps("green")
	}
	return t
}

// Render encodes a dashboard as indented JSON with a trailing newline.
// HTML escaping is off so PromQL comparisons stay readable (> not \u003e).
func Render(d Dashboard) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(d); err != nil {
		return nil, fmt.Errorf("render dashboard %s: %w", d.UID, err)
	}
	return buf.Bytes(), nil
}

// File is one generated dashboard file.
type File struct {
	Name      string // e.g. clari-pipeline.json
	Dashboard Dashboard
}

// All returns every shipped dashboard with its file name, in a fixed order.
func All() []File {
	return []File{
		{"clari-pipeline.json", pipeline()},
		{"clari-forecast.json", forecast()},
		{"clari-api.json", api()},
		{"clari-warehouse.json", warehouse()},
		{"clari-readiness.json", readiness()},
	}
}

// Files renders every dashboard: file name → JSON.
func Files() (map[string][]byte, error) {
	out := map[string][]byte{}
	for _, f := range All() {
		b, err := Render(f.Dashboard)
		if err != nil {
			return nil, err
		}
		out[f.Name] = b
	}
	return out, nil
}
