package broker

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/brookmq/brook/stream"
	"github.com/brookmq/brook/wal"
)

// TestSnapshotPacing checks when the next snapshot is due: once the log grew
// by SnapshotEvery or by snapshotRatio times the size of the last snapshot,
// whichever is larger, so that snapshots of large streams do not rewrite
// them every few KiB of log. It holds after a snapshot and after a reopen.
func TestSnapshotPacing(t *testing.T) {
	const every = 1 << 10
	dir := t.TempDir()
	opts := Options{Durability: DurabilityOptions{SnapshotEvery: every, Fsync: wal.FsyncNo}}
	b, err := Open(dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	value := strings.Repeat("v", 1<<10)
	for range 64 {
		if _, err := b.XAdd(context.Background(), "s", []stream.Field{{Name: "f", Value: value}}, AddOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.jr.d.snapshot(); err != nil {
		t.Fatal(err)
	}
	size := newestSnapshotSize(t, dir)
	if size < 64<<10 {
		t.Fatalf("snapshot of 64 KiB of entries is %d bytes", size)
	}
	checkDue := func(d *durable) {
		t.Helper()
		due := snapshotRatio * size
		if got := d.due.Load(); got != due {
			t.Fatalf("due after a snapshot of %d bytes: %d, want %d", size, got, due)
		}
		d.pending.Store(0)
		if d.grew(due - 1) {
			t.Fatalf("a snapshot is due after %d of %d bytes", due-1, due)
		}
		if !d.grew(1) {
			t.Fatal("no snapshot due once the log grew by snapshotRatio times the last snapshot's size")
		}
		d.pending.Store(0)
	}
	checkDue(b.jr.d)
	if err := b.Close(); err != nil { // writes no new snapshot: nothing changed
		t.Fatal(err)
	}
	b, err = Open(dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	checkDue(b.jr.d)
}

func newestSnapshotSize(t *testing.T, dir string) int64 {
	t.Helper()
	names, err := filepath.Glob(filepath.Join(dir, "snap-*.snap"))
	if err != nil || len(names) == 0 {
		t.Fatalf("no snapshot in %s (%v)", dir, err)
	}
	fi, err := os.Stat(names[len(names)-1])
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}
