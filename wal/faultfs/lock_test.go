package faultfs_test

import (
	"errors"
	"io"
	"io/fs"
	"testing"

	"github.com/brookmq/brook/wal"
	"github.com/brookmq/brook/wal/faultfs"
)

// TestLock checks the in-memory directory lock: exclusive per FS, released
// by Close and by every kind of crash, and independent between instances.
func TestLock(t *testing.T) {
	f := faultfs.New(1)
	if err := f.MkdirAll(d, 0o700); err != nil {
		t.Fatal(err)
	}
	l := lock(t, f, d)
	if _, err := f.Lock(d + "/"); !errors.Is(err, wal.ErrLocked) {
		t.Fatalf("second Lock: err = %v, want ErrLocked", err)
	}
	other := faultfs.New(1)
	if err := other.MkdirAll(d, 0o700); err != nil {
		t.Fatal(err)
	}
	lock(t, other, d) // another FS has its own locks
	for name, crash := range map[string]func() *faultfs.FS{
		"Crash": f.Crash, "DropUnsynced": f.DropUnsynced, "Kill": f.Kill,
	} {
		if err := lock(t, crash(), d).Close(); err != nil {
			t.Errorf("after %s: unlock: %v", name, err)
		}
	}
	if _, err := f.Lock(d); !errors.Is(err, wal.ErrLocked) {
		t.Fatalf("Lock after the crashes, on the FS still running: err = %v, want ErrLocked", err)
	}
	if err := l.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := l.Close(); !errors.Is(err, fs.ErrClosed) {
		t.Fatalf("second Close: err = %v, want fs.ErrClosed", err)
	}
	l = lock(t, f, d)
	if err := l.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if _, err := f.Lock("/missing"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Lock of a missing directory: err = %v, want ErrNotExist", err)
	}
}

func lock(t *testing.T, f *faultfs.FS, dir string) io.Closer {
	t.Helper()
	l, err := f.Lock(dir)
	if err != nil {
		t.Fatalf("Lock %s: %v", dir, err)
	}
	return l
}
