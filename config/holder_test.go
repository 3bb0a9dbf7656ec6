package config

import (
	"bytes"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-kit/log"
)

func TestHolderReload(t *testing.T) {
	t.Setenv("CLARI_TEST_KEY", testSecret)
	dir := t.TempDir()
	path := filepath.Join(dir, "clari.yml")
	writeFile(t, dir, "clari.yml", base)

	var logBuf bytes.Buffer
	var logMu sync.Mutex
	logger := log.NewLogfmtLogger(log.NewSyncWriter(writerFunc(func(p []byte) (int, error) {
		logMu.Lock()
		defer logMu.Unlock()
		return logBuf.Write(p)
	})))
	h, err := NewHolder(path, logger)
	if err != nil {
		t.Fatal(err)
	}
	first := h.Get()
	if first.Forecasts[0].ID != "net_arr" || !h.LastReloadSuccessful() {
		t.Fatalf("initial load: %+v ok=%v", first.Forecasts, h.LastReloadSuccessful())
	}
	t0 := h.LastReloadSuccessTime()
	if time.Since(t0) > time.Minute || t0.IsZero() {
		t.Errorf("LastReloadSuccessTime = %s", t0)
	}

	var got []*Config
	h.Subscribe(func(c *Config) { got = append(got, c) })

	// A successful reload swaps the config and notifies.
	writeFile(t, dir, "clari.yml", base+"  - id: pipeline\n    historical_quarters: 0\nschedule:\n  monthly_budget: 300\n")
	time.Sleep(2 * time.Millisecond) // let the clock move for the timestamp check
	if err := h.Reload(); err != nil {
		t.Fatalf("Reload: %v", err)
	}
	second := h.Get()
	if len(second.Forecasts) != 2 || second == first {
		t.Errorf("reload not applied: %+v", second.Forecasts)
	}
	if len(got) != 1 || got[0] != second {
		t.Errorf("subscriber calls = %d", len(got))
	}
	t1 := h.LastReloadSuccessTime()
	if !t1.After(t0) || !h.LastReloadSuccessful() {
		t.Errorf("after success: time %s (before %s), ok=%v", t1, t0, h.LastReloadSuccessful())
	}

	// A failed reload keeps the previous config and says so.
	writeFile(t, dir, "clari.yml", base+"bogus: true\n")
	err = h.Reload()
	if err == nil || !strings.Contains(err.Error(), "clari.yml:5: bogus: unknown key") {
		t.Fatalf("Reload of a bad file = %v", err)
	}
	if h.Get() != second {
		t.Error("failed reload replaced the config")
	}
	if h.LastReloadSuccessful() {
		t.Error("LastReloadSuccessful true after a failed reload")
	}
	if !h.LastReloadSuccessTime().Equal(t1) {
		t.Error("failed reload moved LastReloadSuccessTime")
	}
	if len(got) != 1 {
		t.Error("subscriber called for a failed reload")
	}
	logMu.Lock()
	logged := logBuf.String()
	logMu.Unlock()
	if !strings.Contains(logged, "level=error") || !strings.Contains(logged, "keeping the previous configuration") || strings.Contains(logged, testSecret) {
		t.Errorf("log = %s", logged)
	}

	// Warnings are logged on reload, without the secret.
	writeFile(t, dir, "clari.yml", "clari:\n  api_key: "+testSecret+"\nforecasts: [{id: a}]\n")
	if err := h.Reload(); err != nil || !h.LastReloadSuccessful() {
		t.Fatalf("recovery after a failed reload: err=%v ok=%v", err, h.LastReloadSuccessful())
	}
	logMu.Lock()
	logged = logBuf.String()
	logMu.Unlock()
	if !strings.Contains(logged, "level=warn") || !strings.Contains(logged, "clari.yml:2: clari.api_key: the API key is written in the config file") || strings.Contains(logged, testSecret) {
		t.Errorf("log = %s", logged)
	}

	// Fixing the file recovers.
	writeFile(t, dir, "clari.yml", base)
	if err := h.Reload(); err != nil || !h.LastReloadSuccessful() || len(h.Get().Forecasts) != 1 || len(got) != 3 {
		t.Errorf("recovery: err=%v ok=%v", err, h.LastReloadSuccessful())
	}
}

func TestNewHolderFailsOnBadFile(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "clari.yml", "forecasts: []\n")
	if h, err := NewHolder(filepath.Join(dir, "clari.yml"), nil); err == nil || h != nil {
		t.Errorf("NewHolder(bad) = %v, %v", h, err)
	}
}

func TestStaticHolder(t *testing.T) {
	cfg := Default()
	h := NewStaticHolder(cfg, nil)
	if h.Get() != cfg || !h.LastReloadSuccessful() {
		t.Fatal("static holder does not hold cfg")
	}
	if err := h.Reload(); err == nil || h.Get() != cfg || h.LastReloadSuccessful() {
		t.Errorf("Reload without a file: err=%v", err)
	}
}

// Get is safe while reloads run (run with -race).
func TestHolderConcurrentGet(t *testing.T) {
	t.Setenv("CLARI_TEST_KEY", testSecret)
	dir := t.TempDir()
	writeFile(t, dir, "clari.yml", base)
	h, err := NewHolder(filepath.Join(dir, "clari.yml"), nil)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
					if c := h.Get(); c == nil || len(c.Forecasts) != 1 {
						t.Error("Get returned an incomplete config")
						return
					}
					_ = h.LastReloadSuccessful()
				}
			}
		}()
	}
	for range 20 {
		if err := h.Reload(); err != nil {
			t.Error(err)
		}
	}
	close(stop)
	wg.Wait()
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }
