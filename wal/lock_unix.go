//go:build unix

package wal

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"syscall"
)

// LockName is the file inside a directory that [OSFS.Lock] locks. It is
// created if missing and never removed: removing it would race with a holder
// that opened it and is about to lock it.
const LockName = "LOCK"

// Lock implements [FS] with flock(2) on dir/[LockName], non-blocking.
// flock locks belong to the open file description, so a second Lock of the
// same directory in the same process conflicts too, and the kernel drops the
// lock when the process dies.
func (OSFS) Lock(dir string) (io.Closer, error) {
	path := filepath.Join(dir, LockName)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|syscall.O_CLOEXEC, 0o600)
	if err != nil {
		return nil, err
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
		return nil, &fs.PathError{Op: "flock", Path: path, Err: err}
	}
	return &osLock{f: f}, nil
}

// osLock is a held flock; closing the file releases it.
type osLock struct {
	once sync.Once
	f    *os.File
}

// Close releases the lock the first time; later calls return fs.ErrClosed.
func (l *osLock) Close() error {
	err := fs.ErrClosed
	l.once.Do(func() { err = l.f.Close() })
	return err
}
