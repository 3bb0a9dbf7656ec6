// Package memlimit gives the Go runtime a soft memory limit from the
// container's cgroup when GOMEMLIMIT does not set one, so the garbage
// collector works harder before the kernel's OOM killer steps in.
package memlimit

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"

	"github.com/go-kit/log"
	"github.com/go-kit/log/level"
)

// Fraction of the cgroup limit given to the Go runtime: the rest is
// headroom for what the limit does not cover (the binary's text, page
// tables, fragmentation, memory the runtime has not returned yet).
const Fraction = 0.9

// Source says where the limit in force came from.
type Source string

// Sources.
const (
	FromEnv    Source = "GOMEMLIMIT"
	FromCgroup Source = "cgroup"
	None       Source = "none"
)

// Apply sets the runtime's memory limit to Fraction of the cgroup limit
// unless GOMEMLIMIT is set (the runtime has then applied it already) or no
// cgroup limit is visible. It returns the limit in force and its source.
func Apply() (int64, Source, error) {
	return apply(os.Getenv("GOMEMLIMIT"), "/proc/self/cgroup", "/sys/fs/cgroup")
}

func apply(env, procCgroup, cgroupRoot string) (int64, Source, error) {
	if env != "" {
		return debug.SetMemoryLimit(-1), FromEnv, nil
	}
	limit, err := cgroupLimit(procCgroup, cgroupRoot)
	if err != nil || limit <= 0 {
		return debug.SetMemoryLimit(-1), None, err
	}
	l := int64(float64(limit) * Fraction)
	debug.SetMemoryLimit(l)
	return l, FromCgroup, nil
}

// cgroupLimit reads the memory limit of the process's cgroup: v2
// memory.max of its own group (or the namespace root, as in most
// containers), else v1 memory.limit_in_bytes. 0 means no limit.
func cgroupLimit(procCgroup, root string) (int64, error) {
	var candidates []string
	if f, err := os.Open(procCgroup); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			// v2: "0::/path"; v1: "N:memory:/path".
			parts := strings.SplitN(sc.Text(), ":", 3)
			if len(parts) != 3 {
				continue
			}
			switch {
			case parts[0] == "0" && parts[1] == "":
				candidates = append(candidates, filepath.Join(root, parts[2], "memory.max"))
			case strings.Contains(","+parts[1]+",", ",memory,"):
				candidates = append(candidates, filepath.Join(root, "memory", parts[2], "memory.limit_in_bytes"))
			}
		}
		f.Close()
	}
	candidates = append(candidates, filepath.Join(root, "memory.max"), filepath.Join(root, "memory", "memory.limit_in_bytes"))
	for _, p := range candidates {
		b, err := os.ReadFile(p)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return 0, err
		}
		v := string(bytes.TrimSpace(b))
		if v == "max" {
			return 0, nil
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("memlimit: %s: %q is not a number of bytes", p, v)
		}
		// cgroup v1 spells "no limit" as a huge page-aligned number.
		if n <= 0 || n >= math.MaxInt64/2 {
			return 0, nil
		}
		return n, nil
	}
	return 0, nil
}

// ApplyAndLog is Apply, logging the limit in force (or why none was set).
func ApplyAndLog(logger log.Logger) {
	limit, src, err := Apply()
	switch {
	case err != nil:
		level.Warn(logger).Log("msg", "cannot read the cgroup memory limit; no Go memory limit set (set GOMEMLIMIT)", "err", err)
	case src == None:
		level.Info(logger).Log("msg", "no memory limit: GOMEMLIMIT unset and no cgroup limit visible")
	default:
		level.Info(logger).Log("msg", "Go memory limit", "bytes", limit, "source", string(src))
	}
}
