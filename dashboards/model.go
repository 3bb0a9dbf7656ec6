package dashboards

// The types below are the subset of Grafana's dashboard JSON model
// (schemaVersion 39-41, Grafana 11/12) that the shipped dashboards use. The
// tests decode the committed JSON into them with unknown fields disallowed,
// so a hand edit that adds something the generator does not know fails.

// SchemaVersion is the dashboard schema version written into every file.
const SchemaVersion = 39

// Dashboard is one Grafana dashboard.
type Dashboard struct {
	Annotations          Annotations `json:"annotations"`
	Description          string      `json:"description"`
	Editable             bool        `json:"editable"`
	FiscalYearStartMonth int         `json:"fiscalYearStartMonth"`
	GraphTooltip         int         `json:"graphTooltip"`
	ID                   *int        `json:"id"`
	Links                []Link      `json:"links"`
	Panels               []Panel     `json:"panels"`
	Refresh              string      `json:"refresh"`
	SchemaVersion        int         `json:"schemaVersion"`
	Tags                 []string    `json:"tags"`
	Templating           Templating  `json:"templating"`
	Time                 TimeRange   `json:"time"`
	Timepicker           Timepicker  `json:"timepicker"`
	Timezone             string      `json:"timezone"`
	Title                string      `json:"title"`
	UID                  string      `json:"uid"`
	Version              int         `json:"version"`
}

// Annotations holds the dashboard's annotation queries.
type Annotations struct {
	List []Annotation `json:"list"`
}

// Annotation is Grafana's built-in "Annotations & Alerts" query.
type Annotation struct {
	BuiltIn    int           `json:"builtIn"`
	Datasource DatasourceRef `json:"datasource"`
	Enable     bool          `json:"enable"`
	Hide       bool          `json:"hide"`
	IconColor  string        `json:"iconColor"`
	Name       string        `json:"name"`
	Type       string        `json:"type"`
}

// Link is a dashboard link (here: to the other Clari dashboards by tag).
type Link struct {
	AsDropdown  bool     `json:"asDropdown"`
	IncludeVars bool     `json:"includeVars"`
	KeepTime    bool     `json:"keepTime"`
	Tags        []string `json:"tags"`
	Title       string   `json:"title"`
	Type        string   `json:"type"`
}

// DatasourceRef points at a datasource; panels use ${datasource}.
type DatasourceRef struct {
	Type string `json:"type"`
	UID  string `json:"uid"`
}

// TimeRange is the default time range.
type TimeRange struct {
	From string `json:"from"`
	To   string `json:"to"`
}

// Timepicker holds the refresh choices.
type Timepicker struct {
	RefreshIntervals []string `json:"refresh_intervals,omitempty"`
}

// Templating holds the dashboard variables.
type Templating struct {
	List []Variable `json:"list"`
}

// Variable is a dashboard variable: the datasource picker or a
// label_values() query.
type Variable struct {
	AllValue    string         `json:"allValue,omitempty"`
	Current     struct{}       `json:"current"`
	Datasource  *DatasourceRef `json:"datasource,omitempty"`
	Definition  string         `json:"definition,omitempty"`
	Hide        int            `json:"hide"`
	IncludeAll  bool           `json:"includeAll"`
	Label       string         `json:"label"`
	Multi       bool           `json:"multi"`
	Name        string         `json:"name"`
	Options     []struct{}     `json:"options"`
	Query       string         `json:"query"`
	Refresh     int            `json:"refresh"`
	Regex       string         `json:"regex"`
	SkipURLSync bool           `json:"skipUrlSync"`
	Sort        int            `json:"sort"`
	Type        string         `json:"type"`
}

// GridPos places a panel on the 24-column grid.
type GridPos struct {
	H int `json:"h"`
	W int `json:"w"`
	X int `json:"x"`
	Y int `json:"y"`
}

// Panel is a visualisation or a row.
type Panel struct {
	Collapsed   *bool          `json:"collapsed,omitempty"`
	Datasource  *DatasourceRef `json:"datasource,omitempty"`
	Description string         `json:"description,omitempty"`
	FieldConfig *FieldConfig   `json:"fieldConfig,omitempty"`
	GridPos     GridPos        `json:"gridPos"`
	ID          int            `json:"id"`
	Options     *PanelOptions  `json:"options,omitempty"`
	Panels      []Panel        `json:"panels,omitempty"`
	Targets     []Target       `json:"targets,omitempty"`
	Title       string         `json:"title"`
	Type        string         `json:"type"`
}

