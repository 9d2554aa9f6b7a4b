package broker_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/brookmq/brook/broker"
	"github.com/brookmq/brook/stream"
	"github.com/brookmq/brook/wal"
	"github.com/brookmq/brook/wal/faultfs"
)

// TestRelaxedBacklogBound checks the two halves of the relaxed policies'
// contract with a disk that stopped: a write does not wait for the log,
// until the log holds 8 MiB it could not write; then writers wait (ctx ends
// the wait: outcome unknown), so memory stays bounded. Once the disk
// answers again, every acknowledged write, and the unknown one, is there.
func TestRelaxedBacklogBound(t *testing.T) {
	fsys := faultfs.New(5)
	opts := broker.Options{Durability: broker.DurabilityOptions{FS: fsys, Fsync: wal.FsyncNo, SnapshotEvery: -1, Logf: t.Logf}}
	b := openDurable(t, "/data", opts)
	release := make(chan struct{})
	fsys.SetWriteHook(func(string) { <-release }) // the disk stops answering
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
	close(release)
	fsys.SetWriteHook(nil)
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	b = openDurable(t, "/data", opts)
	defer b.Close()
	if n, err := b.XLen(context.Background(), "s"); err != nil || n != int64(added+1) {
		t.Fatalf("after reopening: XLen %d, %v; want %d (the acknowledged writes and the one whose wait ended)", n, err, added+1)
	}
}
