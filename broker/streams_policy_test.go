package broker_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/brookmq/brook/broker"
	"github.com/brookmq/brook/stream"
	"github.com/brookmq/brook/wal/faultfs"
)

// reopenFS closes b, a durable broker on fsys, and opens the directory
// again on the same clock: what a restart keeps.
func reopenFS(t *testing.T, b *broker.Broker, fsys *faultfs.FS, clk *fakeClock) *broker.Broker {
	t.Helper()
	if err := b.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	nb, err := broker.Open("/data", broker.Options{Clock: clk.Now, Durability: broker.DurabilityOptions{FS: fsys, Logf: t.Logf}})
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	t.Cleanup(func() { nb.Close() })
	return nb
}

// restart is reopenFS for a durable broker and b itself for one in memory.
func restart(t *testing.T, k kind, b *broker.Broker, fsys *faultfs.FS, clk *fakeClock) *broker.Broker {
	t.Helper()
	if !k.durable {
		return b
	}
	return reopenFS(t, b, fsys, clk)
}

func idmp(pid, iid string) broker.AddOptions {
	return broker.AddOptions{Idempotency: broker.Idempotency{Producer: pid, ID: iid}}
}

func mustXAdd(t *testing.T, b *broker.Broker, key string, o broker.AddOptions, kv ...string) stream.ID {
	t.Helper()
	got, err := b.XAdd(context.Background(), key, fields(kv...), o)
	if err != nil {
		t.Fatalf("XAdd %s: %v", key, err)
	}
	return got
}

func idmpInfo(t *testing.T, b *broker.Broker, key string) broker.IdmpInfo {
	t.Helper()
	in, err := b.XInfoStream(context.Background(), key)
	if err != nil {
		t.Fatalf("XInfoStream: %v", err)
	}
	return in.Idmp
}

// TestXAddIdempotent is the note's example: the duplicate returns the
// original ID, appends nothing and is counted, also after a restart.
func TestXAddIdempotent(t *testing.T) {
	eachKind(t, func(t *testing.T, k kind) {
		b, clk, fsys := k.openFS(t, 1700000000000)
		first := mustXAdd(t, b, "s", idmp("p1", "ord-7"), "amt", "100")
		clk.Advance(time.Millisecond)
		if got := mustXAdd(t, b, "s", idmp("p1", "ord-7"), "amt", "999"); got != first || first != id(1700000000000, 0) {
			t.Fatalf("duplicate = %s, first %s", got, first)
		}
		want := broker.IdmpInfo{Duration: 100 * time.Second, MaxSize: 100, PidsTracked: 1, IidsTracked: 1, IidsAdded: 1, IidsDuplicates: 1}
		if got := idmpInfo(t, b, "s"); got != want {
			t.Fatalf("info %+v, want %+v", got, want)
		}
		b = restart(t, k, b, fsys, clk)
		if got := mustXAdd(t, b, "s", idmp("p1", "ord-7"), "amt", "1"); got != first {
			t.Fatalf("duplicate after restart = %s, want %s", got, first)
		}
		want.IidsDuplicates = 2
		if got := idmpInfo(t, b, "s"); got != want {
			t.Fatalf("info after restart %+v, want %+v", got, want)
		}
		if n, _ := b.XLen(context.Background(), "s"); n != 1 {
			t.Fatalf("XLen %d", n)
		}
	})
}

// TestXAddIdempotentNeitherTrimsNorCreates: a duplicate with MAXLEN trims
// nothing; one after XDEL still answers the deleted entry's ID; NOMKSTREAM
// on a missing key is ErrNoStream.
func TestXAddIdempotentNeitherTrimsNorCreates(t *testing.T) {
	eachKind(t, func(t *testing.T, k kind) {
		b, clk := k.open(t, 1000)
		ctx := context.Background()
		a := mustXAdd(t, b, "s", idmp("p", "a"), "x", "1")
		clk.Advance(time.Millisecond)
		mustXAdd(t, b, "s", broker.AddOptions{}, "x", "2")
		o := idmp("p", "a")
		o.Trim = stream.Trim{Strategy: stream.TrimMaxLen, MaxLen: 0}
		if got := mustXAdd(t, b, "s", o, "x", "3"); got != a {
			t.Fatalf("duplicate = %s, want %s", got, a)
		}
		if n, _ := b.XLen(ctx, "s"); n != 2 {
			t.Fatalf("the duplicate trimmed: XLen %d", n)
		}
		if _, err := b.XDel(ctx, "s", a); err != nil {
			t.Fatal(err)
		}
		if got := mustXAdd(t, b, "s", idmp("p", "a"), "x", "4"); got != a {
			t.Fatalf("duplicate after XDEL = %s, want %s", got, a)
		}
		o = idmp("p", "a")
		o.NoMkStream = true
		if _, err := b.XAdd(ctx, "missing", fields("x", "1"), o); !errors.Is(err, broker.ErrNoStream) {
			t.Fatalf("NOMKSTREAM on a missing key: %v", err)
		}
	})
}

