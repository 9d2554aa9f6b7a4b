package broker

import (
	"context"
	"testing"
	"testing/synctest"
	"time"
	"unsafe"

	"github.com/brookmq/brook/stream"
)

// TestRegistryLeavesNoPlaceholders checks that operations which create no
// key, and blocked reads on missing keys that end, leave nothing in the
// registry's map: a long-running broker must not grow with every key ever
// named.
func TestRegistryLeavesNoPlaceholders(t *testing.T) {
	ctx := context.Background()
	f := []stream.Field{{Name: "f", Value: "v"}}
	tests := []struct {
		name string
		op   func(b *Broker)
	}{
		{"failed XADD", func(b *Broker) {
			b.XAdd(ctx, "k", f, AddOptions{ID: stream.ExplicitID(stream.ID{})})
		}},
		{"XADD NOMKSTREAM", func(b *Broker) { b.XAdd(ctx, "k", f, AddOptions{NoMkStream: true}) }},
		{"XGROUP CREATE without MKSTREAM", func(b *Broker) { b.XGroupCreate(ctx, "k", "g", GroupCreateOptions{}) }},
		{"reads of a missing key", func(b *Broker) {
			b.XLen(ctx, "k")
			b.XRange(ctx, "k", stream.MinID, stream.MaxID, 0)
			b.XRead(ctx, []ReadStream{{Key: "k"}}, ReadOptions{})
			b.XAck(ctx, "k", "g", stream.ID{Ms: 1})
		}},
		{"DEL", func(b *Broker) {
			b.XAdd(ctx, "k", f, AddOptions{})
			b.Del(ctx, "k")
		}},
		{"blocked XREAD on a missing key times out", func(b *Broker) {
			b.XRead(ctx, []ReadStream{{Key: "k", From: Latest()}, {Key: "k2"}}, ReadOptions{Block: time.Millisecond})
		}},
		{"blocked XREAD on a missing key is cancelled", func(b *Broker) {
			ctx, cancel := context.WithTimeout(ctx, time.Millisecond)
			defer cancel()
			b.XRead(ctx, []ReadStream{{Key: "k", From: Latest()}, {Key: "k2"}}, ReadOptions{Block: BlockForever})
		}},
		{"blocked XREAD outlives a DEL", func(b *Broker) {
			b.XAdd(ctx, "k", f, AddOptions{ID: stream.ExplicitID(stream.ID{Ms: 1})})
			ctx, cancel := context.WithCancel(ctx)
			done := make(chan struct{})
			go func() {
				defer close(done)
				b.XRead(ctx, []ReadStream{{Key: "k", From: After(stream.ID{Ms: 1})}}, ReadOptions{Block: BlockForever})
			}()
			synctest.Wait()
			if !hasWaiter(b, "k") {
				panic("XREAD not blocked")
			}
			b.Del(ctx, "k")
			cancel()
			<-done
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				b := mustNew(t, Options{})
				defer b.Close()
				tt.op(b)
				b.reg.mu.RLock()
				defer b.reg.mu.RUnlock()
				for st := range b.reg.m.all() {
					t.Errorf("registry still holds %q (stream %v, %d waiters)", st.key, st.stream() != nil, len(st.waitList()))
				}
			})
		})
	}
}

func hasWaiter(b *Broker, key string) bool {
	b.reg.mu.RLock()
	st := b.reg.m.get(key)
	b.reg.mu.RUnlock()
	if st == nil {
		return false
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	return len(st.waitList()) > 0
}

// mustNew returns an in-memory broker made by New, failing the test if New
// refuses opts, and closes it at the end of the test.
func mustNew(t testing.TB, opts Options) *Broker {
	t.Helper()
	b, err := New(opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

// TestStreamStateSize pins the size of a key's state with its stream
// inline: a process may hold millions of keys (see streamState).
func TestStreamStateSize(t *testing.T) {
	if size := unsafe.Sizeof(streamState{}); size > 96 {
		t.Errorf("streamState is %d bytes, want at most 96", size)
	}
}
