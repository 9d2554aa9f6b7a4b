package wal_test

import (
	"context"
	"errors"
	"path"
	"testing"

	"github.com/brookmq/brook/wal"
)

// TestBackgroundSyncDoesNotStallWrites: under the relaxed policies a sync
// (here, one a Sync asked for) runs beside the flusher, which goes on
// writing the records appended meanwhile.
func TestBackgroundSyncDoesNotStallWrites(t *testing.T) {
	for _, policy := range []wal.FsyncPolicy{wal.FsyncEverySec, wal.FsyncNo} {
		t.Run(policy.String(), func(t *testing.T) {
			fsys := newFS(31)
			l := openT(t, fsys, wal.Options{Fsync: policy})
			defer closeT(t, l)
			appendN(t, l, 1)
			entered, release := holdFirstSync(fsys)
			synced := make(chan error, 1)
			go func() { synced <- l.Sync() }()
			<-entered         // the sync of record 1 is held
			appendN(t, l, 10) // Wait: written to the OS while the sync is held
			select {
			case err := <-synced:
				t.Fatalf("Sync returned while its fdatasync was held: %v", err)
			default:
			}
			close(release)
			if err := <-synced; err != nil {
				t.Fatal(err)
			}
			if err := l.Sync(); err != nil {
				t.Fatal(err)
			}
			c := openT(t, fsys.DropUnsynced(), wal.Options{})
			defer closeT(t, c)
			if c.LastPos() != 11 {
				t.Fatalf("after Sync and a power loss the log ends at %d, want 11", c.LastPos())
			}
		})
	}
}

// TestBackgroundSyncFailure: a failed background sync poisons the log.
func TestBackgroundSyncFailure(t *testing.T) {
	fsys := newFS(32)
	l := openT(t, fsys, wal.Options{Fsync: wal.FsyncNo})
	appendN(t, l, 3)
	fsys.FailSyncAfter(0, nil)
	if err := l.Sync(); !errors.Is(err, wal.ErrPoisoned) {
		t.Fatalf("Sync with a failing fdatasync: %v, want ErrPoisoned", err)
	}
	if _, err := l.Append(payload(4)); !errors.Is(err, wal.ErrPoisoned) {
		t.Fatalf("Append after a failed sync: %v, want ErrPoisoned", err)
	}
	if err := l.Wait(context.Background(), 3); !errors.Is(err, wal.ErrPoisoned) && err != nil {
		t.Fatalf("Wait: %v", err)
	}
	if err := l.Close(); !errors.Is(err, wal.ErrPoisoned) {
		t.Fatalf("Close: %v, want ErrPoisoned", err)
	}
}

// TestAppendFunc: a record encoded in place reads back like an appended
// one; one over the limit is refused and leaves no trace.
func TestAppendFunc(t *testing.T) {
	fsys := newFS(33)
	l := openT(t, fsys, wal.Options{MaxRecordSize: 64})
	appendN(t, l, 1)
	pos, err := l.AppendFunc(func(b []byte) []byte { return append(b, payload(2)...) })
	if err != nil || pos != 2 {
		t.Fatalf("AppendFunc = %d, %v", pos, err)
	}
	if _, err := l.AppendFunc(func(b []byte) []byte { return append(b, make([]byte, 65)...) }); !errors.Is(err, wal.ErrTooLarge) {
		t.Fatalf("AppendFunc of 65 bytes: %v, want ErrTooLarge", err)
	}
	appendN(t, l, 1)
	closeT(t, l)
	l = openT(t, fsys, wal.Options{})
	defer closeT(t, l)
	if first, last := replayAll(t, l); first != 1 || last != 3 {
		t.Fatalf("replay %d..%d, want 1..3", first, last)
	}
}

// TestBackgroundSyncMarkOnClose: after background syncs covered every
// record, Close's mark says so: synced records later replaced by zeros are
// corruption, not a clean end of the log.
func TestBackgroundSyncMarkOnClose(t *testing.T) {
	for _, policy := range []wal.FsyncPolicy{wal.FsyncEverySec, wal.FsyncNo} {
		t.Run(policy.String(), func(t *testing.T) {
			fsys := newFS(34)
			l := openT(t, fsys, wal.Options{Fsync: policy})
			appendN(t, l, 5)
			if err := l.Sync(); err != nil { // a background sync
				t.Fatal(err)
			}
			closeT(t, l)
			offs := frameStarts(1, 5)
			if err := fsys.ZeroRange(path.Join(dir, segName(1)), offs[4], offs[5]-offs[4]); err != nil {
				t.Fatal(err)
			}
			if l, err := wal.Open(dir, wal.Options{FS: fsys}); !errors.Is(err, wal.ErrCorrupt) {
				if err == nil {
					l.Close()
				}
				t.Fatalf("Open with the last synced record zeroed: %v, want ErrCorrupt", err)
			}
		})
	}
}
