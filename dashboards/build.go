package dashboards

//lint:file-ignore SA1019 the v1 dashboard model is what Grafana's file provisioning and the mixin's grafanaDashboards consume; dashboardv2 needs Grafana 12 feature flags.

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/cog/variants"
	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/prometheus"
	"github.com/grafana/grafana-foundation-sdk/go/stat"
	"github.com/grafana/grafana-foundation-sdk/go/statetimeline"
	"github.com/grafana/grafana-foundation-sdk/go/table"
	"github.com/grafana/grafana-foundation-sdk/go/timeseries"
)

// Dashboard is the SDK's v1 dashboard model, in one place: the SDK marks it
// deprecated in favour of dashboardv2, which Grafana's file provisioning and
// the mixin's grafanaDashboards do not take yet.
type Dashboard = dashboard.Dashboard

// datasource is the panel and query datasource: the ${datasource} variable,
// so the dashboards work with any Prometheus, not one fixed uid.
var datasource = common.DataSourceRef{Type: cog.ToPtr("prometheus"), Uid: cog.ToPtr("${datasource}")}

// board lays panels out left to right on Grafana's 24-column grid and
// numbers them, so panel ids are unique and positions never overlap. The
// SDK's own layout only wraps after a line is full; placing every panel
// explicitly also wraps a panel that would not fit.
type board struct {
	b      *dashboard.DashboardBuilder
	nextID uint32
	x, y   uint32
	lineH  uint32
}

func newBoard(uid, title, description string, vars ...cog.Builder[dashboard.VariableModel]) *board {
	b := dashboard.NewDashboardBuilder(title).
		Uid(uid).
		Description(description).
		Readonly().
		Tooltip(dashboard.DashboardCursorSyncCrosshair).
		Tags([]string{"clari", "clari_exporter"}).
		Refresh("1m").
		Time("now-24h", "now").
		Timezone("utc").
		Timepicker(dashboard.NewTimePickerBuilder().RefreshIntervals([]string{"30s", "1m", "5m", "15m", "1h"})).
		Version(1).
		Annotation(dashboard.NewAnnotationQueryBuilder().
			Name("Annotations & Alerts").
			BuiltIn(1).
			Datasource(common.DataSourceRef{Type: cog.ToPtr("grafana"), Uid: cog.ToPtr("-- Grafana --")}).
			Enable(true).
			Hide(true).
			IconColor("rgba(0, 211, 255, 1)").
			Type("dashboard")).
		Link(dashboard.NewDashboardLinkBuilder("Clari dashboards").
			Type(dashboard.DashboardLinkTypeDashboards).
			Tags([]string{"clari"}).
			AsDropdown(true).
			IncludeVars(true).
			KeepTime(true)).
		WithVariable(datasourceVariable())
	for _, v := range vars {
		b.WithVariable(v)
	}
	return &board{b: b, nextID: 1}
}

// row starts a new line with a (non-collapsed) row header.
func (b *board) row(title string) {
	b.newline()
	b.b.WithRow(dashboard.NewRowBuilder(title).
		Id(b.id()).
		GridPos(dashboard.GridPos{H: 1, W: 24, X: 0, Y: b.y}))
	b.y++
}

// add places a panel of width w and height h after the previous one,
// wrapping to a new line when it does not fit.
func (b *board) add(w, h uint32, p cog.Builder[dashboard.Panel]) {
	if b.x+w > 24 {
		b.newline()
	}
	b.b.WithPanel(placed{p: p, id: b.id(), pos: dashboard.GridPos{H: h, W: w, X: b.x, Y: b.y}})
	b.x += w
	b.lineH = max(b.lineH, h)
}

// placed sets the id and grid position of a panel builder's result; the
// SDK's panel builders have no common interface for them.
type placed struct {
	p   cog.Builder[dashboard.Panel]
	id  uint32
	pos dashboard.GridPos
}

func (p placed) Build() (dashboard.Panel, error) {
	panel, err := p.p.Build()
	if err != nil {
		return panel, err
	}
	panel.Id = &p.id
	panel.GridPos = &p.pos
	return panel, nil
}

func (b *board) newline() {
	b.y += b.lineH
	b.x, b.lineH = 0, 0
}

func (b *board) id() uint32 {
	id := b.nextID
	b.nextID++
	return id
}

func (b *board) done() (Dashboard, error) { return b.b.Build() }

// datasourceVariable is the ${datasource} picker (type prometheus).
func datasourceVariable() *dashboard.DatasourceVariableBuilder {
	return dashboard.NewDatasourceVariableBuilder("datasource").
		Label("Data source").
		Type("prometheus")
}

