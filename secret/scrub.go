package secret

import (
	"context"
	"errors"
	"net/url"
	"slices"
	"sort"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
)

// MinLen is the shortest key or token Add accepts: replacing a 3-character
// string would mangle every message (a test's key "x" is in most words)
// while hiding nothing a guess would not find. Passwords taken from a DSN
// or a URL are hidden whatever their length: they sit next to text (host,
// user) that makes even a short one useful.
const MinLen = 4

// Scrubber replaces secrets in text. The zero value hides nothing; Add,
// AddDSN and AddURL teach it what to hide. It is not safe for concurrent
// Adds; build it, then share it read-only.
type Scrubber struct {
	secrets []string // longest first, so a DSN goes as a whole before its password
}

// Add hides s and the forms it takes when escaped into a URL's query, path
// or userinfo. Values shorter than MinLen are ignored (see MinLen).
func (sc *Scrubber) Add(s string) {
	if len(s) < MinLen {
		return
	}
	sc.add(s)
}

// AddDSN hides a database DSN (URL or key=value form) and, when it parses
// as a PostgreSQL DSN (pgx: PostgreSQL and Redshift), its password. A
// SQLite DSN is a file name: AddDSN hides it only as a whole. The whole
// DSN obeys MinLen like any value; its password does not.
func (sc *Scrubber) AddDSN(dsn string) {
	if dsn == "" {
		return
	}
	sc.Add(dsn)
	if pc, err := pgconn.ParseConfig(dsn); err == nil {
		sc.add(pc.Password)
	}
}

// AddURL hides the password of a URL's userinfo (a Prometheus or
// Alertmanager URL with basic auth). The rest of the URL is not secret.
func (sc *Scrubber) AddURL(raw string) {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return
	}
	p, _ := u.User.Password()
	sc.add(p)
}

// Include hides everything o hides too (another config's secrets).
func (sc *Scrubber) Include(o *Scrubber) {
	for _, s := range o.secrets {
		sc.insert(s)
	}
}

func (sc *Scrubber) add(s string) {
	if s == "" {
		return
	}
	forms := []string{
		s,
		url.QueryEscape(s),
		url.PathEscape(s),
		// userinfo escaping differs from both of the above
		strings.TrimPrefix(url.UserPassword("x", s).String(), "x:"),
	}
	if len(s) > 10 {
		// yaml.v3 quotes a long value in its errors as its first 7
		// characters and "...".
		forms = append(forms, s[:7]+"...")
	}
	for _, f := range forms {
		sc.insert(f)
	}
}

// insert keeps secrets unique and longest first.
func (sc *Scrubber) insert(s string) {
	i := sort.Search(len(sc.secrets), func(i int) bool { return len(sc.secrets[i]) <= len(s) })
	for j := i; j < len(sc.secrets) && len(sc.secrets[j]) == len(s); j++ {
		if sc.secrets[j] == s {
			return
		}
	}
	sc.secrets = slices.Insert(sc.secrets, i, s)
}

// Scrub returns s with every secret replaced by Redacted.
func (sc *Scrubber) Scrub(s string) string {
	if sc == nil {
		return s
	}
	for _, sec := range sc.secrets {
		s = strings.ReplaceAll(s, sec, Redacted)
	}
	return s
}

// Err returns err unchanged when its text carries no secret (so errors.Is
// keeps working on sentinel errors), else an *Error with the text scrubbed.
func (sc *Scrubber) Err(err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	if clean := sc.Scrub(msg); clean != msg {
		return &Error{msg: clean, cause: contextCause(err)}
	}
	return err
}

// Error returns an *Error whose text is text scrubbed, standing for err: it
// unwraps to err's context error only (see Error).
func (sc *Scrubber) Error(text string, err error) *Error {
	return &Error{msg: sc.Scrub(text), cause: contextCause(err)}
}

// Error carries a driver's or server's error text with secrets removed. It
// never unwraps to the original error (a driver error's fields hold the
// DSN); it unwraps to context.Canceled or context.DeadlineExceeded when the
// original was one, so callers can still tell a cancellation or timeout.
type Error struct {
	msg   string
	cause error
}

func (e *Error) Error() string { return e.msg }
func (e *Error) Unwrap() error { return e.cause }

func contextCause(err error) error {
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return context.DeadlineExceeded
	case errors.Is(err, context.Canceled):
		return context.Canceled
	}
	return nil
}
