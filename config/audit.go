package config

import (
	"bytes"
	"fmt"
	"os"

	"gopkg.in/yaml.v3"
)

// LoadForAudit reads and decodes the file at path like Load, but does not
// stop at validation or secret resolution problems: the readiness audit
// (`clari_exporter check`) must report each of them as a FAIL of the check
// it belongs to instead of dying on the first one.
//
// It returns:
//   - err != nil only when the file cannot be read at all (missing,
//     permission denied): a usage error;
//   - cfg == nil with problems when the file is not valid YAML or does not
//     decode into the configuration (syntax errors, unknown keys, bad
//     durations): nothing can be audited;
//   - otherwise the decoded configuration with defaults applied and every
//     secret that could be resolved, plus every validation and resolution
//     problem (each a *FieldError with file:line, secrets scrubbed).
func LoadForAudit(path string) (cfg *Config, problems []*FieldError, err error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("config: %w", err)
	}
	root, errs := parseDocument(data, path)
	if len(errs) > 0 {
		return nil, located(errs, path, nil), nil
	}
	pos, inline, errs := walkPositions(root)
	if len(errs) > 0 {
		errs.locate(path, pos)
		errs.scrub(inline)
		return nil, errs, nil
	}
	cfg = Default()
	if root != nil {
		dec := yaml.NewDecoder(bytes.NewReader(data))
		dec.KnownFields(true)
		cfg = &Config{}
		if err := dec.Decode(&cfg.File); err != nil {
			errs := decodeError(err, path)
			errs.scrub(inline)
			return nil, errs, nil
		}
	}
	cfg.Source = path
	if cfg.Clari.APIKey != "" {
		cfg.InlineKeyLine = pos.lineOf("clari.api_key")
	}
	errs = cfg.validate()
	errs = append(errs, cfg.resolve()...)
	errs.locate(path, pos)
	errs.scrub(append(inline, cfg.secrets()...))
	return cfg, errs, nil
}

func located(errs fieldErrors, source string, pos positions) []*FieldError {
	errs.locate(source, pos)
	return errs
}

// IsResolveProblem reports whether p is about reading a secret (a missing
// key file, an unset environment variable) rather than about a value in the
// file: the audit reports those under the secret's own check.
func (p *FieldError) IsResolveProblem() bool {
	switch p.Path {
	case "clari.api_key_file", "clari.api_key_env", "warehouse.dsn_file", "warehouse.dsn_env":
		return true
	}
	return false
}
