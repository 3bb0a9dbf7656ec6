package config

import (
	"fmt"
	"os"
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
	cfg, pos, inline, errs := decodeFile(data, path)
	if len(errs) > 0 {
		errs.locate(path, pos)
		errs.scrub(nil, inline)
		return nil, errs, nil
	}
	errs = cfg.validate()
	errs = append(errs, cfg.resolve()...)
	errs.locate(path, pos)
	errs.scrub(cfg.Scrubber(), inline)
	return cfg, errs, nil
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
