//go:build unix

package broker

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// dirLock is an exclusive lock on a data directory: flock(2) on a file
// inside it. flock locks belong to the open file description, so a second
// Open of the same directory in the same process conflicts too. The kernel
// drops the lock when the process dies, so a crash never leaves the
// directory locked.
type dirLock struct {
	f *os.File
}

// lockDir takes the lock of dir, which must exist.
func lockDir(dir string) (*dirLock, error) {
	path := filepath.Join(dir, lockName)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|syscall.O_CLOEXEC, 0o600)
	if err != nil {
		return nil, fmt.Errorf("broker: lock %s: %w", path, err)
	}
	for {
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err != syscall.EINTR {
			break
		}
	}
	if err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("%w: %s", ErrLocked, dir)
		}
		return nil, fmt.Errorf("broker: lock %s: %w", path, err)
	}
	return &dirLock{f: f}, nil
}

// unlock releases the lock. The lock file stays: removing it would race
// with a broker that opened it and is about to lock it.
func (l *dirLock) unlock() error {
	if l == nil {
		return nil
	}
	return l.f.Close() // closing the last descriptor releases the flock
}
