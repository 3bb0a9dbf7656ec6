package config

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-kit/log"
	"github.com/go-kit/log/level"
)

// Holder owns the current configuration and reloads it from its file
// (SIGHUP, POST /-/reload). A failed reload keeps the previous config, so a
// typo never takes the exporter down; the outcome is visible through
// LastReloadSuccessful and LastReloadSuccessTime (exported as
// clari_exporter_config_last_reload_* by the collector).
type Holder struct {
	path   string
	logger log.Logger

	cur atomic.Pointer[Config]

	mu          sync.Mutex // serialises reloads and guards subscribers
	subscribers []func(*Config)

	lastOK      atomic.Bool
	lastSuccess atomic.Int64 // unix nanoseconds
}

// NewHolder loads the file at path; it fails when the first load does.
// logger may be nil. Each of the config's Warnings (e.g. an inline API key,
// with its line) is logged at warn level, here and after every reload.
func NewHolder(path string, logger log.Logger) (*Holder, error) {
	if logger == nil {
		logger = log.NewNopLogger()
	}
	cfg, err := Load(path)
	if err != nil {
		return nil, err
	}
	h := &Holder{path: path, logger: logger}
	h.set(cfg)
	h.logWarnings(cfg)
	return h, nil
}

// NewStaticHolder holds cfg (built in code, e.g. --demo). Reload on it
// fails, keeping cfg, because there is no file to read.
func NewStaticHolder(cfg *Config, logger log.Logger) *Holder {
	if logger == nil {
		logger = log.NewNopLogger()
	}
	h := &Holder{logger: logger}
	h.set(cfg)
	return h
}

func (h *Holder) set(cfg *Config) {
	h.cur.Store(cfg)
	h.lastOK.Store(true)
	h.lastSuccess.Store(time.Now().UnixNano())
}

// Get returns the current configuration. Treat it as read-only: it is
// shared by every goroutine until the next reload replaces it.
func (h *Holder) Get() *Config { return h.cur.Load() }

// Path is the file the holder loads.
func (h *Holder) Path() string { return h.path }

// Reload reads the file again. On success the new config replaces the old
// one and every subscriber is called with it, in subscription order. On
// failure the old config stays in force and the error is returned (and
// logged).
func (h *Holder) Reload() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.path == "" {
		err := &FieldError{Msg: "no configuration file to reload (configuration built in code)"}
		h.lastOK.Store(false)
		return err
	}
	cfg, err := Load(h.path)
	if err != nil {
		h.lastOK.Store(false)
		level.Error(h.logger).Log("msg", "Configuration reload failed, keeping the previous configuration", "file", h.path, "err", err)
		return err
	}
	h.set(cfg)
	level.Info(h.logger).Log("msg", "Configuration reloaded", "file", h.path)
	h.logWarnings(cfg)
	for _, fn := range h.subscribers {
		fn(cfg)
	}
	return nil
}

// LastReloadSuccessful reports whether the last load (initial or reload)
// succeeded.
func (h *Holder) LastReloadSuccessful() bool { return h.lastOK.Load() }

// LastReloadSuccessTime is when a configuration was last loaded
// successfully (the initial load counts).
func (h *Holder) LastReloadSuccessTime() time.Time { return time.Unix(0, h.lastSuccess.Load()) }

// Subscribe registers fn to be called with the new config after each
// successful reload (not for the initial load). fn runs on the reloading
// goroutine while reloads are serialised: keep it quick and do not call
// Reload or Subscribe from it.
func (h *Holder) Subscribe(fn func(*Config)) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.subscribers = append(h.subscribers, fn)
}

func (h *Holder) logWarnings(cfg *Config) {
	for _, w := range cfg.Warnings() {
		level.Warn(h.logger).Log("msg", "Configuration warning", "warning", w)
	}
}
