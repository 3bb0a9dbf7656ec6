package config

import (
	"time"

	"github.com/prometheus/common/model"

	"github.com/clari-exporter/clari_exporter/clari"
)

// Default values. They are applied section by section while decoding, so a
// file only needs to say what differs (see the UnmarshalYAML hooks below).
const (
	DefaultStoragePath    = "./data/clari_exporter.db"
	DefaultWarehouseTable = "clari_forecast_entries"
)

// DefaultTypesToExport is what Clari exports when typesToExport is omitted.
var DefaultTypesToExport = []string{clari.DataForecast, clari.DataForecastUpdated}

func dur(d time.Duration) model.Duration { return model.Duration(d) }

const day = 24 * time.Hour

// Default returns a configuration with every default applied and no
// forecasts and no API key source. It does not validate: callers building a
// config in code (--demo) add forecasts and a key, then call Validate.
func Default() *Config { return &Config{File: defaultFile()} }

// defaultFile is the file's schema with every section's defaults.
func defaultFile() File {
	return File{
		Clari:    defaultClari(),
		Schedule: defaultSchedule(),
		Swing:    defaultSwing(),
		Storage:  defaultStorage(),
		HA:       defaultHA(),
		Metrics:  defaultMetrics(),
		Watch:    defaultWatch(),
	}
}

func defaultClari() Clari {
	return Clari{
		BaseURL:        clari.ProductionBaseURL,
		RotationPolicy: dur(90 * day),
		RequestTimeout: dur(30 * time.Second),
		ProbeInterval:  dur(60 * time.Second),
		PollInterval:   dur(15 * time.Second),
		PollTimeout:    dur(10 * time.Minute),
		MaxRequeues:    1,
		// A job shows in Clari's list seconds after Clari made it.
		CreateSearchMargin: dur(30 * time.Second),
		Retry:              defaultRetry(),
		Breaker:            defaultBreaker(),
		Pacing:             Pacing{RequestsPerSecond: 5, Burst: 5},
	}
}

func defaultRetry() Retry {
	return Retry{
		Enabled:         true,
		InitialInterval: dur(time.Second),
		MaxInterval:     dur(30 * time.Second),
		MaxElapsedTime:  dur(2 * time.Minute),
	}
}

func defaultBreaker() Breaker {
	return Breaker{Enabled: true, ConsecutiveFailures: 5, OpenTimeout: dur(60 * time.Second)}
}

// defaultFiscalCalendar is what a fiscal_calendar section says when it
// leaves year_label out. Without the section there is no default: the
// calendar is learned from Clari (the zero FiscalCalendar).
func defaultFiscalCalendar() FiscalCalendar {
	return FiscalCalendar{YearLabel: YearLabelEnd}
}

func defaultSchedule() Schedule {
	return Schedule{
		CurrentInterval:    dur(6 * time.Hour),
		HistoricalInterval: dur(7 * day),
		QuotaReserve:       100,
		MonthlyBudget:      200,
		Enabled:            true,
	}
}

func defaultSwing() Swing {
	return Swing{Threshold: 0.20, MinBaseline: 1000, MinAbsChange: 0, MinHistory: 2}
}

// DefaultForecast returns a forecast tab with every default applied.
func DefaultForecast(id string) Forecast {
	return Forecast{
		ID:                 id,
		TypesToExport:      append([]string(nil), DefaultTypesToExport...),
		HistoricalQuarters: 4,
		ExportFormat:       string(clari.FormatJSON),
	}
}

// DefaultWarehouse returns a warehouse section with every default applied
// and no driver or DSN.
func DefaultWarehouse() Warehouse {
	return Warehouse{
		Table: DefaultWarehouseTable,
		Columns: WarehouseColumns{
			Forecast:  "forecast_id",
			Period:    "time_period_id",
			TimeFrame: "time_frame_id",
			User:      "user_id",
			Field:     "field_id",
			DataType:  "data_type",
			Value:     "value",
			UpdatedOn: "updated_on",
			LoadedAt:  "loaded_at",
			Currency:  "currency",
			Document:  "document",
		},
		CheckInterval:    dur(day),
		StatementTimeout: dur(30 * time.Second),
		MaxLoadAge:       dur(2 * day),
		SinkBatchSize:    5000,
		Retention:        Retention{Quarters: 8},
		Grain:            GrainRow,
	}
}

