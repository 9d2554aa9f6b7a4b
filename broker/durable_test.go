package broker_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"

	"github.com/brookmq/brook/broker"
	"github.com/brookmq/brook/stream"
	"github.com/brookmq/brook/wal"
	"github.com/brookmq/brook/wal/faultfs"
)

// openDurable opens a durable broker in dir or fails the test.
func openDurable(t testing.TB, dir string, o broker.Options) *broker.Broker {
	t.Helper()
	if o.Durability.Logf == nil {
		o.Durability.Logf = t.Logf
	}
	b, err := broker.Open(dir, o)
	if err != nil {
		t.Fatalf("Open(%s): %v", dir, err)
	}
	return b
}

// envCount is the integer in the environment variable name, or def.
func envCount(t testing.TB, name string, def int) int {
	if s := os.Getenv(name); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			t.Fatalf("%s=%q: %v", name, s, err)
		}
		return n
	}
	return def
}

// TestDurableReopen runs a random workload on a durable broker, closes it
// and reopens it, several times, and checks that the reopened broker shows
// exactly the state the closed one showed: entries, IDs, last-generated-id,
// groups, last-delivered-id, entries-read, pending entries with their
// owners, delivery times and counts, and consumers.
func TestDurableReopen(t *testing.T) {
	tests := []struct {
		name string
		dur  broker.DurabilityOptions
	}{
		{"defaults", broker.DurabilityOptions{}},
		{"snapshot every 2 KiB, small segments", broker.DurabilityOptions{SnapshotEvery: 2 << 10, SegmentSize: 4 << 10}},
		{"no background snapshot", broker.DurabilityOptions{SnapshotEvery: -1, SegmentSize: 4 << 10}},
		{"fsync no", broker.DurabilityOptions{Fsync: wal.FsyncNo, SnapshotEvery: 8 << 10}},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			clock := newMsClock(1_700_000_000_000)
			w := newWorkload(uint64(i), clock)
			opts := broker.Options{Clock: clock.Now, Durability: tt.dur}
			ctx := context.Background()
			for round := range 4 {
				b := openDurable(t, dir, opts)
				for range 150 {
					if err := w.step(ctx, b); err != nil {
						b.Close()
						t.Fatalf("round %d step %d: %v", round, w.n, err)
					}
				}
				want := observe(t, b)
				if err := b.Close(); err != nil {
					t.Fatalf("Close: %v", err)
				}
				b = openDurable(t, dir, opts)
				got := observe(t, b)
				b.Close()
				if d := diffState(got, want); d != "" {
					t.Fatalf("round %d: after reopen: %s", round, d)
				}
			}
		})
	}
}

func TestOpenLocked(t *testing.T) {
	dir := t.TempDir()
	b := openDurable(t, dir, broker.Options{})
	if _, err := broker.Open(dir, broker.Options{}); !errors.Is(err, broker.ErrLocked) {
		t.Fatalf("second Open: err = %v, want ErrLocked", err)
	}
	if err := b.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	b = openDurable(t, dir, broker.Options{})
	if err := b.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
}

// TestOpenLockedFaultFS checks the lock on a test file system: a second Open
// on the same FS fails with ErrLocked (wrapping the FS's wal.ErrLocked); the
// FS a crash leaves is unlocked, as a dead process holds no flock.
func TestOpenLockedFaultFS(t *testing.T) {
	fsys := faultfs.New(1)
	o := broker.Options{Durability: broker.DurabilityOptions{FS: fsys}}
	b := openDurable(t, "/data", o)
	_, err := broker.Open("/data", o)
	if !errors.Is(err, broker.ErrLocked) || !errors.Is(err, wal.ErrLocked) {
		t.Fatalf("second Open: err = %v, want ErrLocked and wal.ErrLocked", err)
	}
	o.Durability.FS = fsys.Crash()
	after := openDurable(t, "/data", o)
	if err := after.Close(); err != nil {
		t.Fatalf("Close after crash: %v", err)
	}
	if err := b.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	o.Durability.FS = fsys
	b = openDurable(t, "/data", o)
	if err := b.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
}

func TestOpenCreatesPrivateDirectory(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a", "data")
	b := openDurable(t, dir, broker.Options{})
	defer b.Close()
	fi, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if perm := fi.Mode().Perm(); perm != 0o700 {
		t.Fatalf("data directory mode %v, want 0700", perm)
	}
}

// TestStreamNamesNeverPaths stores streams whose names look like paths and
// checks that no file is created outside the data directory's own names.
func TestStreamNamesNeverPaths(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "data")
	ctx := context.Background()
	names := []string{"../escape", "/abs", "a/b", "", "snap-00000000000000000001.snap", "\x00"}
	b := openDurable(t, dir, broker.Options{})
	for _, n := range names {
		if _, err := b.XAdd(ctx, n, []stream.Field{{Name: "f", Value: "v"}}, broker.AddOptions{}); err != nil {
			t.Fatalf("XAdd %q: %v", n, err)
		}
	}
	want := observe(t, b)
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	ents, err := os.ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	if len(ents) != 1 || ents[0].Name() != "data" {
		t.Fatalf("files next to the data directory: %v", ents)
	}
	b = openDurable(t, dir, broker.Options{})
	defer b.Close()
	if d := diffState(observe(t, b), want); d != "" {
		t.Fatal(d)
	}
}

