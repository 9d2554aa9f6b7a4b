package main

import (
	"os"
	"os/exec"
	"syscall"
	"time"
)

// fdatasync flushes f's data (not its metadata unless needed to read it).
func fdatasync(f *os.File) error { return syscall.Fdatasync(int(f.Fd())) }

// dieWithParent makes the child get SIGKILL if this process dies first, so
// that a killed harness leaves no redis-server behind.
func dieWithParent(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}

// processCPU is the CPU time (user + system) the process has used, and
// whether the system reports it.
func processCPU() (time.Duration, bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}
