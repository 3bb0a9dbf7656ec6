package collector

import (
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	versioncollector "github.com/prometheus/client_golang/prometheus/collectors/version"
)

// ReloadStatus reports the outcome of config loads; cmd implements it.
type ReloadStatus interface {
	// LastReloadSuccessful is false when the latest load or reload failed
	// (the previous config stays in force).
	LastReloadSuccessful() bool
	// LastReloadSuccessTime is when a config was last loaded successfully;
	// zero if never.
	LastReloadSuccessTime() time.Time
}

// ExporterOptions are the sources of the exporter's own metrics. Nil fields
// leave their metrics out.
type ExporterOptions struct {
	Reload ReloadStatus
	// KeyRotationTime returns when the API key was last rotated, in unix
	// seconds (config clari.rotated_at or the key file's mtime); 0 when
	// unknown, which leaves clari_api_key_rotation_timestamp_seconds out.
	KeyRotationTime func() float64
	// KeyRotationDue returns when the key is due for rotation (rotation
	// time + clari.rotation_policy), in unix seconds; 0 when unknown,
	// which leaves clari_api_key_rotation_due_timestamp_seconds out.
	KeyRotationDue func() float64
}

// ExporterCollector exposes build info, config reload status, leadership and
// the API key's rotation time.
type ExporterCollector struct {
	opts      ExporterOptions
	leader    atomic.Bool
	buildInfo prometheus.Collector // client_golang's clari_exporter_build_info

	reloadOK, reloadTime, leaderDesc, keyRotation, keyRotationDue *prometheus.Desc
}

// NewExporterCollector returns the collector; leadership starts false.
// Build info is read from prometheus/common/version when it is called
// (ldflags, else the Go build info: see cmd/clari_exporter).
func NewExporterCollector(opts ExporterOptions) *ExporterCollector {
	return &ExporterCollector{
		opts:      opts,
		buildInfo: versioncollector.NewCollector("clari_exporter"),
		reloadOK: prometheus.NewDesc("clari_exporter_config_last_reload_successful",
			"1 if the last configuration load or reload succeeded, 0 if it failed (the previous configuration stays in force).",
			nil, nil),
		reloadTime: prometheus.NewDesc("clari_exporter_config_last_reload_success_timestamp_seconds",
			"When the configuration was last loaded successfully, in unix seconds.",
			nil, nil),
		leaderDesc: prometheus.NewDesc("clari_exporter_leader",
			"1 where this replica holds the leader lease and runs exports, the pipeline watch and warehouse checks (always on SQLite), 0 on a follower, which serves the shared state.",
			nil, nil),
		keyRotation: prometheus.NewDesc("clari_api_key_rotation_timestamp_seconds",
			"When the Clari API key was last rotated, in unix seconds (config clari.rotated_at, else the key file's modification time).",
			nil, nil),
		keyRotationDue: prometheus.NewDesc("clari_api_key_rotation_due_timestamp_seconds",
			"When the Clari API key is due for rotation, in unix seconds: its rotation time plus clari.rotation_policy.",
			nil, nil),
	}
}

// SetLeader records whether this replica runs exports.
func (c *ExporterCollector) SetLeader(leader bool) { c.leader.Store(leader) }

// Describe implements prometheus.Collector.
func (c *ExporterCollector) Describe(ch chan<- *prometheus.Desc) {
	c.buildInfo.Describe(ch)
	ch <- c.reloadOK
	ch <- c.reloadTime
	ch <- c.leaderDesc
	ch <- c.keyRotation
	ch <- c.keyRotationDue
}

// Collect implements prometheus.Collector.
func (c *ExporterCollector) Collect(ch chan<- prometheus.Metric) {
	c.buildInfo.Collect(ch)
	sendConst(ch, c.leaderDesc, prometheus.GaugeValue, boolFloat(c.leader.Load()))
	if c.opts.Reload != nil {
		sendConst(ch, c.reloadOK, prometheus.GaugeValue, boolFloat(c.opts.Reload.LastReloadSuccessful()))
		if t := c.opts.Reload.LastReloadSuccessTime(); !t.IsZero() {
			sendConst(ch, c.reloadTime, prometheus.GaugeValue, unixSeconds(t))
		}
	}
	if c.opts.KeyRotationTime != nil {
		if ts := c.opts.KeyRotationTime(); ts > 0 {
			sendConst(ch, c.keyRotation, prometheus.GaugeValue, ts)
		}
	}
	if c.opts.KeyRotationDue != nil {
		if ts := c.opts.KeyRotationDue(); ts > 0 {
			sendConst(ch, c.keyRotationDue, prometheus.GaugeValue, ts)
		}
	}
}
