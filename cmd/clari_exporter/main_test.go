package main

import (
	"os"
	"strings"
	"testing"
)

// TestMain lets tests run the real binary's logic as a subprocess (the kill
// -9 test): with CLARI_EXPORTER_CHILD=1 the test binary acts as
// clari_exporter with the arguments in CLARI_EXPORTER_ARGS (one per line).
func TestMain(m *testing.M) {
	if os.Getenv("CLARI_EXPORTER_CHILD") == "1" {
		os.Exit(run(strings.Split(os.Getenv("CLARI_EXPORTER_ARGS"), "\n")))
	}
	os.Exit(m.Run())
}
