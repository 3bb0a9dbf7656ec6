package archtest

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// TestOneSignalSubscription: the exporter answers SIGTERM, SIGINT and
// SIGHUP in one place, internal/app's Signals; no other package of the
// shipped binary imports os/signal (a second subscription would stop or
// reload a different part of the process than the first).
func TestOneSignalSubscription(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps",
		"-f", "{{.ImportPath}}{{range .Imports}} {{.}}{{end}}", module+"cmd/clari_exporter").Output()
	if err != nil {
		t.Fatalf("go list -deps cmd/clari_exporter: %v", err)
	}
	var subscribers []string
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		pkg, ok := strings.CutPrefix(fields[0], module)
		if ok && slices.Contains(fields[1:], "os/signal") {
			subscribers = append(subscribers, pkg)
		}
	}
	if !slices.Equal(subscribers, []string{"internal/app"}) {
		t.Errorf("packages of clari_exporter importing os/signal: %v, want only internal/app (its Signals)", subscribers)
	}
}
