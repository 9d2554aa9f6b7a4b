package broker_test

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/brookmq/brook/broker"
	"github.com/brookmq/brook/wal/faultfs"
)

// fsOps is a file system that records directory fsyncs and renames, in
// order, as "sync DIR" and "rename OLD NEW".
type fsOps struct {
	*faultfs.FS
	mu  sync.Mutex
	ops []string
}

func (f *fsOps) record(op string) {
	f.mu.Lock()
	f.ops = append(f.ops, op)
	f.mu.Unlock()
}

func (f *fsOps) SyncDir(dir string) error {
	f.record("sync " + dir)
	return f.FS.SyncDir(dir)
}

func (f *fsOps) Rename(oldpath, newpath string) error {
	f.record("rename " + oldpath + " " + newpath)
	return f.FS.Rename(oldpath, newpath)
}

// TestOpenSyncsNewDataDirectory checks that Open makes the data directory
// and the log directory it creates durable, with their parents' entries.
func TestOpenSyncsNewDataDirectory(t *testing.T) {
	fsys := &fsOps{FS: faultfs.New(1)}
	b, err := broker.Open("/srv/brook/data", broker.Options{Durability: broker.DurabilityOptions{FS: fsys, Logf: t.Logf}})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer b.Close()
	for _, d := range []string{"/srv/brook/data/wal", "/srv/brook/data", "/srv/brook", "/srv", "/"} {
		if !slices.Contains(fsys.ops, "sync "+d) {
			t.Errorf("Open did not fsync %s (ops %q)", d, fsys.ops)
		}
	}
}

// TestBrokenSnapshotRenameSynced checks that recovery fsyncs the data
// directory after setting a damaged snapshot aside, so a power loss cannot
// bring it back under its name.
func TestBrokenSnapshotRenameSynced(t *testing.T) {
	ctx := context.Background()
	base := faultfs.New(1)
	o := broker.Options{Durability: broker.DurabilityOptions{FS: base, Logf: t.Logf, SnapshotEvery: -1}}
	b, err := broker.Open("/data", o)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	if _, err := b.XAdd(ctx, "k", fields("f", "v"), broker.AddOptions{}); err != nil {
		t.Fatalf("XAdd: %v", err)
	}
	if err := b.Close(); err != nil { // writes the snapshot
		t.Fatalf("Close: %v", err)
	}
	names, _ := base.ReadDir("/data")
	var snap string
	for _, n := range names {
		if strings.HasSuffix(n, ".snap") {
			snap = "/data/" + n
		}
	}
	if snap == "" {
		t.Fatalf("no snapshot in %q", names)
	}
	if err := base.FlipBit(snap, 20, 3); err != nil {
		t.Fatal(err)
	}
	fsys := &fsOps{FS: base}
	o.Durability.FS = fsys
	b, err = broker.Open("/data", o)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer b.Close()
	i := slices.Index(fsys.ops, "rename "+snap+" "+snap+".broken")
	if i < 0 {
		t.Fatalf("snapshot not set aside (ops %q)", fsys.ops)
	}
	if !slices.Contains(fsys.ops[i+1:], "sync /data") {
		t.Fatalf("no fsync of /data after the rename (ops %q)", fsys.ops)
	}
}
