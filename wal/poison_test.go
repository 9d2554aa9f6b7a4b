package wal_test

import (
	"context"
	"errors"
	"syscall"
	"testing"

	"github.com/brookmq/brook/wal"
	"github.com/brookmq/brook/wal/faultfs"
)

// TestPoison checks that a write or fsync failure poisons the log: the
// waiter sees it, every later call returns the same sticky error wrapping
// ErrPoisoned and the cause, and the log never touches the disk again (an
// fsync is never retried).
func TestPoison(t *testing.T) {
	for _, tc := range []struct {
		name  string
		arm   func(*faultfs.FS)
		cause error
	}{
		{"fsync fails", func(f *faultfs.FS) { f.FailSyncAfter(0, nil) }, faultfs.ErrInjected},
		{"write fails part way", func(f *faultfs.FS) { f.FailWriteAfter(0, nil) }, faultfs.ErrInjected},
		{"disk full", func(f *faultfs.FS) { f.SetSpace(100) }, syscall.ENOSPC},
		{"segment creation fails", func(f *faultfs.FS) { f.FailDirSyncAfter(0, nil) }, faultfs.ErrInjected},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fsys := newFS(7)
			l := openT(t, fsys, wal.Options{SegmentSize: 100})
			appendN(t, l, 1)
			tc.arm(fsys)
			ctx := context.Background()
			var err error
			for range 3 { // enough to roll a segment of 100 bytes
				var pos uint64
				if pos, err = l.Append(payload(l.LastPos() + 1)); err != nil {
					break
				}
				if err = l.Wait(ctx, pos); err != nil {
					break
				}
			}
			if !errors.Is(err, wal.ErrPoisoned) || !errors.Is(err, tc.cause) {
				t.Fatalf("error after the fault: %v, want ErrPoisoned and %v", err, tc.cause)
			}
			ops := fsys.Stats()
			_, aerr := l.Append([]byte("x"))
			for name, got := range map[string]error{
				// Wait for a position not durable: one that was (its fsync
				// succeeded before a later write, such as a synced-through
				// mark, failed) is durable and Wait rightly says so.
				"Append": aerr, "Wait": l.Wait(ctx, l.LastPos()+1), "Sync": l.Sync(),
				"TruncateFront": l.TruncateFront(2), "Err": l.Err(), "Close": l.Close(),
			} {
				if got == nil || got.Error() != err.Error() {
					t.Errorf("%s on a poisoned log: %v, want the sticky %v", name, got, err)
				}
			}
			if after := fsys.Stats(); after != ops {
				t.Errorf("the poisoned log kept doing I/O: %+v, then %+v", ops, after)
			}
			l = openT(t, fsys.Crash(), wal.Options{})
			defer closeT(t, l)
			if _, last := replayAll(t, l); last < 1 {
				t.Fatalf("the acknowledged record was lost: LastPos %d", last)
			}
		})
	}
}

// TestTruncateFrontDirSyncFails checks that a failed directory fsync while
// deleting segments poisons the log.
func TestTruncateFrontDirSyncFails(t *testing.T) {
	fsys := newFS(8)
	l := openT(t, fsys, wal.Options{SegmentSize: 100})
	appendN(t, l, 5)
	fsys.FailDirSyncAfter(0, nil)
	err := l.TruncateFront(5)
	if !errors.Is(err, wal.ErrPoisoned) || !errors.Is(err, faultfs.ErrInjected) {
		t.Fatalf("TruncateFront with a failing directory fsync: %v", err)
	}
	if err := l.Close(); !errors.Is(err, wal.ErrPoisoned) {
		t.Fatalf("Close: %v, want the sticky error", err)
	}
}
