package config

import (
	"errors"
	"fmt"
	"strings"

	"github.com/clari-exporter/clari_exporter/secret"
)

// FieldError is one problem with the configuration. Path names the field
// the way the file spells it ("schedule.current_interval",
// "forecasts[1].id"); Source and Line say where it is when known.
//
// Messages never carry a secret value: they name fields, files and
// environment variables only.
type FieldError struct {
	Source string // the config file, "" when built in code
	Line   int    // 1-based line in Source, 0 when unknown
	Path   string // field path, "" for whole-file problems (YAML syntax)
	Msg    string
}

func (e *FieldError) Error() string {
	var b strings.Builder
	b.WriteString("config: ")
	if e.Source != "" {
		b.WriteString(e.Source)
		if e.Line > 0 {
			fmt.Fprintf(&b, ":%d", e.Line)
		}
		b.WriteString(": ")
	}
	if e.Path != "" {
		b.WriteString(e.Path)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// fieldErrors collects problems while validating, so one run reports all
// of them instead of making the user fix one per restart.
type fieldErrors []*FieldError

func (fe *fieldErrors) add(path, format string, args ...any) {
	*fe = append(*fe, &FieldError{Path: path, Msg: fmt.Sprintf(format, args...)})
}

// err joins the collected problems (one per line), or returns nil.
func (fe fieldErrors) err() error {
	if len(fe) == 0 {
		return nil
	}
	errs := make([]error, len(fe))
	for i, e := range fe {
		errs[i] = e
	}
	return errors.Join(errs...)
}

// locate fills in Source and, from the file's positions, Line.
func (fe fieldErrors) locate(source string, pos positions) {
	for _, e := range fe {
		e.Source = source
		if e.Line == 0 {
			e.Line = pos.lineOf(e.Path)
		}
	}
}

// scrub replaces every occurrence of a secret in the messages with
// secret.Redacted: the config's (sc, nil before the file decoded) and the
// file's inline values. Messages are built not to carry secrets; this is
// the backstop for text quoted from the file by yaml.v3 (e.g. a key pasted
// into the wrong field).
func (fe fieldErrors) scrub(sc *secret.Scrubber, inline []string) {
	if sc == nil {
		sc = &secret.Scrubber{}
	}
	for _, v := range inline {
		sc.Add(v)
	}
	for _, e := range fe {
		e.Msg = sc.Scrub(e.Msg)
		e.Path = sc.Scrub(e.Path)
	}
}
