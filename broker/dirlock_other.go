//go:build !unix

package broker

import (
	"errors"
	"fmt"
	"runtime"
)

// dirLock would be the lock of a data directory; this platform has none.
type dirLock struct{}

// lockDir refuses: without flock(2) brook cannot keep a second process out
// of the data directory, and a lock file that a crash leaves behind would
// lock it for good. A broker on the operating system's file system is
// therefore unix-only; [New] (in memory) works everywhere.
func lockDir(dir string) (*dirLock, error) {
	return nil, fmt.Errorf("broker: lock %s: data directory locking is not implemented on %s: %w",
		dir, runtime.GOOS, errors.ErrUnsupported)
}

// unlock does nothing: lockDir never succeeds here.
func (l *dirLock) unlock() error { return nil }
