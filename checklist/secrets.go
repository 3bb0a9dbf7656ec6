package checklist

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/clari-exporter/clari_exporter/config"
)

// checkKeySource: checklist item 1. The key must come from a file mounted
// by a secrets manager or from an environment variable; an inline key is a
// P1 FAIL naming its line; a key file others can read is a FAIL too.
func (a *auditor) checkKeySource() Result {
	cl := a.cfg.Clari
	if cl.APIKey != "" {
		where := filepath.Base(a.cfg.Source)
		if a.cfg.InlineKeyLine > 0 {
			where = fmt.Sprintf("%s line %d", where, a.cfg.InlineKeyLine)
		}
		return result(CheckAPIKeySecretStore, Fail, fmt.Sprintf("inline api_key in %s: move the key to a secrets manager and use api_key_file or api_key_env", where))
	}
	switch {
	case cl.APIKeyFile != "" && cl.APIKeyEnv != "":
		return result(CheckAPIKeySecretStore, Fail, "both api_key_file and api_key_env are set: keep exactly one")
	case cl.APIKeyFile != "":
		return keyFileResult(a.cfg.KeyFilePath(), a.problemAt("clari.api_key_file"))
	case cl.APIKeyEnv != "":
		if ps := a.problemAt("clari.api_key_env"); len(ps) > 0 {
			return result(CheckAPIKeySecretStore, Fail, "api_key_env: "+ps[0].Msg)
		}
		return result(CheckAPIKeySecretStore, Pass, fmt.Sprintf("api_key_env %s (set; the key is not in the config file)", cl.APIKeyEnv))
	}
	return result(CheckAPIKeySecretStore, Fail, "no API key source: set clari.api_key_file (recommended) or clari.api_key_env")
}

func keyFileResult(path string, problems []*config.FieldError) Result {
	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return result(CheckAPIKeySecretStore, Fail, fmt.Sprintf("api_key_file %s does not exist", path))
	case err != nil:
		return result(CheckAPIKeySecretStore, Fail, fmt.Sprintf("api_key_file %s: cannot stat: %v", path, errors.Unwrap(err)))
	case fi.IsDir():
		return result(CheckAPIKeySecretStore, Fail, fmt.Sprintf("api_key_file %s is a directory", path))
	}
	mode := fi.Mode().Perm()
	if mode&0o004 != 0 {
		return result(CheckAPIKeySecretStore, Fail, fmt.Sprintf("api_key_file %s is world-readable (mode %04o): chmod 0400 (or 0440 for a group)", path, mode))
	}
	if len(problems) > 0 {
		return result(CheckAPIKeySecretStore, Fail, fmt.Sprintf("api_key_file %s (mode %04o): %s", path, mode, problems[0].Msg))
	}
	return result(CheckAPIKeySecretStore, Pass, fmt.Sprintf("api_key_file %s (mode %04o)", path, mode))
}

// rotationDueSoon is how long before the policy runs out a WARN starts.
const rotationDueSoon = 14 * 24 * time.Hour

// checkRotation: checklist item 3 (an expired token halts all exports: P1).
func checkRotation(cfg *config.Config, now time.Time) Result {
	policy := time.Duration(cfg.Clari.RotationPolicy)
	if cfg.Secrets.KeyRotatedAt == 0 {
		why := "set clari.rotated_at to the date of the last rotation"
		if cfg.Clari.APIKeyFile != "" {
			why = "the key file's mtime is unreadable; " + why
		}
		return result(CheckAPIKeyRotation, Warn, fmt.Sprintf("rotation time unknown: %s (policy %s)", why, cfg.Clari.RotationPolicy))
	}
	sec := cfg.Secrets.KeyRotatedAt
	rotated := time.Unix(int64(sec), int64((sec-float64(int64(sec)))*1e9)).UTC()
	source := "clari.rotated_at"
	if cfg.Clari.RotatedAt == "" {
		source = "api_key_file mtime"
	}
	age := now.Sub(rotated)
	days := int(age.Hours() / 24)
	when := fmt.Sprintf("key rotated %s (%d days ago, from %s)", rotated.Format(time.DateOnly), days, source)
	switch {
	case age < -time.Hour:
		return result(CheckAPIKeyRotation, Warn, fmt.Sprintf("%s is in the future: %s", source, rotated.Format(time.DateOnly)))
	case policy > 0 && age > policy:
		return result(CheckAPIKeyRotation, Fail, fmt.Sprintf("%s: over the %s rotation policy; rotate the key (docs/runbooks.md#clariapikeyrotationoverdue)", when, cfg.Clari.RotationPolicy))
	case policy > 0 && age > policy-rotationDueSoon:
		left := int((policy - age).Hours() / 24)
		return result(CheckAPIKeyRotation, Warn, fmt.Sprintf("%s: due within %d days (policy %s)", when, left, cfg.Clari.RotationPolicy))
	}
	return result(CheckAPIKeyRotation, Pass, fmt.Sprintf("%s, within the %s policy", when, cfg.Clari.RotationPolicy))
}

