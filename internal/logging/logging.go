// Package logging builds the commands' one root logger (go-kit/log, the
// project's choice) from the conventional --log.level and --log.format
// flags, and bridges it to log/slog for exporter-toolkit.
package logging

import (
	"fmt"
	"io"
	"log/slog"

	"github.com/go-kit/log"
	"github.com/go-kit/log/level"
	slgk "github.com/tjhop/slog-gokit"
)

// New returns a logger writing lvl and above to w as logfmt or json, with
// UTC timestamps and the caller.
func New(w io.Writer, lvl, format string) (log.Logger, error) {
	var logger log.Logger
	switch format {
	case "logfmt":
		logger = log.NewLogfmtLogger(log.NewSyncWriter(w))
	case "json":
		logger = log.NewJSONLogger(log.NewSyncWriter(w))
	default:
		return nil, fmt.Errorf("--log.format: unknown format %q (use logfmt or json)", format)
	}
	var opt level.Option
	switch lvl {
	case "debug":
		opt = level.AllowDebug()
	case "info":
		opt = level.AllowInfo()
	case "warn":
		opt = level.AllowWarn()
	case "error":
		opt = level.AllowError()
	default:
		return nil, fmt.Errorf("--log.level: unknown level %q (use debug, info, warn or error)", lvl)
	}
	return log.With(level.NewFilter(logger, opt), "ts", log.DefaultTimestampUTC, "caller", log.DefaultCaller), nil
}

// Slog adapts logger for libraries that take *slog.Logger (exporter-toolkit).
// Level filtering already happens in the go-kit logger, so the slog side
// passes everything.
func Slog(logger log.Logger) *slog.Logger {
	return slog.New(slgk.NewGoKitHandler(logger, slog.LevelDebug))
}
