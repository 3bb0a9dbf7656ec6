package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/clari-exporter/clari_exporter/clari/clarisim"
	"gopkg.in/yaml.v3"
)

// loadScenario decodes a scenario file strictly: unknown keys are errors
// (with their line), so a typo never silently changes nothing.
func loadScenario(path string) (clarisim.Scenario, error) {
	var sc clarisim.Scenario
	b, err := os.ReadFile(path)
	if err != nil {
		return sc, fmt.Errorf("--scenario.file: %w", err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&sc); err != nil && !errors.Is(err, io.EOF) {
		return sc, fmt.Errorf("--scenario.file %s: %w", path, err)
	}
	if err := sc.Validate(); err != nil {
		return sc, fmt.Errorf("--scenario.file %s: %w", path, err)
	}
	return sc, nil
}
