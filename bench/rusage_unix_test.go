//go:build unix

package bench_test

import (
	"syscall"
	"time"
)

// processCPU is the CPU time (user and system) the process has used so far.
// On a shared machine it is steadier than wall-clock rates.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
