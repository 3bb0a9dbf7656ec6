// Package config is clari_exporter's strict YAML configuration: defaults,
// validation with file:line errors, secret resolution and reload.
package config

// Secret is a string that never prints: logs, errors, config dumps, JSON and
// YAML all see "<secret>". Use string(s) only where the value is needed.
type Secret string

const redacted = "<secret>"

func (s Secret) String() string   { return redacted }
func (s Secret) GoString() string { return redacted }

// MarshalYAML keeps config dumps clean.
func (s Secret) MarshalYAML() (any, error) {
	if s == "" {
		return "", nil
	}
	return redacted, nil
}

// MarshalJSON keeps JSON dumps clean.
func (s Secret) MarshalJSON() ([]byte, error) {
	if s == "" {
		return []byte(`""`), nil
	}
	return []byte(`"` + redacted + `"`), nil
}
