package broker_test

import (
	"context"
	"errors"
	"io/fs"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/brookmq/brook/broker"
	"github.com/brookmq/brook/stream"
	"github.com/brookmq/brook/wal"
	"github.com/brookmq/brook/wal/faultfs"
)

// stuckFS makes every positioned write to a log segment wait, once stuck
// is set, until release is closed: a disk that stopped answering.
type stuckFS struct {
	*faultfs.FS
	stuck   atomic.Bool
	release chan struct{}
}

func (f *stuckFS) OpenFile(name string, flag int, perm fs.FileMode) (wal.File, error) {
	h, err := f.FS.OpenFile(name, flag, perm)
	if err != nil || !strings.HasSuffix(name, ".wal") {
		return h, err
	}
	return stuckFile{h, f}, nil
}

type stuckFile struct {
	wal.File
	fs *stuckFS
}

func (h stuckFile) WriteAt(p []byte, off int64) (int, error) {
	if h.fs.stuck.Load() {
		<-h.fs.release
	}
	return h.File.WriteAt(p, off)
}

// TestRelaxedBacklogBound checks the two halves of the relaxed policies'
// contract with a disk that stopped: a write does not wait for the log,
// until the log holds 8 MiB it could not write; then writers wait (ctx ends
// the wait: outcome unknown), so memory stays bounded. Once the disk
// answers again, every acknowledged write, and the unknown one, is there.
func TestRelaxedBacklogBound(t *testing.T) {
	fsys := &stuckFS{FS: faultfs.New(5), release: make(chan struct{})}
	opts := broker.Options{Durability: broker.DurabilityOptions{FS: fsys, Fsync: wal.FsyncNo, SnapshotEvery: -1, Logf: t.Logf}}
	b := openDurable(t, "/data", opts)
	fsys.stuck.Store(true)
	value := strings.Repeat("v", 64<<10)
	fields := []stream.Field{{Name: "f", Value: value}}
	added := 0
	for ; added < 300; added++ {
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		_, err := b.XAdd(ctx, "s", fields, broker.AddOptions{})
		cancel()
		if err != nil {
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("XAdd %d: %v", added, err)
			}
			break
		}
	}
	// 100 entries of 64 KiB are below the bound: none of them waited.
	if added < 100 || added == 300 {
		t.Fatalf("%d writes returned before one waited for the stuck disk; want the wait once about 8 MiB are held", added)
	}
	close(fsys.release)
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	b = openDurable(t, "/data", opts)
	defer b.Close()
	if n, err := b.XLen(context.Background(), "s"); err != nil || n != int64(added+1) {
		t.Fatalf("after reopening: XLen %d, %v; want %d (the acknowledged writes and the one whose wait ended)", n, err, added+1)
	}
}