func TestXAddIdempotencyErrors(t *testing.T) {
	b, _ := memory.open(t, 1000)
	ctx := context.Background()
	for name, o := range map[string]broker.AddOptions{
		"no producer":  {Idempotency: broker.Idempotency{ID: "i"}},
		"auto, no pid": {Idempotency: broker.Idempotency{Auto: true}},
		"no iid":       {Idempotency: broker.Idempotency{Producer: "p"}},
		"iid and auto": {Idempotency: broker.Idempotency{Producer: "p", ID: "i", Auto: true}},
		"explicit ID":  {ID: broker.ExplicitID(id(5, 0)), Idempotency: broker.Idempotency{Producer: "p", ID: "i"}},
		"partial ID":   {ID: broker.PartialID(5), Idempotency: broker.Idempotency{Producer: "p", Auto: true}},
	} {
		if _, err := b.XAdd(ctx, "s", fields("f", "v"), o); !errors.Is(err, broker.ErrInvalidArgument) {
			t.Errorf("%s: %v, want ErrInvalidArgument", name, err)
		}
	}
	if _, err := b.XAddBatch(ctx, "s", [][]stream.Field{fields("f", "v")}, idmp("p", "i")); !errors.Is(err, broker.ErrInvalidArgument) {
		t.Errorf("XAddBatch with Idempotency: %v", err)
	}
	if n, _ := b.Exists(ctx, "s"); n != 0 {
		t.Fatal("a refused XAdd created the key")
	}
}

func TestXAddIdempotentProducersAndEviction(t *testing.T) {
	eachKind(t, func(t *testing.T, k kind) {
		b, clk, fsys := k.openFS(t, 1000)
		ctx := context.Background()
		mustXAdd(t, b, "s", broker.AddOptions{}, "x", "0")
		if err := b.XCfgSet(ctx, "s", broker.StreamConfig{IdmpMaxSize: 2}); err != nil {
			t.Fatal(err)
		}
		var p1 []stream.ID
		for i := range 3 {
			clk.Advance(time.Millisecond)
			p1 = append(p1, mustXAdd(t, b, "s", idmp("p1", fmt.Sprint(i)), "x", "1"))
			mustXAdd(t, b, "s", idmp("p2", fmt.Sprint(i)), "x", "1") // same iids, another producer
		}
		want := broker.IdmpInfo{Duration: 100 * time.Second, MaxSize: 2, PidsTracked: 2, IidsTracked: 4, IidsAdded: 6}
		if got := idmpInfo(t, b, "s"); got != want {
			t.Fatalf("info %+v, want %+v", got, want)
		}
		b = restart(t, k, b, fsys, clk)
		// "0" was evicted: appended again; "1" and "2" are duplicates.
		if got := mustXAdd(t, b, "s", idmp("p1", "0"), "x", "1"); got == p1[0] {
			t.Fatal("an evicted iid was deduplicated")
		}
		if got := mustXAdd(t, b, "s", idmp("p1", "2"), "x", "1"); got != p1[2] {
			t.Fatalf("p1/2 = %s, want %s", got, p1[2])
		}
		// "1" was evicted by the re-added "0" (FIFO): appended again.
		if got := mustXAdd(t, b, "s", idmp("p1", "1"), "x", "1"); got == p1[1] {
			t.Fatal("the oldest iid was not evicted")
		}
	})
}