// The hooks below are func-style on purpose: yaml.v3 passes its own decoder
// (with KnownFields) to them, while the node-style hook decodes with a fresh,
// lenient decoder and would silently accept unknown keys. Each hook fills in
// the section's defaults, then decodes over them through a method-less alias
// type (which would otherwise recurse). The alias names start with "plain";
// decode.go maps them back to the real type names in error messages.

// UnmarshalYAML applies every default before decoding. The alias is
// named plainConfig so that errors speak of config.Config, the name users
// know, rather than of File.
func (f *File) UnmarshalYAML(unmarshal func(any) error) error {
	*f = defaultFile()
	type plainConfig File
	return unmarshal((*plainConfig)(f))
}

// UnmarshalYAML applies the section's defaults before decoding.
func (c *Clari) UnmarshalYAML(unmarshal func(any) error) error {
	*c = defaultClari()
	type plainClari Clari
	return unmarshal((*plainClari)(c))
}

// UnmarshalYAML applies the section's defaults before decoding.
func (r *Retry) UnmarshalYAML(unmarshal func(any) error) error {
	*r = defaultRetry()
	type plainRetry Retry
	return unmarshal((*plainRetry)(r))
}

// UnmarshalYAML applies the section's defaults before decoding.
func (b *Breaker) UnmarshalYAML(unmarshal func(any) error) error {
	*b = defaultBreaker()
	type plainBreaker Breaker
	return unmarshal((*plainBreaker)(b))
}

// UnmarshalYAML applies the section's defaults before decoding.
func (p *Pacing) UnmarshalYAML(unmarshal func(any) error) error {
	*p = defaultClari().Pacing
	type plainPacing Pacing
	return unmarshal((*plainPacing)(p))
}

// UnmarshalYAML applies the section's defaults before decoding.
func (fc *FiscalCalendar) UnmarshalYAML(unmarshal func(any) error) error {
	*fc = defaultFiscalCalendar()
	type plainFiscalCalendar FiscalCalendar
	return unmarshal((*plainFiscalCalendar)(fc))
}

// UnmarshalYAML applies a forecast's defaults (types, 4 historical
// quarters, JSON) before decoding; the id has no default.
func (f *Forecast) UnmarshalYAML(unmarshal func(any) error) error {
	*f = DefaultForecast("")
	type plainForecast Forecast
	return unmarshal((*plainForecast)(f))
}

// UnmarshalYAML applies the section's defaults before decoding.
func (s *Schedule) UnmarshalYAML(unmarshal func(any) error) error {
	*s = defaultSchedule()
	type plainSchedule Schedule
	return unmarshal((*plainSchedule)(s))
}

// UnmarshalYAML applies the section's defaults before decoding.
func (s *Swing) UnmarshalYAML(unmarshal func(any) error) error {
	*s = defaultSwing()
	type plainSwing Swing
	return unmarshal((*plainSwing)(s))
}

// defaultMetrics: forecast totals are revenue data, so they are off until
// the operator turns them on (and, as the audit's metrics_protected check
// asks, protects /metrics with TLS or basic auth). An export that comes
// back empty is a failure: an empty board report is the failure this
// exporter exists to catch.
func defaultMetrics() Metrics {
	return Metrics{ExposeForecastValues: false, EmptyExportIsFailure: true}
}

// UnmarshalYAML applies the section's defaults before decoding.
func (m *Metrics) UnmarshalYAML(unmarshal func(any) error) error {
	*m = defaultMetrics()
	type plainMetrics Metrics
	return unmarshal((*plainMetrics)(m))
}

// UnmarshalYAML applies the section's defaults before decoding.
func (w *Warehouse) UnmarshalYAML(unmarshal func(any) error) error {
	*w = DefaultWarehouse()
	type plainWarehouse Warehouse
	return unmarshal((*plainWarehouse)(w))
}

// UnmarshalYAML applies the section's defaults before decoding.
func (c *WarehouseColumns) UnmarshalYAML(unmarshal func(any) error) error {
	*c = DefaultWarehouse().Columns
	type plainWarehouseColumns WarehouseColumns
	return unmarshal((*plainWarehouseColumns)(c))
}

// UnmarshalYAML applies the section's defaults before decoding.
func (r *Retention) UnmarshalYAML(unmarshal func(any) error) error {
	*r = DefaultWarehouse().Retention
	type plainRetention Retention
	return unmarshal((*plainRetention)(r))
}
