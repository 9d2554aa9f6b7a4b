package broker_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/brookmq/brook/broker"
	"github.com/brookmq/brook/stream"
	"github.com/brookmq/brook/wal"
	"github.com/brookmq/brook/wal/faultfs"
)

// batchOf returns n entries {"n": "<i>"}.
func batchOf(n int) [][]stream.Field {
	out := make([][]stream.Field, n)
	for i := range out {
		out[i] = fields("n", fmt.Sprint(i))
	}
	return out
}

func TestXAddBatch(t *testing.T) {
	const now = 100 // the fake clock's ms
	tests := []struct {
		name    string
		setup   func(t *testing.T, b *broker.Broker)
		entries [][]stream.Field
		o       broker.AddOptions
		want    []stream.ID // IDs returned (nil with wantErr)
		wantErr error
		wantLen int64 // XLen of "k" afterwards
	}{
		{name: "auto on a new key", entries: batchOf(3),
			want: []stream.ID{id(now, 0), id(now, 1), id(now, 2)}, wantLen: 3},
		{name: "auto after a later entry",
			setup:   func(t *testing.T, b *broker.Broker) { mustAdd(t, b, "k", id(500, 7), "a", "b") },
			entries: batchOf(2), want: []stream.ID{id(500, 8), id(500, 9)}, wantLen: 3},
		{name: "auto carries into the next ms",
			setup:   func(t *testing.T, b *broker.Broker) { mustAdd(t, b, "k", id(500, ^uint64(0)-1), "a", "b") },
			entries: batchOf(3), want: []stream.ID{id(500, ^uint64(0)), id(501, 0), id(501, 1)}, wantLen: 4},
		{name: "partial", entries: batchOf(2), o: broker.AddOptions{ID: stream.PartialID(7)},
			want: []stream.ID{id(7, 0), id(7, 1)}, wantLen: 2},
		{name: "partial out of sequences",
			setup:   func(t *testing.T, b *broker.Broker) { mustAdd(t, b, "k", id(7, ^uint64(0)-1), "a", "b") },
			entries: batchOf(2), o: broker.AddOptions{ID: stream.PartialID(7)},
			wantErr: stream.ErrTooLarge, wantLen: 1},
		{name: "explicit, one entry", entries: batchOf(1), o: broker.AddOptions{ID: stream.ExplicitID(id(3, 3))},
			want: []stream.ID{id(3, 3)}, wantLen: 1},
		{name: "explicit, two entries", entries: batchOf(2), o: broker.AddOptions{ID: stream.ExplicitID(id(3, 3))},
			wantErr: stream.ErrIDTooSmall},
		{name: "explicit too small",
			setup:   func(t *testing.T, b *broker.Broker) { mustAdd(t, b, "k", id(5, 0), "a", "b") },
			entries: batchOf(1), o: broker.AddOptions{ID: stream.ExplicitID(id(4, 0))},
			wantErr: stream.ErrIDTooSmall, wantLen: 1},
		{name: "exhausted midway",
			setup:   func(t *testing.T, b *broker.Broker) { mustAdd(t, b, "k", id(^uint64(0), ^uint64(0)-1), "a", "b") },
			entries: batchOf(2), wantErr: stream.ErrExhausted, wantLen: 1},
		{name: "nomkstream on a missing key", entries: batchOf(2), o: broker.AddOptions{NoMkStream: true},
			wantErr: broker.ErrNoStream},
		{name: "trim after the batch", entries: batchOf(4),
			setup: func(t *testing.T, b *broker.Broker) { mustAdd(t, b, "k", id(1, 0), "a", "b") },
			o:     broker.AddOptions{Trim: stream.Trim{Strategy: stream.TrimMaxLen, MaxLen: 2}},
			want:  []stream.ID{id(now, 0), id(now, 1), id(now, 2), id(now, 3)}, wantLen: 2},
		{name: "trim to nothing keeps the key", entries: batchOf(2),
			o:    broker.AddOptions{Trim: stream.Trim{Strategy: stream.TrimMaxLen}},
			want: []stream.ID{id(now, 0), id(now, 1)}, wantLen: 0},
		{name: "empty batch", entries: nil},
		{name: "too large", entries: slices.Repeat([][]stream.Field{fields("big", strings.Repeat("x", broker.MaxBatchBytes/4))}, 5),
			wantErr: broker.ErrBatchTooLarge},
		{name: "entry without fields midway", entries: [][]stream.Field{fields("a", "1"), nil, fields("c", "3")},
			setup:   func(t *testing.T, b *broker.Broker) { mustAdd(t, b, "k", id(1, 0), "a", "b") },
			wantErr: broker.ErrNoFields, wantLen: 1},
		{name: "entry without fields on a missing key", entries: [][]stream.Field{{}},
			wantErr: broker.ErrNoFields},
		{name: "unknown trim strategy", entries: batchOf(1), o: broker.AddOptions{Trim: stream.Trim{Strategy: 9}},
			setup:   func(t *testing.T, b *broker.Broker) { mustAdd(t, b, "k", id(1, 0), "a", "b") },
			wantErr: broker.ErrInvalidArgument, wantLen: 1},
		{name: "entry over the limits midway", entries: [][]stream.Field{fields("a", "1"), fields("big", strings.Repeat("x", broker.DefaultMaxEntryBytes)), fields("c", "3")},
			setup:   func(t *testing.T, b *broker.Broker) { mustAdd(t, b, "k", id(1, 0), "a", "b") },
			wantErr: broker.ErrEntryTooLarge, wantLen: 1},
	}
	eachKind(t, func(t *testing.T, k kind) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				b, _ := k.open(t, now)
				if tt.setup != nil {
					tt.setup(t, b)
				}
				before := entriesOf(t, b, "k")
				got, err := b.XAddBatch(context.Background(), "k", tt.entries, tt.o)
				if !errors.Is(err, tt.wantErr) || !slices.Equal(got, tt.want) {
					t.Fatalf("XAddBatch = %v, %v; want %v, %v", got, err, tt.want, tt.wantErr)
				}
				after := entriesOf(t, b, "k")
				if int64(len(after)) != tt.wantLen {
					t.Fatalf("XLen = %d, want %d", len(after), tt.wantLen)
				}
				if err != nil && !slices.EqualFunc(before, after, entryEqual) {
					t.Fatalf("a refused batch changed the stream: %v -> %v", before, after)
				}
				keys, kerr := b.Keys(context.Background())
				if kerr != nil {
					t.Fatal(kerr)
				}
				exists := slices.Contains(keys, "k")
				if wantExists := tt.setup != nil || (err == nil && len(tt.entries) > 0); exists != wantExists {
					t.Fatalf("key exists = %v, want %v", exists, wantExists)
				}
				checkBatchFields(t, after, tt.entries, got)
			})
		}
	})
}

