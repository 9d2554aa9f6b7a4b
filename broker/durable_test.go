package broker_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/brookmq/brook/broker"
	"github.com/brookmq/brook/stream"
	"github.com/brookmq/brook/wal"
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