func TestXAddIdmpAutoIgnoresFieldOrder(t *testing.T) {
	eachKind(t, func(t *testing.T, k kind) {
		b, clk, fsys := k.openFS(t, 1000)
		auto := broker.AddOptions{Idempotency: broker.Idempotency{Producer: "p", Auto: true}}
		first := mustXAdd(t, b, "s", auto, "a", "1", "b", "2")
		clk.Advance(time.Millisecond)
		b = restart(t, k, b, fsys, clk)
		if got := mustXAdd(t, b, "s", auto, "b", "2", "a", "1"); got != first {
			t.Fatalf("reordered fields = %s, want the duplicate of %s", got, first)
		}
		if got := mustXAdd(t, b, "s", auto, "a", "2", "b", "1"); got == first {
			t.Fatal("different values were deduplicated")
		}
	})
}

func TestXCfgSet(t *testing.T) {
	eachKind(t, func(t *testing.T, k kind) {
		b, clk, fsys := k.openFS(t, 1000)
		ctx := context.Background()
		if err := b.XCfgSet(ctx, "s", broker.StreamConfig{IdmpMaxSize: 5}); !errors.Is(err, broker.ErrNoStream) {
			t.Fatalf("missing key: %v", err)
		}
		a := mustXAdd(t, b, "s", idmp("p", "a"), "x", "1")
		mustXAdd(t, b, "s", idmp("p", "a"), "x", "1")
		for name, c := range map[string]broker.StreamConfig{
			"nothing":           {},
			"duration 0.5 s":    {IdmpDuration: 500 * time.Millisecond},
			"duration 1.5 s":    {IdmpDuration: 1500 * time.Millisecond},
			"duration 86401 s":  {IdmpDuration: 86401 * time.Second},
			"negative duration": {IdmpDuration: -time.Second},
			"max size 10001":    {IdmpMaxSize: 10001},
			"negative max size": {IdmpMaxSize: -1},
			"negative maxlen":   {RetentionMaxLen: new(int64(-1))},
			"sub-ms max age":    {RetentionMaxAge: new(time.Duration(time.Microsecond))},
		} {
			if err := b.XCfgSet(ctx, "s", c); !errors.Is(err, broker.ErrInvalidArgument) {
				t.Errorf("%s: %v, want ErrInvalidArgument", name, err)
			}
		}
		// The same values: nothing forgotten.
		if err := b.XCfgSet(ctx, "s", broker.StreamConfig{IdmpDuration: 100 * time.Second, IdmpMaxSize: 100}); err != nil {
			t.Fatal(err)
		}
		if got := mustXAdd(t, b, "s", idmp("p", "a"), "x", "1"); got != a {
			t.Fatal("setting the same configuration forgot the iids")
		}
		// A change forgets the iids and keeps the counters.
		if err := b.XCfgSet(ctx, "s", broker.StreamConfig{IdmpDuration: 200 * time.Second}); err != nil {
			t.Fatal(err)
		}
		want := broker.IdmpInfo{Duration: 200 * time.Second, MaxSize: 100, IidsAdded: 1, IidsDuplicates: 2}
		if got := idmpInfo(t, b, "s"); got != want {
			t.Fatalf("after a change %+v, want %+v", got, want)
		}
		b = restart(t, k, b, fsys, clk)
		if got := idmpInfo(t, b, "s"); got != want {
			t.Fatalf("after restart %+v, want %+v", got, want)
		}
		if got := mustXAdd(t, b, "s", idmp("p", "a"), "x", "1"); got == a {
			t.Fatal("a changed configuration kept the iids")
		}
	})
}

