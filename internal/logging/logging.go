// Package logging builds the commands' one root logger (go-kit/log, the
// project's choice) from the conventional --log.level and --log.format
// flags, and bridges it to log/slog for exporter-toolkit.
package logging

import (
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/go-kit/log"
	"github.com/go-kit/log/level"
	slgk "github.com/tjhop/slog-gokit"
)

// Keys every line carries, in this order: level, ts, caller, then the rest.
const (
	tsKey     = "ts"
	callerKey = "caller"
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
	logger = level.NewFilter(oneTimeAndCaller{next: logger}, opt)
	return log.With(logger, tsKey, log.DefaultTimestampUTC, callerKey, log.DefaultCaller), nil
}

// Slog adapts logger for libraries that take *slog.Logger (exporter-toolkit).
// Level filtering already happens in the go-kit logger, so the slog side
// passes everything.
//
// The bridge (slog-gokit) sends the record's own caller (the library's call
// site, from slog's PC) and its time under "time"; the root logger adds its
// ts and a caller that points into the bridge. Renaming time to ts here and
// keeping the later ts and caller at the bottom of the root logger
// (oneTimeAndCaller) leaves one ts, one caller, and no time key: the line
// looks like every other.
func Slog(logger log.Logger) *slog.Logger {
	return slog.New(slgk.NewGoKitHandler(log.LoggerFunc(func(kv ...any) error {
		for i := 0; i+1 < len(kv); i += 2 {
			if kv[i] == slog.MessageKey {
				break // the record's time comes before its message
			}
			if kv[i] == slog.TimeKey {
				kv[i] = tsKey
				if t, ok := kv[i+1].(time.Time); ok {
					kv[i+1] = t.UTC().Format(time.RFC3339Nano) // as log.DefaultTimestampUTC
				}
				break
			}
		}
		return logger.Log(kv...)
	}), slog.LevelDebug))
}

// oneTimeAndCaller is the bottom of the root logger. A line that carries ts
// or caller twice (the root's, then the slog bridge's more precise ones)
// keeps one of each, with the later value, and is put in the order every
// other line has: level, ts, caller, the rest. Other lines pass unchanged.
type oneTimeAndCaller struct{ next log.Logger }

func (l oneTimeAndCaller) Log(kv ...any) error {
	ts, caller, lvl := -1, -1, -1
	dup := false
	for i := 0; i+1 < len(kv); i += 2 {
		switch kv[i] {
		case tsKey:
			dup = dup || ts >= 0
			ts = i
		case callerKey:
			dup = dup || caller >= 0
			caller = i
		case level.Key():
			if lvl < 0 {
				lvl = i
			}
		}
	}
	if !dup {
		return l.next.Log(kv...)
	}
	out := make([]any, 0, len(kv))
	for _, i := range []int{lvl, ts, caller} { // ts and caller: the last of each
		if i >= 0 {
			out = append(out, kv[i], kv[i+1])
		}
	}
	for i := 0; i < len(kv); i += 2 {
		if k := kv[i]; k == tsKey || k == callerKey || i == lvl {
			continue
		}
		out = append(out, kv[i:min(i+2, len(kv))]...)
	}
	return l.next.Log(out...)
}