// labelVariable is a multi-value variable filled by label_values(selector,
// label); "All" matches everything (.*), so queries use =~"$name".
func labelVariable(name, label, selector string) *dashboard.QueryVariableBuilder {
	q := fmt.Sprintf("label_values(%s, %s)", selector, name)
	return dashboard.NewQueryVariableBuilder(name).
		Label(label).
		Datasource(datasource).
		Query(dashboard.StringOrMap{String: &q}).
		Definition(q).
		Refresh(dashboard.VariableRefreshOnTimeRangeChanged).
		Sort(dashboard.VariableSortAlphabeticalAsc).
		Multi(true).
		IncludeAll(true).
		AllValue(".*")
}

// rangeQuery is a time-series query; instantQuery a table query.
func rangeQuery(expr, legend string) *prometheus.DataqueryBuilder {
	return prometheus.NewDataqueryBuilder().
		Datasource(datasource).
		EditorMode(prometheus.QueryEditorModeCode).
		Expr(expr).
		LegendFormat(legend).
		Range()
}

func instantQuery(expr, legend string) *prometheus.DataqueryBuilder {
	return prometheus.NewDataqueryBuilder().
		Datasource(datasource).
		EditorMode(prometheus.QueryEditorModeCode).
		Expr(expr).
		Format(prometheus.PromQueryFormatTable).
		LegendFormat(legend).
		Instant()
}

// targets gives the queries of a panel their refIds A, B, ...
func targets(qs []*prometheus.DataqueryBuilder) []cog.Builder[variants.Dataquery] {
	out := make([]cog.Builder[variants.Dataquery], len(qs))
	for i, q := range qs {
		out[i] = q.RefId(string(rune('A' + i)))
	}
	return out
}

// steps builds absolute thresholds: base colour, then (value, colour) pairs.
func steps(base string, pairs ...any) *dashboard.ThresholdsConfigBuilder {
	s := []dashboard.Threshold{{Color: base}}
	for i := 0; i+1 < len(pairs); i += 2 {
		s = append(s, dashboard.Threshold{Value: cog.ToPtr(pairs[i].(float64)), Color: pairs[i+1].(string)})
	}
	return dashboard.NewThresholdsConfigBuilder().Mode(dashboard.ThresholdsModeAbsolute).Steps(s)
}

// mapping maps exact values to text and colour, e.g. 1 → PASS green.
func mapping(pairs ...[3]string) []dashboard.ValueMapping {
	opts := map[string]dashboard.ValueMappingResult{}
	for i, p := range pairs {
		opts[p[0]] = dashboard.ValueMappingResult{Text: cog.ToPtr(p[1]), Color: cog.ToPtr(p[2]), Index: cog.ToPtr(int32(i))}
	}
	return []dashboard.ValueMapping{{ValueMap: &dashboard.ValueMap{Type: dashboard.MappingTypeValueToText, Options: opts}}}
}

// panelSpec is what the panel constructors need besides the queries.
type panelSpec struct {
	title, description, unit string
	thresholds               *dashboard.ThresholdsConfigBuilder
	mappings                 []dashboard.ValueMapping
	min                      *float64
	stacked                  bool
	bars                     bool
}

func (s panelSpec) thresholdsOrGreen() *dashboard.ThresholdsConfigBuilder {
	if s.thresholds == nil {
		return steps("green")
	}
	return s.thresholds
}

func (s panelSpec) mappingsOrEmpty() []dashboard.ValueMapping {
	if s.mappings == nil {
		return []dashboard.ValueMapping{}
	}
	return s.mappings
}

// panelBuilder is the part of the SDK's panel builders (one type per kind,
// no common interface) that every panel here sets alike.
type panelBuilder[B any] interface {
	Title(string) B
	Description(string) B
	Datasource(common.DataSourceRef) B
	Targets([]cog.Builder[variants.Dataquery]) B
	ColorScheme(cog.Builder[dashboard.FieldColor]) B
	Mappings([]dashboard.ValueMapping) B
	Unit(string) B
}

// basePanel sets a panel's title, description, datasource, queries, colour
// mode, value mappings and unit (when set) from s.
func basePanel[B panelBuilder[B]](p B, s panelSpec, color dashboard.FieldColorModeId, qs []*prometheus.DataqueryBuilder) B {
	p.Title(s.title).
		Description(s.description).
		Datasource(datasource).
		Targets(targets(qs)).
		ColorScheme(dashboard.NewFieldColorBuilder().Mode(color)).
		Mappings(s.mappingsOrEmpty())
	if s.unit != "" {
		p.Unit(s.unit)
	}
	return p
}

