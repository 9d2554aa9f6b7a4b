package broker_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/brookmq/brook/broker"
	"github.com/brookmq/brook/stream"
	"github.com/brookmq/brook/wal/faultfs"
)

// fakeClock is a settable clock for deterministic IDs and idle times.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newFakeClock(ms int64) *fakeClock { return &fakeClock{now: time.UnixMilli(ms)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// A kind of broker the behavioural tests run against: every streams test
// must pass on both, since durability must not change what callers see.
type kind struct {
	name    string
	durable bool
}

var (
	memory  = kind{name: "memory"}
	durable = kind{name: "durable", durable: true}
)

// eachKind runs f against an in-memory and a durable broker.
func eachKind(t *testing.T, f func(t *testing.T, k kind)) {
	for _, k := range []kind{memory, durable} {
		t.Run(k.name, func(t *testing.T) { f(t, k) })
	}
}

// open returns a broker of kind k on a fake clock at ms, closed at the end
// of the test. A durable one lives on an in-memory file system and fsyncs
// every write (the strictest policy).
func (k kind) open(t testing.TB, ms int64) (*broker.Broker, *fakeClock) {
	t.Helper()
	b, clk, _ := k.openFS(t, ms)
	return b, clk
}

// openFS is open that also returns the durable broker's file system.
func (k kind) openFS(t testing.TB, ms int64) (*broker.Broker, *fakeClock, *faultfs.FS) {
	t.Helper()
	clk := newFakeClock(ms)
	o := broker.Options{Clock: clk.Now}
	if !k.durable {
		return newBroker(t, o), clk, nil
	}
	fsys := faultfs.New(1)
	o.Durability = broker.DurabilityOptions{FS: fsys, Logf: t.Logf}
	b, err := broker.Open("/data", o)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { b.Close() })
	return b, clk, fsys
}

// newBroker returns an in-memory broker made by New with opts, failing the
// test if New refuses them, and closes it at the end of the test (Close is
// idempotent, so a test may close it earlier).
func newBroker(t testing.TB, opts broker.Options) *broker.Broker {
	t.Helper()
	b, err := broker.New(opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

// newSub returns a subscription of b made with o, failing the test if
// NewSubscription refuses o. Call it only from the test's goroutine.
func newSub(t testing.TB, b *broker.Broker, o broker.SubscriptionOptions) *broker.Subscription {
	t.Helper()
	s, err := b.NewSubscription(o)
	if err != nil {
		t.Fatalf("NewSubscription: %v", err)
	}
	return s
}

func id(ms, seq uint64) stream.ID { return stream.ID{Ms: ms, Seq: seq} }

func fields(kv ...string) []stream.Field {
	out := make([]stream.Field, 0, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		out = append(out, stream.Field{Name: kv[i], Value: kv[i+1]})
	}
	return out
}

// mustAdd appends an entry with an explicit ID.
func mustAdd(t testing.TB, b *broker.Broker, key string, at stream.ID, kv ...string) {
	t.Helper()
	if _, err := b.XAdd(context.Background(), key, fields(kv...), broker.AddOptions{ID: stream.ExplicitID(at)}); err != nil {
		t.Fatalf("XAdd %s %v: %v", key, at, err)
	}
}

func ids(entries []stream.Entry) []stream.ID {
	out := make([]stream.ID, 0, len(entries))
	for _, e := range entries {
		out = append(out, e.ID)
	}
	return out
}

func sameIDs(a, b []stream.ID) bool { return slices.Equal(a, b) }
