// Package config is clari_exporter's strict YAML configuration: defaults,
// validation with file:line errors, secret resolution and reload.
package config

import "github.com/clari-exporter/clari_exporter/secret"

// Secret is a string that never prints (package secret): logs, errors,
// config dumps, JSON and YAML all see secret.Redacted. Use string(s) only
// where the value is needed.
type Secret = secret.Value
