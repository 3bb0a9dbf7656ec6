//go:build !unix

package clari

import (
	"testing"
	"time"
)

// processCPU is not measured here: cpu-MB/s is then not reported.
func processCPU(testing.TB) time.Duration { return 0 }

// ProcessCPUForBench: see decode_cpu_unix_test.go.
var ProcessCPUForBench = processCPU
