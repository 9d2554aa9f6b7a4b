package broker

import (
	"errors"
	"fmt"
	"path/filepath"
	"sync"
)

// ErrLocked is returned by [Open] when another broker, in this process or
// another one, holds the data directory.
var ErrLocked = errors.New("broker: data directory is in use by another broker")

// lockName is the lock file inside the data directory.
const lockName = "LOCK"

// memLocks holds the directories locked in a file system other than the
// operating system's (the FS seam used by tests): flock cannot reach them,
// and only this process can see them.
var memLocks struct {
	sync.Mutex
	held map[memLockKey]bool
}

type memLockKey struct {
	fs  any
	dir string
}

// lockMem takes an in-process lock on dir in the file system fs.
func lockMem(fs any, dir string) (func(), error) {
	k := memLockKey{fs: fs, dir: filepath.Clean(dir)}
	memLocks.Lock()
	defer memLocks.Unlock()
	if memLocks.held[k] {
		return nil, fmt.Errorf("%w: %s", ErrLocked, dir)
	}
	if memLocks.held == nil {
		memLocks.held = make(map[memLockKey]bool)
	}
	memLocks.held[k] = true
	return func() {
		memLocks.Lock()
		delete(memLocks.held, k)
		memLocks.Unlock()
	}, nil
}