// TestIdmpExpiry: the sweeper forgets iids older than the duration, on the
// broker clock; the test moves the clock and runs the sweep.
func TestIdmpExpiry(t *testing.T) {
	eachKind(t, func(t *testing.T, k kind) {
		b, clk, fsys := k.openFS(t, 1_000_000)
		ctx := context.Background()
		before := mustXAdd(t, b, "s", idmp("p", "a"), "x", "1")
		if err := b.XCfgSet(ctx, "s", broker.StreamConfig{IdmpDuration: time.Second}); err != nil {
			t.Fatal(err)
		}
		a := mustXAdd(t, b, "s", idmp("p", "a"), "x", "1")
		if a == before {
			t.Fatal("the configuration change kept the iid")
		}
		clk.Advance(500 * time.Millisecond)
		mustXAdd(t, b, "s", idmp("q", "b"), "x", "1")
		clk.Advance(500 * time.Millisecond) // a is exactly 1 s old: due (ms <= now - 1000)
		broker.Sweep(b)
		if got := idmpInfo(t, b, "s"); got.PidsTracked != 1 || got.IidsTracked != 1 {
			t.Fatalf("after the sweep %+v, want q/b only", got)
		}
		b = restart(t, k, b, fsys, clk)
		if got := idmpInfo(t, b, "s"); got.PidsTracked != 1 || got.IidsTracked != 1 {
			t.Fatalf("after restart %+v", got)
		}
		if got := mustXAdd(t, b, "s", idmp("p", "a"), "x", "1"); got == a {
			t.Fatal("an expired iid was deduplicated")
		}
		clk.Advance(time.Second)
		broker.Sweep(b)
		if got := idmpInfo(t, b, "s"); got.PidsTracked != 0 || got.IidsTracked != 0 {
			t.Fatalf("after the second sweep %+v", got)
		}
	})
}

func entryIDs(t *testing.T, b *broker.Broker, key string) []stream.ID {
	t.Helper()
	es, err := b.XRange(context.Background(), key, stream.MinID, stream.MaxID, 0)
	if err != nil {
		t.Fatal(err)
	}
	return ids(es)
}

// TestRetentionMaxAge: entries older than MaxAge go without any call (the
// sweep, driven here by the fake clock) and at append time.
func TestRetentionMaxAge(t *testing.T) {
	eachKind(t, func(t *testing.T, k kind) {
		b, clk, fsys := k.openFS(t, 10_000)
		ctx := context.Background()
		for ms := uint64(1000); ms <= 4000; ms += 1000 {
			mustAdd(t, b, "s", id(ms, 0), "f", "v")
		}
		if err := b.SetRetention(ctx, "s", broker.Retention{MaxAge: 7500 * time.Millisecond}); err != nil {
			t.Fatal(err)
		}
		// At 10000, 1000 and 2000 are older than 7.5 s: gone at once.
		if got := entryIDs(t, b, "s"); !sameIDs(got, []stream.ID{id(3000, 0), id(4000, 0)}) {
			t.Fatalf("after SetRetention %v", got)
		}
		clk.Advance(time.Second)
		broker.Sweep(b)
		if got := entryIDs(t, b, "s"); !sameIDs(got, []stream.ID{id(4000, 0)}) {
			t.Fatalf("after the sweep at 11000: %v", got)
		}
		b = restart(t, k, b, fsys, clk)
		if got := entryIDs(t, b, "s"); !sameIDs(got, []stream.ID{id(4000, 0)}) {
			t.Fatalf("after restart: %v", got)
		}
		// The restarted broker scheduled the stream again.
		clk.Advance(time.Second)
		broker.Sweep(b)
		if got := entryIDs(t, b, "s"); len(got) != 0 {
			t.Fatalf("after the sweep at 12000: %v", got)
		}
		// At append time: an append trims what is too old, with no sweep.
		mustAdd(t, b, "s", id(11000, 0), "f", "v")
		clk.Advance(8 * time.Second)
		mustXAdd(t, b, "s", broker.AddOptions{}, "f", "v")
		if got := entryIDs(t, b, "s"); !sameIDs(got, []stream.ID{id(20000, 0)}) {
			t.Fatalf("after an append at 20000: %v", got)
		}
		if r, err := b.StreamRetention(ctx, "s"); err != nil || r != (broker.Retention{MaxAge: 7500 * time.Millisecond}) {
			t.Fatalf("StreamRetention = %+v, %v", r, err)
		}
	})
}

