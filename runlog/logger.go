package runlog

import (
	"runtime"
	"strconv"
	"strings"

	"github.com/go-kit/log"
)

// Logger returns a logger that keeps a copy of each line naming a forecast
// and a period in h and passes every line on to next unchanged, but for
// its caller.
//
// next's own caller valuer counts frames from the top of the logger and
// would name this wrapper; the wrapper adds the real call site (the first
// frame outside go-kit/log and this package) as a later "caller", which
// the exporter's root logger keeps over the earlier one (internal/logging
// keeps the last ts and caller of a line).
func (h *History) Logger(next log.Logger) log.Logger { return tee{h: h, next: next} }

type tee struct {
	h    *History
	next log.Logger
}

func (t tee) Log(kv ...any) error {
	t.h.add(kv)
	if c := callSite(); c != "" {
		kv = append(kv[:len(kv):len(kv)], "caller", c)
	}
	return t.next.Log(kv...)
}

// callSite is the first frame outside go-kit/log and this package, as
// go-kit's DefaultCaller prints it (file:line).
func callSite() string {
	pcs := make([]uintptr, 16)
	n := runtime.Callers(3, pcs) // above callSite and tee.Log
	frames := runtime.CallersFrames(pcs[:n])
	for {
		f, more := frames.Next()
		if !strings.HasPrefix(f.Function, "github.com/go-kit/log") && !strings.HasPrefix(f.Function, thisPackage) {
			return f.File[strings.LastIndexByte(f.File, '/')+1:] + ":" + strconv.Itoa(f.Line)
		}
		if !more {
			return ""
		}
	}
}

const thisPackage = "github.com/clari-exporter/clari_exporter/runlog."
