//go:build unix

package clari

import (
	"syscall"
	"testing"
	"time"
)

// processCPU is the user+system CPU time of the process so far, for the
// cpu-MB/s benchmark metric.
func processCPU(b testing.TB) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// ProcessCPUForBench lets the external test package (the simulator
// benchmark, which cannot live in package clari: clarisim imports clari)
// report cpu-MB/s too.
var ProcessCPUForBench = processCPU
