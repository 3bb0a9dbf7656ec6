package main

import (
	"fmt"
	"io"
	"log/slog"

	"github.com/go-kit/log"
	"github.com/go-kit/log/level"
	slgk "github.com/tjhop/slog-gokit"
)

// newLogger builds the one root logger (go-kit/log, the project's choice) from
// --log.level and --log.format. exporter-toolkit wants *slog.Logger, so
// toolkitLogger bridges it to the same sink.
func newLogger(w io.Writer, lvl, format string) (log.Logger, error) {
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
	logger = level.NewFilter(logger, opt)
	return log.With(logger, "ts", log.DefaultTimestampUTC, "caller", log.DefaultCaller), nil
}

// toolkitLogger adapts the root logger for exporter-toolkit. Level filtering
// already happens in the go-kit logger, so the slog side passes everything.
func toolkitLogger(logger log.Logger) *slog.Logger {
	return slog.New(slgk.NewGoKitHandler(logger, slog.LevelDebug))
}
