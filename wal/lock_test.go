package wal_test

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"testing"

	"github.com/brookmq/brook/wal"
)

// lockChildEnv names the directory a child process of TestLockOtherProcess
// tries to lock.
const lockChildEnv = "BROOK_WAL_LOCK_CHILD"

// lockChild tries to lock dir and exits 0 if it holds the lock, 3 if the
// lock is taken, 2 on any other error.
func lockChild(dir string) {
	l, err := wal.OSFS{}.Lock(dir)
	switch {
	case errors.Is(err, wal.ErrLocked):
		os.Exit(3)
	case err != nil:
		fmt.Fprintln(os.Stderr, "child:", err)
		os.Exit(2)
	}
	l.Close()
	os.Exit(0)
}

// TestLockOS checks flock in one process: a second Lock of the directory
// fails with ErrLocked until the first is closed.
func TestLockOS(t *testing.T) {
	dir := t.TempDir()
	l, err := wal.OSFS{}.Lock(dir)
	if errors.Is(err, errors.ErrUnsupported) {
		t.Skip(err)
	}
	if err != nil {
		t.Fatalf("Lock: %v", err)
	}
	if _, err := (wal.OSFS{}).Lock(dir); !errors.Is(err, wal.ErrLocked) {
		t.Fatalf("second Lock: err = %v, want ErrLocked", err)
	}
	if err := l.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := l.Close(); !errors.Is(err, fs.ErrClosed) {
		t.Fatalf("second Close: err = %v, want fs.ErrClosed", err)
	}
	l, err = wal.OSFS{}.Lock(dir)
	if err != nil {
		t.Fatalf("Lock after Close: %v", err)
	}
	l.Close()
	if _, err := (wal.OSFS{}).Lock(dir + "/missing"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Lock of a missing directory: err = %v, want ErrNotExist", err)
	}
}

// TestLockOtherProcess checks that another process cannot lock a directory
// this one holds, and can once it is released.
func TestLockOtherProcess(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	dir := t.TempDir()
	l, err := wal.OSFS{}.Lock(dir)
	if errors.Is(err, errors.ErrUnsupported) {
		t.Skip(err)
	}
	if err != nil {
		t.Fatalf("Lock: %v", err)
	}
	if code := runLockChild(t, dir); code != 3 {
		t.Fatalf("child while locked: exit code %d, want 3 (ErrLocked)", code)
	}
	l.Close()
	if code := runLockChild(t, dir); code != 0 {
		t.Fatalf("child after unlock: exit code %d, want 0", code)
	}
}

// runLockChild runs lockChild on dir in a new process and returns its exit
// code.
func runLockChild(t *testing.T, dir string) int {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), lockChildEnv+"="+dir)
	cmd.Stderr = os.Stderr
	err := cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode()
	}
	if err != nil {
		t.Fatalf("child: %v", err)
	}
	return 0
}
