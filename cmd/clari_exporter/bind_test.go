package main

import (
	"bytes"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestPortInUseIsTheOnlyError: when --web.listen-address is taken, the
// exporter exits 1 having printed one error, naming the address, the flag
// and the fix, and nothing else at warn or error (before, the bind failure
// came last, after every component it cancelled had logged its own
// "context canceled" error). Nothing was started: no state file exists.
func TestPortInUseIsTheOnlyError(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	addr := taken.Addr().String()
	cfg := writeConfig(t, validConfig)
	state := filepath.Join(t.TempDir(), "state.db")

	var stderr bytes.Buffer
	code := runApp([]string{"--config.file=" + cfg, "--storage.path=" + state, "--web.listen-address=" + addr}, &stderr, func(int) {})
	out := stderr.String()
	if code != 1 {
		t.Fatalf("exit %d, want 1:\n%s", code, out)
	}
	var problems []string
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if strings.Contains(line, "level=error") || strings.Contains(line, "level=warn") {
			problems = append(problems, line)
		}
	}
	if len(problems) != 1 {
		t.Fatalf("%d warn/error lines, want exactly the bind failure:\n%s", len(problems), out)
	}
	for _, want := range []string{"cannot listen on " + addr, "--web.listen-address", "already in use", "choose a free port"} {
		if !strings.Contains(problems[0], want) {
			t.Errorf("the error lacks %q: %s", want, problems[0])
		}
	}
	if strings.Contains(out, "context canceled") {
		t.Errorf("components were started and cancelled:\n%s", out)
	}
	if _, err := os.Stat(state); err == nil {
		t.Errorf("the state file %s was created: the exporter started before binding", state)
	}
}
