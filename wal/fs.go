package wal

import (
	"io"
	"io/fs"
	"os"
	"slices"
)

// FS is the file-system seam of the log: the few operations it performs.
// [OSFS] is the real one; package wal/faultfs provides an in-memory one that
// injects power loss, torn writes, bit flips and I/O errors. Names are paths
// as given (the log joins its directory with base names).
// Implementations must be safe for concurrent use.
type FS interface {
	// OpenFile opens name with os.O_* flags (the log uses O_RDONLY,
	// O_WRONLY and O_RDWR|O_CREATE|O_EXCL) and permissions perm.
	OpenFile(name string, flag int, perm fs.FileMode) (File, error)
	// Rename atomically replaces newpath with oldpath. Durable only after
	// SyncDir of the directory.
	Rename(oldpath, newpath string) error
	// Remove deletes a file. Durable only after SyncDir.
	Remove(name string) error
	// ReadDir returns the names of the entries of dir, sorted.
	ReadDir(dir string) ([]string, error)
	// MkdirAll creates dir and its parents with permissions perm.
	MkdirAll(dir string, perm fs.FileMode) error
	// SyncDir makes the entries of dir (creations, renames, removals)
	// durable.
	SyncDir(dir string) error
	// Lock takes an exclusive lock on the directory dir, which must exist,
	// without waiting: while another holder has it, Lock returns an error
	// wrapping [ErrLocked]. The lock is held until the returned Closer is
	// closed, or until its holder dies (the process, for [OSFS]; a simulated
	// crash, for an in-memory FS), so a crash never leaves dir locked. Close
	// releases it once; later calls return an error and do nothing.
	Lock(dir string) (io.Closer, error)
}

// File is an open file of an [FS].
type File interface {
	io.ReaderAt
	// Write writes at the file offset (at the end for O_APPEND). A short
	// write returns an error.
	io.Writer
	// WriteAt writes at offset off, growing the file (with zeros before off
	// if needed). A short write returns an error. The log writes segments
	// with it, never opening them O_APPEND.
	io.WriterAt
	// Sync makes the file's data durable (fdatasync where available).
	Sync() error
	// Truncate changes the size of the file.
	Truncate(size int64) error
	// Size returns the current size of the file.
	Size() (int64, error)
	Close() error
}

// OSFS is the [FS] of the operating system. Its zero value is ready to use.
type OSFS struct{}

var _ FS = OSFS{}

// OpenFile implements [FS].
func (OSFS) OpenFile(name string, flag int, perm fs.FileMode) (File, error) {
	f, err := os.OpenFile(name, flag, perm)
	if err != nil {
		return nil, err
	}
	return osFile{f}, nil
}

// Rename implements [FS].
func (OSFS) Rename(oldpath, newpath string) error { return os.Rename(oldpath, newpath) }

// Remove implements [FS].
func (OSFS) Remove(name string) error { return os.Remove(name) }

// ReadDir implements [FS].
func (OSFS) ReadDir(dir string) ([]string, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	names := make([]string, len(ents))
	for i, e := range ents {
		names[i] = e.Name()
	}
	slices.Sort(names)
	return names, nil
}

// MkdirAll implements [FS].
func (OSFS) MkdirAll(dir string, perm fs.FileMode) error { return os.MkdirAll(dir, perm) }

// SyncDir implements [FS]: it opens the directory and fsyncs it.
func (OSFS) SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

type osFile struct{ *os.File }

// Sync fdatasyncs the file (fsync where fdatasync does not exist).
func (f osFile) Sync() error { return fdatasync(f.File) }

// Size returns the file's size from fstat.
func (f osFile) Size() (int64, error) {
	fi, err := f.Stat()
	if err != nil {
		return 0, err
	}
	return fi.Size(), nil
}
