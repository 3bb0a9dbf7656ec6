package config

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Resolve reads the API key, the warehouse DSN and the store's DSN from
// their configured source (file, environment variable or inline) into
// Secrets, and sets Secrets.KeyRotatedAt. Parse calls it; call it yourself
// only for a config built in code. Errors name the field and
// the file or variable, never the secret.
func (c *Config) Resolve() error {
	errs := c.resolve()
	for _, e := range errs {
		e.Source = c.Source
	}
	return errs.err()
}

func (c *Config) resolve() fieldErrors {
	var errs fieldErrors
	cl := &c.Clari
	key, err := c.readSecret("clari.api_key", cl.APIKeyFile, cl.APIKeyEnv, cl.APIKey)
	if err != nil {
		errs = append(errs, err)
	} else if key != "" {
		c.Secrets.APIKey = key
	}

	if t, err := parseRotatedAt(cl.RotatedAt); cl.RotatedAt != "" && err == nil {
		c.Secrets.KeyRotatedAt = float64(t.UnixNano()) / 1e9
	} else if cl.RotatedAt == "" && cl.APIKeyFile != "" {
		if fi, err := os.Stat(c.KeyFilePath()); err == nil {
			c.Secrets.KeyRotatedAt = float64(fi.ModTime().UnixNano()) / 1e9
		}
	}

	if err := c.resolveStorage(); err != nil {
		errs = append(errs, err)
	}
	if w := c.Warehouse; w != nil {
		dsn, err := c.readSecret("warehouse.dsn", w.DSNFile, w.DSNEnv, w.DSN)
		if err != nil {
			errs = append(errs, err)
		} else if dsn != "" {
			c.Secrets.WarehouseDSN = dsn
		}
	}
	return errs
}

// readSecret resolves one secret whose fields are <base>_file, <base>_env
// and <base>. It returns "" without error when no source or more than one
// is set (validation reports that).
func (c *Config) readSecret(base, file, env string, inline Secret) (Secret, *FieldError) {
	n := 0
	for _, set := range []bool{file != "", env != "", inline != ""} {
		if set {
			n++
		}
	}
	if n != 1 {
		return "", nil
	}
	switch {
	case file != "":
		path := c.relative(file)
		data, err := os.ReadFile(path)
		if err != nil {
			var msg string
			switch {
			case errors.Is(err, fs.ErrNotExist):
				msg = "file " + path + " does not exist"
			case errors.Is(err, fs.ErrPermission):
				msg = "file " + path + " is not readable by this process (permission denied)"
			default:
				msg = "cannot read " + path + ": " + errorWithoutPath(err)
			}
			return "", &FieldError{Path: base + "_file", Msg: msg}
		}
		s := strings.TrimSpace(string(data))
		if s == "" {
			return "", &FieldError{Path: base + "_file", Msg: "file " + path + " is empty"}
		}
		return Secret(s), nil
	case env != "":
		if !envVarName.MatchString(env) {
			return "", nil // validation reports it without echoing it
		}
		v, ok := os.LookupEnv(env)
		if !ok {
			return "", &FieldError{Path: base + "_env", Msg: "environment variable " + env + " is not set"}
		}
		s := strings.TrimSpace(v)
		if s == "" {
			return "", &FieldError{Path: base + "_env", Msg: "environment variable " + env + " is empty"}
		}
		return Secret(s), nil
	default:
		return Secret(strings.TrimSpace(string(inline))), nil
	}
}

// errorWithoutPath keeps only the underlying reason of a *fs.PathError.
func errorWithoutPath(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// relative resolves a secret file path against the config file's directory.
func (c *Config) relative(path string) string {
	if path == "" || filepath.IsAbs(path) || c.Source == "" {
		return path
	}
	return filepath.Join(filepath.Dir(c.Source), path)
}

// KeyFilePath is clari.api_key_file as read: relative paths are taken
// relative to the config file's directory. "" when no key file is set.
func (c *Config) KeyFilePath() string { return c.relative(c.Clari.APIKeyFile) }

// DSNFilePath is warehouse.dsn_file as read (see KeyFilePath).
func (c *Config) DSNFilePath() string {
	if c.Warehouse == nil {
		return ""
	}
	return c.relative(c.Warehouse.DSNFile)
}
