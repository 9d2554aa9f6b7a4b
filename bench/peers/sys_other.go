//go:build !linux

package main

import (
	"os"
	"os/exec"
	"time"
)

// fdatasync is fsync where the system has no fdatasync.
func fdatasync(f *os.File) error { return f.Sync() }

// dieWithParent does nothing where the system cannot tie a child's life to
// its parent's: the child is killed by the harness's deferred stop.
func dieWithParent(*exec.Cmd) {}

// processCPU reports no CPU time where the harness does not read it.
func processCPU() (time.Duration, bool) { return 0, false }