func timeseriesPanel(s panelSpec, qs ...*prometheus.DataqueryBuilder) *timeseries.PanelBuilder {
	draw, fill := common.GraphDrawStyleLine, 10.0
	if s.bars {
		draw, fill = common.GraphDrawStyleBars, 80
	}
	stack := common.StackingModeNone
	if s.stacked {
		stack = common.StackingModeNormal
	}
	thrStyle := common.GraphThresholdsStyleModeOff
	if s.thresholds != nil {
		thrStyle = common.GraphThresholdsStyleModeLine
	}
	p := basePanel(timeseries.NewPanelBuilder(), s, dashboard.FieldColorModeIdPaletteClassic, qs).
		DrawStyle(draw).
		FillOpacity(fill).
		LineWidth(1).
		ShowPoints(common.VisibilityModeNever).
		Stacking(common.NewStackingConfigBuilder().Group("A").Mode(stack)).
		ThresholdsStyle(common.NewGraphThresholdsStyleConfigBuilder().Mode(thrStyle)).
		Legend(common.NewVizLegendOptionsBuilder().
			Calcs([]string{"lastNotNull", "max"}).
			DisplayMode(common.LegendDisplayModeTable).
			Placement(common.LegendPlacementBottom).
			ShowLegend(true)).
		Tooltip(common.NewVizTooltipOptionsBuilder().Mode(common.TooltipDisplayModeMulti).Sort(common.SortOrderDescending))
	if s.thresholds != nil {
		p.Thresholds(s.thresholds)
	}
	if s.min != nil {
		p.Min(*s.min)
	}
	return p
}

func statPanel(s panelSpec, qs ...*prometheus.DataqueryBuilder) *stat.PanelBuilder {
	p := basePanel(stat.NewPanelBuilder(), s, dashboard.FieldColorModeIdThresholds, qs).
		Thresholds(s.thresholdsOrGreen()).
		ColorMode(common.BigValueColorModeBackground).
		GraphMode(common.BigValueGraphModeNone).
		JustifyMode(common.BigValueJustifyModeAuto).
		Orientation(common.VizOrientationAuto).
		TextMode(common.BigValueTextModeAuto).
		ReduceOptions(common.NewReduceDataOptionsBuilder().Calcs([]string{"lastNotNull"}).Fields("").Values(false))
	if s.min != nil {
		p.Min(*s.min)
	}
	return p
}

// tablePanel sorts descending by the column sortBy when it is not empty.
func tablePanel(s panelSpec, sortBy string, qs ...*prometheus.DataqueryBuilder) *table.PanelBuilder {
	p := basePanel(table.NewPanelBuilder(), s, dashboard.FieldColorModeIdThresholds, qs).
		Thresholds(s.thresholdsOrGreen()).
		ShowHeader(true).
		// The SDK's default footer has a null reducer, which its own
		// strict decoder refuses.
		Footer(common.NewTableFooterOptionsBuilder().Show(false).Reducer([]string{}))
	if sortBy != "" {
		p.SortBy([]cog.Builder[common.TableSortByFieldState]{
			common.NewTableSortByFieldStateBuilder().DisplayName(sortBy).Desc(true),
		})
	}
	return p
}

func stateTimelinePanel(s panelSpec, qs ...*prometheus.DataqueryBuilder) *statetimeline.PanelBuilder {
	return basePanel(statetimeline.NewPanelBuilder(), s, dashboard.FieldColorModeIdThresholds, qs).
		Thresholds(s.thresholdsOrGreen()).
		MergeValues(true).
		ShowValue(common.VisibilityModeAuto).
		Legend(common.NewVizLegendOptionsBuilder().
			Calcs([]string{}).
			DisplayMode(common.LegendDisplayModeList).
			Placement(common.LegendPlacementBottom).
			ShowLegend(true)).
		Tooltip(common.NewVizTooltipOptionsBuilder().Mode(common.TooltipDisplayModeSingle).Sort(common.SortOrderNone))
}

// Render encodes a dashboard as indented JSON with a trailing newline.
// HTML escaping is off so PromQL comparisons stay readable (> not \u003e).
func Render(d Dashboard) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(d); err != nil {
		return nil, fmt.Errorf("render dashboard %s: %w", deref(d.Uid), err)
	}
	return buf.Bytes(), nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// File is one generated dashboard file.
type File struct {
	Name      string // e.g. clari-pipeline.json
	Dashboard Dashboard
}

// builders lists every shipped dashboard with its file name, in a fixed order.
var builders = []struct {
	name  string
	build func() (Dashboard, error)
}{
	{"clari-pipeline.json", pipeline},
	{"clari-forecast.json", forecast},
	{"clari-api.json", api},
	{"clari-warehouse.json", warehouse},
	{"clari-readiness.json", readiness},
}

// All builds every shipped dashboard. An error is a builder's (the SDK
// validates what it builds), so the generator and tests report it.
func All() ([]File, error) {
	out := make([]File, 0, len(builders))
	for _, b := range builders {
		d, err := b.build()
		if err != nil {
			return nil, fmt.Errorf("dashboard %s: %w", b.name, err)
		}
		out = append(out, File{Name: b.name, Dashboard: d})
	}
	return out, nil
}

// Files renders every dashboard: file name → JSON.
func Files() (map[string][]byte, error) {
	all, err := All()
	if err != nil {
		return nil, err
	}
	out := map[string][]byte{}
	for _, f := range all {
		b, err := Render(f.Dashboard)
		if err != nil {
			return nil, err
		}
		out[f.Name] = b
	}
	return out, nil
}

func floatPtr(v float64) *float64 { return &v }
