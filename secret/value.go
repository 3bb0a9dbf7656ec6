package secret

// Value is a string that never prints: logs, errors, config dumps, JSON
// and YAML all see Redacted. Use string(v) only where the value is needed.
type Value string

func (v Value) String() string   { return Redacted }
func (v Value) GoString() string { return Redacted }

// MarshalYAML keeps config dumps clean; an unset secret stays visibly unset.
func (v Value) MarshalYAML() (any, error) {
	if v == "" {
		return "", nil
	}
	return Redacted, nil
}

// MarshalJSON keeps JSON dumps clean.
func (v Value) MarshalJSON() ([]byte, error) {
	if v == "" {
		return []byte(`""`), nil
	}
	return []byte(`"` + Redacted + `"`), nil
}
