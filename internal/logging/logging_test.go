package logging

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/go-kit/log/level"
)

func TestLevelFilterAndFormat(t *testing.T) {
	var buf bytes.Buffer
	logger, err := New(&buf, "warn", "json")
	if err != nil {
		t.Fatal(err)
	}
	level.Info(logger).Log("msg", "hidden")
	level.Warn(logger).Log("msg", "shown")
	Slog(logger).Warn("via slog")
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("got %d lines, want 2 (info filtered out):\n%s", len(lines), buf.String())
	}
	var rec map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &rec); err != nil {
		t.Fatalf("not JSON: %v", err)
	}
	if rec["msg"] != "shown" || rec["level"] != "warn" || rec["ts"] == nil {
		t.Errorf("record = %v", rec)
	}
	if !strings.Contains(lines[1], "via slog") {
		t.Errorf("slog bridge line = %s", lines[1])
	}
}

func TestBadFlagsNameTheFlag(t *testing.T) {
	if _, err := New(&bytes.Buffer{}, "loud", "logfmt"); err == nil || !strings.Contains(err.Error(), "--log.level") {
		t.Errorf("bad level: %v", err)
	}
	if _, err := New(&bytes.Buffer{}, "info", "xml"); err == nil || !strings.Contains(err.Error(), "--log.format") {
		t.Errorf("bad format: %v", err)
	}
}