// TestFsyncFailurePoisons checks the rule that a failed fsync is never
// retried: the write that hit it fails, every later write fails with the
// same sticky error, and a reopen shows exactly the acknowledged writes.
func TestFsyncFailurePoisons(t *testing.T) {
	ctx := context.Background()
	fsys := faultfs.New(1)
	opts := broker.Options{Durability: broker.DurabilityOptions{FS: fsys, SnapshotEvery: -1, Logf: t.Logf}}
	b := openDurable(t, "/data", opts)
	defer b.Close()
	add := func(v string) error {
		_, err := b.XAdd(ctx, "k", []stream.Field{{Name: "v", Value: v}}, broker.AddOptions{})
		return err
	}
	if err := add("acknowledged"); err != nil {
		t.Fatal(err)
	}
	fsys.FailSyncAfter(0, nil)
	if err := add("lost"); !errors.Is(err, wal.ErrPoisoned) {
		t.Fatalf("XAdd over a failed fsync: err = %v, want wal.ErrPoisoned", err)
	}
	for _, op := range []func() error{
		func() error { return add("refused") },
		func() error { return b.XGroupCreate(ctx, "k", "g", broker.GroupCreateOptions{}) },
	} {
		if err := op(); !errors.Is(err, wal.ErrPoisoned) {
			t.Fatalf("write after the failure: err = %v, want wal.ErrPoisoned", err)
		}
	}
	if err := b.Close(); !errors.Is(err, wal.ErrPoisoned) {
		t.Fatalf("Close: err = %v, want wal.ErrPoisoned", err)
	}
	b2 := openDurable(t, "/data", withFS(opts, fsys.Crash()))
	defer b2.Close()
	got, err := b2.XRange(ctx, "k", stream.MinID, stream.MaxID, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Fields[0].Value != "acknowledged" {
		t.Fatalf("after reopen: %v, want only the acknowledged entry", got)
	}
}

// TestDurableConcurrentSnapshots runs writers on several keys while
// background snapshots copy and write the streams (under the race detector
// this checks the copy-on-write clones), then reopens and compares.
func TestDurableConcurrentSnapshots(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	opts := broker.Options{Durability: broker.DurabilityOptions{SnapshotEvery: 4 << 10, SegmentSize: 8 << 10, Fsync: wal.FsyncNo}}
	b := openDurable(t, dir, opts)
	var wg sync.WaitGroup
	for w := range 4 {
		key := fmt.Sprintf("k%d", w)
		if err := b.XGroupCreate(ctx, key, "g", broker.GroupCreateOptions{MkStream: true}); err != nil {
			t.Fatal(err)
		}
		wg.Go(func() {
			for i := range 300 {
				if _, err := b.XAdd(ctx, key, []stream.Field{{Name: "i", Value: strconv.Itoa(i)}}, broker.AddOptions{}); err != nil {
					t.Error(err)
					return
				}
				if i%3 == 0 {
					if _, err := b.XReadGroup(ctx, "g", "c", []broker.ReadStream{{Key: key, From: broker.Undelivered()}}, broker.GroupReadOptions{Count: 2}); err != nil {
						t.Error(err)
						return
					}
				}
			}
		})
	}
	wg.Wait()
	want := observe(t, b)
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	b = openDurable(t, dir, opts)
	defer b.Close()
	if d := diffState(observe(t, b), want); d != "" {
		t.Fatal(d)
	}
	if n, _ := b.XLen(ctx, "k3"); n != 300 {
		t.Fatalf("XLen k3 = %d, want 300", n)
	}
}

// TestSyncRelaxedPolicies checks what the relaxed fsync policies promise:
// a write returns before its record reaches the OS, and Sync makes every
// acknowledged write survive a power loss.
func TestSyncRelaxedPolicies(t *testing.T) {
	ctx := context.Background()
	for _, policy := range []wal.FsyncPolicy{wal.FsyncEverySec, wal.FsyncNo} {
		t.Run(policy.String(), func(t *testing.T) {
			fsys := faultfs.New(7)
			opts := broker.Options{Durability: broker.DurabilityOptions{FS: fsys, Fsync: policy, Logf: t.Logf}}
			b := openDurable(t, "/data", opts)
			var ids []stream.ID
			for i := range 20 {
				id, err := b.XAdd(ctx, "s", []stream.Field{{Name: "i", Value: strconv.Itoa(i)}}, broker.AddOptions{})
				if err != nil {
					t.Fatal(err)
				}
				ids = append(ids, id)
			}
			if err := b.Sync(); err != nil {
				t.Fatal(err)
			}
			after := fsys.DropUnsynced() // the power goes out
			if err := b.Close(); err != nil {
				t.Fatal(err)
			}
			opts.Durability.FS = after
			b = openDurable(t, "/data", opts)
			defer b.Close()
			got, err := b.XRange(ctx, "s", stream.MinID, stream.MaxID, 0)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(ids) || got[len(got)-1].ID != ids[len(ids)-1] {
				t.Fatalf("after Sync and a power loss: %d entries, want %d", len(got), len(ids))
			}
		})
	}
}

// TestSyncInMemoryAndClosed: an in-memory broker has nothing to sync; a
// closed one says so.
func TestSyncInMemoryAndClosed(t *testing.T) {
	m := newBroker(t, broker.Options{})
	if err := m.Sync(); err != nil {
		t.Fatalf("in-memory Sync: %v", err)
	}
	m.Close()
	if err := m.Sync(); !errors.Is(err, broker.ErrClosed) {
		t.Fatalf("Sync after Close: %v, want ErrClosed", err)
	}
	d := openDurable(t, t.TempDir(), broker.Options{})
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	if err := d.Sync(); !errors.Is(err, broker.ErrClosed) {
		t.Fatalf("durable Sync after Close: %v, want ErrClosed", err)
	}
}
