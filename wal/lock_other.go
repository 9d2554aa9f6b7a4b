//go:build !unix

package wal

import (
	"errors"
	"fmt"
	"io"
	"runtime"
)

// LockName is the file inside a directory that [OSFS.Lock] locks where
// flock(2) exists.
const LockName = "LOCK"

// Lock implements [FS] by refusing: without flock(2) nothing keeps a second
// process out of the directory, and a lock file that a crash leaves behind
// would lock it for good. A log on the operating system's file system can
// still be used without Lock; a broker's data directory cannot.
func (OSFS) Lock(dir string) (io.Closer, error) {
	return nil, fmt.Errorf("wal: lock %s: directory locking is not implemented on %s: %w",
		dir, runtime.GOOS, errors.ErrUnsupported)
}
