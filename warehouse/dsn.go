package warehouse

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/clari-exporter/clari_exporter/secret"
	"github.com/jackc/pgx/v5/pgconn"
)

// target describes where the warehouse is without its secrets, for errors
// and logs: "driver postgres, host 127.0.0.1:5432, database clari, user clari".
type target struct {
	driver string
	desc   string
	// scrub hides what must never leave this package: the raw DSN and its
	// password in every escaped form.
	scrub secret.Scrubber
}

// describe parses dsn just enough to name host, database and user.
func describe(driver, dsn string) (target, error) {
	t := target{driver: driver}
	switch driver {
	case DriverPostgres, DriverRedshift: // both pgx: a PostgreSQL DSN
		t.scrub.AddDSN(dsn)
		pc, err := pgconn.ParseConfig(dsn)
		if err != nil {
			// Never show the parser's text: it quotes the DSN (redacted on a
			// best-effort basis only).
			return t, fmt.Errorf("warehouse: cannot parse the %s DSN (warehouse.dsn / dsn_file / dsn_env): %s; expected postgres://user:password@host:port/database?sslmode=... or key=value pairs", engineName[driver], t.scrub.Scrub(parseReason(err)))
		}
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

// wrap returns "warehouse: <what>: <scrubbed driver text>".
func (t *target) wrap(what string, err error) error {
	if err == nil {
		return nil
	}
	text := driverText(err)
	var se *secret.Error
	if errors.As(err, &se) { // already ours: reword, keeping its cause
		text = strings.TrimPrefix(se.Error(), "warehouse: ")
	}
	// Always a *secret.Error, never the driver error: its fields hold the DSN.
	return t.scrub.Error("warehouse: "+what+": "+text, err)
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