// Target is one Prometheus query of a panel.
type Target struct {
	Datasource   DatasourceRef `json:"datasource"`
	EditorMode   string        `json:"editorMode"`
	Expr         string        `json:"expr"`
	Format       string        `json:"format,omitempty"`
	Instant      bool          `json:"instant"`
	LegendFormat string        `json:"legendFormat"`
	Range        bool          `json:"range"`
	RefID        string        `json:"refId"`
}

// FieldConfig holds the field defaults (units, thresholds, mappings).
type FieldConfig struct {
	Defaults  FieldDefaults `json:"defaults"`
	Overrides []struct{}    `json:"overrides"`
}

// FieldDefaults are the default field settings of a panel.
type FieldDefaults struct {
	Color      *FieldColor    `json:"color,omitempty"`
	Custom     *FieldCustom   `json:"custom,omitempty"`
	Decimals   *int           `json:"decimals,omitempty"`
	Mappings   []ValueMapping `json:"mappings"`
	Max        *float64       `json:"max,omitempty"`
	Min        *float64       `json:"min,omitempty"`
	Thresholds *Thresholds    `json:"thresholds,omitempty"`
	Unit       string         `json:"unit,omitempty"`
}

// FieldColor selects the colour scheme.
type FieldColor struct {
	Mode string `json:"mode"`
}

// FieldCustom holds the time-series drawing options used here.
type FieldCustom struct {
	DrawStyle       string `json:"drawStyle"`
	FillOpacity     int    `json:"fillOpacity"`
	LineWidth       int    `json:"lineWidth"`
	ShowPoints      string `json:"showPoints"`
	Stacking        Stack  `json:"stacking"`
	ThresholdsStyle Mode   `json:"thresholdsStyle"`
}

// Stack is a time-series stacking mode.
type Stack struct {
	Group string `json:"group"`
	Mode  string `json:"mode"`
}

// Mode is a {"mode": ...} option.
type Mode struct {
	Mode string `json:"mode"`
}

// Thresholds colour values by level.
type Thresholds struct {
	Mode  string          `json:"mode"`
	Steps []ThresholdStep `json:"steps"`
}

// ThresholdStep is one threshold; the base step has a null value.
type ThresholdStep struct {
	Color string   `json:"color"`
	Value *float64 `json:"value"`
}

// ValueMapping maps values to text and colour.
type ValueMapping struct {
	Options map[string]MappingResult `json:"options"`
	Type    string                   `json:"type"`
}

// MappingResult is what a mapped value shows.
type MappingResult struct {
	Color string `json:"color"`
	Index int    `json:"index"`
	Text  string `json:"text"`
}

// PanelOptions is the union of the panel options used by the shipped panel
// types (timeseries, stat, table, state-timeline).
type PanelOptions struct {
	ColorMode     string         `json:"colorMode,omitempty"`
	GraphMode     string         `json:"graphMode,omitempty"`
	JustifyMode   string         `json:"justifyMode,omitempty"`
	Legend        *Legend        `json:"legend,omitempty"`
	MergeValues   *bool          `json:"mergeValues,omitempty"`
	Orientation   string         `json:"orientation,omitempty"`
	ReduceOptions *ReduceOptions `json:"reduceOptions,omitempty"`
	ShowHeader    *bool          `json:"showHeader,omitempty"`
	ShowValue     string         `json:"showValue,omitempty"`
	SortBy        []SortBy       `json:"sortBy,omitempty"`
	TextMode      string         `json:"textMode,omitempty"`
	Tooltip       *Tooltip       `json:"tooltip,omitempty"`
}

// Legend configures a panel legend.
type Legend struct {
	Calcs       []string `json:"calcs"`
	DisplayMode string   `json:"displayMode"`
	Placement   string   `json:"placement"`
	ShowLegend  bool     `json:"showLegend"`
}

// Tooltip configures a panel tooltip.
type Tooltip struct {
	Mode string `json:"mode"`
	Sort string `json:"sort"`
}

// ReduceOptions says how a stat panel reduces a series to one value.
type ReduceOptions struct {
	Calcs  []string `json:"calcs"`
	Fields string   `json:"fields"`
	Values bool     `json:"values"`
}

// SortBy sorts a table.
type SortBy struct {
	Desc        bool   `json:"desc"`
	DisplayName string `json:"displayName"`
}
