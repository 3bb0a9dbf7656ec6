package warehouse

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
)

const redacted = "<secret>"

// target describes where the warehouse is without its secrets, for errors
// and logs: "driver postgres, host 127.0.0.1:5432, database clari, user clari".
type target struct {
	driver string
	desc   string
	// secrets are strings that must never leave this package: the raw DSN
	// and the password in its plain and URL-escaped forms.
	secrets []string
}

// describe parses dsn just enough to name host, database and user.
func describe(driver, dsn string) (target, error) {
	t := target{driver: driver}
	switch driver {
	case DriverPostgres, DriverRedshift: // both pgx: a PostgreSQL DSN
		t.addSecret(dsn)
		pc, err := pgconn.ParseConfig(dsn)
		if err != nil {
			// Never show the parser's text: it quotes the DSN (redacted on a
			// best-effort basis only).
			return t, fmt.Errorf("warehouse: cannot parse the %s DSN (warehouse.dsn / dsn_file / dsn_env): %s; expected postgres://user:password@host:port/database?sslmode=... or key=value pairs", engineName[driver], t.scrubText(parseReason(err)))
		}
		t.addSecret(pc.Password)
		hosts := []string{net.JoinHostPort(pc.Host, strconv.Itoa(int(pc.Port)))}
		for _, fb := range pc.Fallbacks {
			if fb.Host != pc.Host || fb.Port != pc.Port {
				hosts = append(hosts, net.JoinHostPort(fb.Host, strconv.Itoa(int(fb.Port))))
			}
		}
		t.desc = fmt.Sprintf("driver %s, host %s, database %s, user %s", driver, strings.Join(hosts, ","), pc.Database, pc.User)
	case DriverSQLite:
		// A SQLite DSN is a file name plus options, nothing secret: the
		// file is named in errors so the user can fix the path.
		t.desc = "driver sqlite, file " + sqliteFile(dsn)
	}
	return t, nil
}

// engineName is how errors name a driver's database.
var engineName = map[string]string{DriverPostgres: "PostgreSQL", DriverRedshift: "Redshift", DriverSQLite: "SQLite"}

// parseReason extracts the parser's reason without the quoted DSN.
func parseReason(err error) string {
	// The text is "cannot parse `<redacted DSN>`: <reason>"; keep the reason.
	msg := err.Error()
	if i := strings.LastIndex(msg, "`: "); i >= 0 {
		return msg[i+3:]
	}
	return "invalid syntax"
}

// sqliteFile is the database file named by a modernc.org/sqlite DSN.
func sqliteFile(dsn string) string {
	f := dsn
	if i := strings.IndexByte(f, '?'); i >= 0 {
		f = f[:i]
	}
	f = strings.TrimPrefix(f, "file:")
	if f == "" {
		return "(empty)"
	}
	return f
}

func (t *target) addSecret(s string) {
	if s == "" {
		return
	}
	t.secrets = append(t.secrets, s)
	if e := url.QueryEscape(s); e != s {
		t.secrets = append(t.secrets, e)
	}
	if e := url.PathEscape(s); e != s {
		t.secrets = append(t.secrets, e)
	}
	// userinfo escaping differs from both of the above
	if e := strings.TrimPrefix(url.UserPassword("x", s).String(), "x:"); e != s {
		t.secrets = append(t.secrets, e)
	}
}

// scrubText replaces every secret in s. Longer secrets first, so the DSN is
// replaced as a whole before its password would be.
func (t *target) scrubText(s string) string {
	for _, sec := range t.secretsLongestFirst() {
		s = strings.ReplaceAll(s, sec, redacted)
	}
	return s
}

func (t *target) secretsLongestFirst() []string {
	out := append([]string(nil), t.secrets...)
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && len(out[j]) > len(out[j-1]); j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

// scrubbedError carries a driver error's text with secrets removed. It does
// not unwrap to the driver error (whose fields hold the DSN); it unwraps to
// the context error when there was one, so callers can still tell a
// cancellation or timeout.
type scrubbedError struct {
	msg   string
	cause error // context.Canceled, context.DeadlineExceeded or nil
}

func (e *scrubbedError) Error() string { return e.msg }
func (e *scrubbedError) Unwrap() error { return e.cause }

// wrap returns "warehouse: <what>: <scrubbed driver text>".
func (t *target) wrap(what string, err error) error {
	if err == nil {
		return nil
	}
	var se *scrubbedError
	if errors.As(err, &se) {
		return &scrubbedError{msg: "warehouse: " + what + ": " + strings.TrimPrefix(se.msg, "warehouse: "), cause: se.cause}
	}
	var cause error
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		cause = context.DeadlineExceeded
	case errors.Is(err, context.Canceled):
		cause = context.Canceled
	}
	return &scrubbedError{msg: "warehouse: " + what + ": " + t.scrubText(driverText(err)), cause: cause}
}

// driverText is the cause of a driver error: a server error's message and
// SQLSTATE (pgx's connect error repeats host, user and database, which the
// description already names), else the driver's text on one line.
func driverText(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		s := pe.Message + " (SQLSTATE " + pe.Code + ")"
		if pe.Hint != "" {
			s += "; hint: " + pe.Hint
		}
		return s
	}
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) {
		if inner := errors.Unwrap(ce); inner != nil {
			return oneLine(inner.Error())
		}
	}
	return oneLine(err.Error())
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
