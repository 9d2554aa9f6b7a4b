//go:build linux

package broker

import (
	"os"
	"syscall"
)

// datasync is how the log syncs a segment on this platform: fdatasync.
func datasync(f *os.File) error { return syscall.Fdatasync(int(f.Fd())) }