// entriesOf returns every entry of key (none if missing).
func entriesOf(t *testing.T, b *broker.Broker, key string) []stream.Entry {
	t.Helper()
	es, err := b.XRange(context.Background(), key, stream.MinID, stream.MaxID, 0)
	if err != nil {
		t.Fatal(err)
	}
	return es
}

func entryEqual(a, b stream.Entry) bool {
	return a.ID == b.ID && slices.Equal(a.Fields, b.Fields)
}

// checkBatchFields checks that each surviving entry with an ID in ids holds
// the fields given for it.
func checkBatchFields(t *testing.T, es []stream.Entry, batch [][]stream.Field, ids []stream.ID) {
	t.Helper()
	for _, e := range es {
		if i := slices.Index(ids, e.ID); i >= 0 && !slices.Equal(e.Fields, batch[i]) {
			t.Fatalf("entry %v holds %v, want %v", e.ID, e.Fields, batch[i])
		}
	}
}

// TestXAddBatchWakesReader: a blocked XREAD gets the whole batch at once.
func TestXAddBatchWakesReader(t *testing.T) {
	eachKind(t, func(t *testing.T, k kind) {
		synctest.Test(t, func(t *testing.T) {
			b, _ := k.open(t, 1)
			defer b.Close()
			ctx := context.Background()
			c := start(xread(b, ctx, 0, broker.ReadStream{Key: "k", From: broker.Latest()}))
			if !c.blocked() {
				t.Fatalf("returned without data: %v", c.err)
			}
			if _, err := b.XAddBatch(ctx, "k", batchOf(3), broker.AddOptions{}); err != nil {
				t.Fatal(err)
			}
			got, err := c.result(t)
			if err != nil || got != "k:1-0,1-1,1-2" {
				t.Fatalf("blocked XREAD got %s, %v; want k:1-0,1-1,1-2", got, err)
			}
		})
	})
}