// TestRetentionMaxBytesUnderFlood: concurrent producers never see the
// stream over its byte bound, and the bound holds after a restart.
func TestRetentionMaxBytesUnderFlood(t *testing.T) {
	eachKind(t, func(t *testing.T, k kind) {
		b, clk, fsys := k.openFS(t, 1000)
		ctx := context.Background()
		mustXAdd(t, b, "s", broker.AddOptions{}, "f", "v")
		const maxBytes = 5000
		if err := b.SetRetention(ctx, "s", broker.Retention{MaxBytes: maxBytes, MaxLen: 1000}); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		errs := make(chan error, 4)
		for p := range 4 {
			wg.Go(func() {
				for i := range 150 {
					v := strings.Repeat("x", 10+(p*37+i*13)%90)
					if _, err := b.XAdd(ctx, "s", fields("producer", fmt.Sprint(p), "v", v), broker.AddOptions{}); err != nil {
						errs <- err
						return
					}
					in, err := b.XInfoStream(ctx, "s")
					if err != nil || in.DataBytes > maxBytes || in.DataBytes <= 0 {
						errs <- fmt.Errorf("DataBytes %d (limit %d), %v", in.DataBytes, maxBytes, err)
						return
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		before, _ := b.XInfoStream(ctx, "s")
		if before.DataBytes < maxBytes-200 {
			t.Fatalf("DataBytes %d: trimmed far below the bound", before.DataBytes)
		}
		var sum int64
		for _, e := range mustRange(t, b, "s") {
			for _, f := range e.Fields {
				sum += int64(len(f.Name) + len(f.Value))
			}
		}
		if sum != before.DataBytes {
			t.Fatalf("DataBytes %d, entries hold %d", before.DataBytes, sum)
		}
		b = restart(t, k, b, fsys, clk)
		after, _ := b.XInfoStream(ctx, "s")
		r, _ := b.StreamRetention(ctx, "s")
		if after.DataBytes != before.DataBytes || after.Length != before.Length || r != (broker.Retention{MaxBytes: maxBytes, MaxLen: 1000}) {
			t.Fatalf("after restart %+v, want %+v", after, before)
		}
	})
}

func mustRange(t *testing.T, b *broker.Broker, key string) []stream.Entry {
	t.Helper()
	es, err := b.XRange(context.Background(), key, stream.MinID, stream.MaxID, 0)
	if err != nil {
		t.Fatal(err)
	}
	return es
}

func TestSetRetentionErrors(t *testing.T) {
	b, _ := memory.open(t, 1000)
	ctx := context.Background()
	if err := b.SetRetention(ctx, "missing", broker.Retention{MaxLen: 1}); !errors.Is(err, broker.ErrNoStream) {
		t.Fatalf("missing key: %v", err)
	}
	mustXAdd(t, b, "s", broker.AddOptions{}, "f", "v")
	for name, r := range map[string]broker.Retention{
		"negative MaxLen":   {MaxLen: -1},
		"negative MaxBytes": {MaxBytes: -1},
		"negative MaxAge":   {MaxAge: -time.Second},
		"sub-ms MaxAge":     {MaxAge: 1500 * time.Microsecond},
	} {
		if err := b.SetRetention(ctx, "s", r); !errors.Is(err, broker.ErrInvalidArgument) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// TestSweeperGoroutine runs the broker's own goroutine on the wall clock,
// inside a synctest bubble, where time moves only when every goroutine
// waits: the entry goes once it is older than MaxAge, with no call, and
// Close joins the goroutine.
func TestSweeperGoroutine(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b, err := broker.New(broker.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer b.Close()
		ctx := context.Background()
		mustXAdd(t, b, "s", broker.AddOptions{}, "f", "v")
		if err := b.SetRetention(ctx, "s", broker.Retention{MaxAge: time.Minute}); err != nil {
			t.Fatal(err)
		}
		mustXAdd(t, b, "s", idmp("p", "i"), "f", "v")
		time.Sleep(time.Minute)
		synctest.Wait()
		if n, _ := b.XLen(ctx, "s"); n != 2 {
			t.Fatalf("XLen %d after exactly MaxAge, want 2", n)
		}
		time.Sleep(time.Millisecond)
		synctest.Wait()
		if n, _ := b.XLen(ctx, "s"); n != 0 {
			t.Fatalf("XLen %d past MaxAge, want 0", n)
		}
		if in := idmpInfo(t, b, "s"); in.IidsTracked != 1 {
			t.Fatalf("iid expired early: %+v", in)
		}
		time.Sleep(40 * time.Second)
		synctest.Wait()
		if in := idmpInfo(t, b, "s"); in.IidsTracked != 0 || in.PidsTracked != 0 {
			t.Fatalf("iid not expired after 100 s: %+v", in)
		}
	})
}
