package broker_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/brookmq/brook/broker"
	"github.com/brookmq/brook/stream"
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

// newBroker returns an in-memory broker on a fake clock at ms, closed at
// the end of the test.
func newBroker(t testing.TB, ms int64) (*broker.Broker, *fakeClock) {
	t.Helper()
	clk := newFakeClock(ms)
	b := broker.New(broker.Options{Clock: clk.Now})
	t.Cleanup(func() { b.Close() })
	return b, clk
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
