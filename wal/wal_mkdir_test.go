package wal_test

import (
	"slices"
	"sync"
	"testing"

	"github.com/brookmq/brook/wal"
	"github.com/brookmq/brook/wal/faultfs"
)

// dirSyncs is a file system that records the directories it fsyncs.
type dirSyncs struct {
	*faultfs.FS
	mu     sync.Mutex
	synced []string
}

func (d *dirSyncs) SyncDir(dir string) error {
	d.mu.Lock()
	d.synced = append(d.synced, dir)
	d.mu.Unlock()
	return d.FS.SyncDir(dir)
}

// TestMkdirAllSyncs checks that every directory MkdirAll creates is fsynced,
// deepest first, and so is the parent of the topmost one (which holds its
// entry): otherwise a fresh log directory can vanish on power loss.
func TestMkdirAllSyncs(t *testing.T) {
	tests := []struct {
		name     string
		existing string // created beforehand
		dir      string
		want     []string
	}{
		{"exists", "/data/wal", "/data/wal", nil},
		{"one new", "/data", "/data/wal", []string{"/data/wal", "/data"}},
		{"nested new", "", "/a/b/wal", []string{"/a/b/wal", "/a/b", "/a", "/"}},
		{"relative", "", "wal", []string{"wal", "."}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fsys := &dirSyncs{FS: faultfs.New(1)}
			if tc.existing != "" {
				if err := fsys.FS.MkdirAll(tc.existing, 0o700); err != nil {
					t.Fatal(err)
				}
			}
			if err := wal.MkdirAll(fsys, tc.dir, 0o700); err != nil {
				t.Fatalf("MkdirAll: %v", err)
			}
			if !slices.Equal(fsys.synced, tc.want) {
				t.Fatalf("synced %q, want %q", fsys.synced, tc.want)
			}
		})
	}
}

// TestOpenSyncsNewDirectory checks that Open makes a log directory it
// creates durable, with its parent's entry for it.
func TestOpenSyncsNewDirectory(t *testing.T) {
	fsys := &dirSyncs{FS: faultfs.New(1)}
	if err := fsys.FS.MkdirAll("/data", 0o700); err != nil {
		t.Fatal(err)
	}
	l := openT(t, fsys, wal.Options{})
	defer l.Close()
	for _, d := range []string{"/data/wal", "/data"} {
		if !slices.Contains(fsys.synced, d) {
			t.Errorf("Open did not fsync %s (synced %q)", d, fsys.synced)
		}
	}
}