// TestXAddBatchConcurrent runs batches and single appends on one key from
// several goroutines: every call's IDs are consecutive in the stream and
// nothing is lost.
func TestXAddBatchConcurrent(t *testing.T) {
	eachKind(t, func(t *testing.T, k kind) {
		b, _ := k.open(t, 1)
		ctx := context.Background()
		const workers, rounds, size = 4, 20, 5
		results := make(chan []stream.ID, 2*workers*rounds) // batches and single appends
		var wg sync.WaitGroup
		for w := range workers {
			wg.Go(func() {
				for r := range rounds {
					ids, err := b.XAddBatch(ctx, "k", batchOf(size), broker.AddOptions{})
					if w%2 == 1 && r%2 == 1 { // some single appends in between
						var one stream.ID
						if one, err = b.XAdd(ctx, "k", fields("one", "1"), broker.AddOptions{}); err == nil {
							results <- []stream.ID{one}
						}
					}
					if err != nil {
						t.Error(err)
						return
					}
					results <- ids
				}
			})
		}
		wg.Wait()
		close(results)
		all := ids(entriesOf(t, b, "k"))
		total := 0
		for got := range results {
			total += len(got)
			i := slices.Index(all, got[0])
			if i < 0 || i+len(got) > len(all) || !slices.Equal(all[i:i+len(got)], got) {
				t.Fatalf("batch %v is not consecutive in the stream", got)
			}
		}
		if total != len(all) {
			t.Fatalf("stream holds %d entries, calls returned %d IDs", len(all), total)
		}
	})
}

// TestXAddBatchRecovery adds batches (with trimming, and snapshots taken
// in between), cuts the power and reopens: every acknowledged batch is
// there, as an in-memory twin that got the same calls shows.
func TestXAddBatchRecovery(t *testing.T) {
	for _, every := range []int64{-1, 512} {
		t.Run(fmt.Sprintf("snapshot every %d", every), func(t *testing.T) {
			ctx := context.Background()
			clock := newMsClock(1_000)
			fsys := faultfs.New(uint64(every))
			opts := broker.Options{Clock: clock.Now, Durability: broker.DurabilityOptions{
				FS: fsys, SnapshotEvery: every, SegmentSize: 1 << 10, Logf: t.Logf}}
			b := openDurable(t, "/data", opts)
			defer b.Close()
			twin := newBroker(t, broker.Options{Clock: clock.Now})
			for i := range 12 {
				o := broker.AddOptions{}
				if i%3 == 2 {
					o.Trim = stream.Trim{Strategy: stream.TrimMaxLen, MaxLen: 10}
				}
				key := fmt.Sprint("k", i%2)
				for _, br := range []*broker.Broker{b, twin} {
					if _, err := br.XAddBatch(ctx, key, batchOf(1+i%5), o); err != nil {
						t.Fatal(err)
					}
				}
				clock.advance(time.Millisecond)
			}
			want := observe(t, twin)
			again := openDurable(t, "/data", withFS(opts, fsys.Crash()))
			defer again.Close()
			if d := diffState(observe(t, again), want); d != "" {
				t.Fatalf("after power loss: %s", d)
			}
		})
	}
}