// envToken is one environment's config, reduced to what the comparison
// needs: never the token itself, only its SHA-256 fingerprint.
type envToken struct {
	file        string
	environment string
	fingerprint [sha256.Size]byte
	problem     string
}

func (e envToken) name() string {
	env := e.environment
	if env == "" {
		env = "(no environment)"
	}
	return fmt.Sprintf("%s (%s)", env, filepath.Base(e.file))
}

// checkTokenPerEnvironment: checklist item 4. Compares the key
// fingerprints of this config and every --env-config.
func (a *auditor) checkTokenPerEnvironment() Result {
	if len(a.o.EnvConfigs) == 0 {
		return result(CheckTokenPerEnvironment, Skip, "give the other environments' config files with --env-config to compare their tokens")
	}
	self, _ := filepath.Abs(a.o.ConfigFile)
	envs := []envToken{tokenOf(a.cfg, a.o.ConfigFile)}
	for _, f := range a.o.EnvConfigs {
		if abs, _ := filepath.Abs(f); abs == self {
			continue
		}
		cfg, problems, err := config.LoadForAudit(f)
		switch {
		case err != nil:
			envs = append(envs, envToken{file: f, problem: "cannot read: " + errors.Unwrap(err).Error()})
		case cfg == nil:
			envs = append(envs, envToken{file: f, problem: "does not parse: " + strings.TrimPrefix(problems[0].Error(), "config: ")})
		default:
			a.secrets.Include(cfg.Scrubber())
			envs = append(envs, tokenOf(cfg, f))
		}
	}
	var fails, warns []string
	byFP := map[[sha256.Size]byte][]string{}
	byEnv := map[string][]string{}
	var names []string
	for _, e := range envs {
		if e.problem != "" {
			fails = append(fails, fmt.Sprintf("%s %s", e.file, e.problem))
			continue
		}
		names = append(names, e.environment)
		byFP[e.fingerprint] = append(byFP[e.fingerprint], e.name())
		if e.environment == "" {
			warns = append(warns, fmt.Sprintf("%s sets no clari.environment", e.file))
		} else {
			byEnv[e.environment] = append(byEnv[e.environment], filepath.Base(e.file))
		}
	}
	for _, group := range byFP {
		if len(group) > 1 {
			sort.Strings(group)
			fails = append(fails, fmt.Sprintf("%s use the same token (SHA-256 fingerprints match)", strings.Join(group, " and ")))
		}
	}
	for env, files := range byEnv {
		if len(files) > 1 {
			warns = append(warns, fmt.Sprintf("%s all say environment %s", strings.Join(files, ", "), env))
		}
	}
	sort.Strings(fails)
	sort.Strings(warns)
	switch {
	case len(fails) > 0:
		return result(CheckTokenPerEnvironment, Fail, strings.Join(append(fails, warns...), "; "))
	case len(warns) > 0:
		return result(CheckTokenPerEnvironment, Warn, strings.Join(warns, "; "))
	}
	return result(CheckTokenPerEnvironment, Pass, fmt.Sprintf("%d environments (%s), %d distinct tokens (compared by SHA-256 fingerprint)", len(names), strings.Join(names, ", "), len(byFP)))
}

func tokenOf(cfg *config.Config, file string) envToken {
	e := envToken{file: file, environment: cfg.Clari.Environment}
	if cfg.Secrets.APIKey == "" {
		e.problem = "has no readable API key"
		return e
	}
	e.fingerprint = sha256.Sum256([]byte(cfg.Secrets.APIKey))
	return e
}

// scrub is the backstop: details are built not to carry secrets, but an
// error text from a driver or server might quote one.
func (a *auditor) scrub(rep *Report) {
	for i := range rep.Results {
		d := rep.Results[i].Detail
		rep.Results[i].Detail = a.secrets.Scrub(d)
	}
}
