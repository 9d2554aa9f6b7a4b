//go:build unix

package stream_test

import (
	"syscall"
	"time"
)

// processCPU returns the CPU time (user + system) the process has used. The
// group benchmarks report CPU time per entry next to wall-clock time: on a
// shared machine it is the steadier figure of the two.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