// TestXAddBatchAtomic fails the fsync of a batch, then cuts the power (the
// unsynced record torn at a random point): recovery finds the whole batch or
// none of it, never a part, and everything acknowledged before it.
func TestXAddBatchAtomic(t *testing.T) {
	ctx := context.Background()
	for seed := range uint64(24) {
		fsys := faultfs.New(seed)
		opts := broker.Options{Durability: broker.DurabilityOptions{FS: fsys, SnapshotEvery: -1, Logf: t.Logf}}
		b := openDurable(t, "/data", opts)
		acked, err := b.XAddBatch(ctx, "k", batchOf(3), broker.AddOptions{})
		if err != nil {
			t.Fatal(err)
		}
		fsys.FailSyncAfter(0, nil)
		if _, err := b.XAddBatch(ctx, "k", batchOf(int(8+seed)), broker.AddOptions{}); err == nil {
			t.Fatalf("seed %d: XAddBatch succeeded despite the failed fsync", seed)
		}
		crashed := fsys.Crash()
		b.Close()
		again := openDurable(t, "/data", withFS(opts, crashed))
		got := ids(entriesOf(t, again, "k"))
		again.Close()
		if !slices.Equal(got[:min(len(got), 3)], acked) || (len(got) != 3 && len(got) != 3+int(8+seed)) {
			t.Fatalf("seed %d: recovered %d entries %v; want the 3 acknowledged and all or none of the next %d",
				seed, len(got), got, 8+seed)
		}
	}
}

// A producer with many entries at hand adds them in one call: one lock, one
// log record and, on a durable broker, one wait for the disk.
func ExampleBroker_XAddBatch() {
	ctx := context.Background()
	b, err := broker.New(broker.Options{Clock: func() time.Time { return time.UnixMilli(1700000000000) }})
	if err != nil {
		panic(err)
	}
	defer b.Close()
	var readings [][]broker.Field
	for _, celsius := range []string{"21.5", "21.7", "21.6"} {
		readings = append(readings, []broker.Field{{Name: "celsius", Value: celsius}})
	}
	ids, err := b.XAddBatch(ctx, "sensor:1", readings, broker.AddOptions{})
	if err != nil {
		panic(err)
	}
	fmt.Println(ids)
	// Output: [1700000000000-0 1700000000000-1 1700000000000-2]
}

// TestXAddBatchPoisonedLog checks what remains of all-or-nothing when the
// log fails while writing a batch's record: the caller gets the log's
// error, nobody sees the entries afterwards, and reopening finds none of
// them (the record was torn).
func TestXAddBatchPoisonedLog(t *testing.T) {
	ctx := context.Background()
	fsys := faultfs.New(1)
	opts := broker.Options{Durability: broker.DurabilityOptions{FS: fsys, SnapshotEvery: -1, Logf: t.Logf}}
	b := openDurable(t, "/data", opts)
	defer b.Close()
	mustAdd(t, b, "k", id(1, 0), "a", "1")
	fsys.FailWriteAfter(0, nil)
	batch := [][]stream.Field{fields("b", "2"), fields("c", "3"), fields("d", strings.Repeat("x", 4096))}
	if _, err := b.XAddBatch(ctx, "k", batch, broker.AddOptions{}); !errors.Is(err, wal.ErrPoisoned) {
		t.Fatalf("XAddBatch over a failed write = %v, want wal.ErrPoisoned", err)
	}
	if got, err := b.XRange(ctx, "k", stream.MinID, stream.MaxID, 0); err == nil {
		t.Fatalf("XRange after the failure = %v, want an error", ids(got))
	}
	b.Close()
	b2 := openDurable(t, "/data", withFS(opts, fsys.Crash()))
	defer b2.Close()
	got, err := b2.XRange(ctx, "k", stream.MinID, stream.MaxID, 0)
	if err != nil {
		t.Fatal(err)
	}
	if want := []stream.ID{id(1, 0)}; !sameIDs(ids(got), want) {
		t.Fatalf("after reopening: %v, want %v", ids(got), want)
	}
}
