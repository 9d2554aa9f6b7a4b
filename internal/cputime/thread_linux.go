package cputime

import (
	"syscall"
	"time"
)

// Thread returns the CPU time the calling OS thread has used so far, and
// whether it could be read. With the goroutine locked to its thread
// (runtime.LockOSThread), the difference over a loop is the loop's CPU time.
func Thread() (time.Duration, bool) {
	d := rusage(syscall.RUSAGE_THREAD)
	return d, d > 0
}
