package app

import (
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-kit/log"
	"github.com/go-kit/log/level"

	"github.com/clari-exporter/clari_exporter/config"
)

// configState holds the configuration in force and the outcome of the
// last load: clari_exporter_config_last_reload_* read it (it implements
// collector.ReloadStatus). Only the app changes it, after every component
// accepted the new config.
type configState struct {
	path   string // "" for a config built in code (--demo): reload fails
	logger log.Logger

	cur         atomic.Pointer[config.Config]
	mu          sync.Mutex // serialises reloads
	lastOK      atomic.Bool
	lastSuccess atomic.Int64 // unix nanoseconds
}

func newConfigState(path string, cfg *config.Config, logger log.Logger) *configState {
	s := &configState{path: path, logger: logger}
	s.commit(cfg)
	s.logWarnings(cfg)
	return s
}

// Get returns the config in force. Treat it as read-only.
func (s *configState) Get() *config.Config { return s.cur.Load() }

// File is the file of the config in force, without its secrets: for the
// components that never send one (the runner, the pipeline watch, the
// landing page).
func (s *configState) File() *config.File { return &s.cur.Load().File }

func (s *configState) commit(cfg *config.Config) {
	s.cur.Store(cfg)
	s.lastOK.Store(true)
	s.lastSuccess.Store(time.Now().UnixNano())
}

// LastReloadSuccessful reports whether the last load (initial or reload)
// succeeded.
func (s *configState) LastReloadSuccessful() bool { return s.lastOK.Load() }

// LastReloadSuccessTime is when a config was last loaded successfully.
func (s *configState) LastReloadSuccessTime() time.Time { return time.Unix(0, s.lastSuccess.Load()) }

func (s *configState) logWarnings(cfg *config.Config) {
	for _, w := range cfg.Warnings() {
		level.Warn(s.logger).Log("msg", "Configuration warning", "warning", w)
	}
}

// errNoFile is the reload error of a config built in code.
var errNoFile = errors.New("no configuration file to reload (configuration built in code)")
