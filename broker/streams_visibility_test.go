package broker_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"testing/synctest"

	"github.com/brookmq/brook/broker"
	"github.com/brookmq/brook/stream"
)

// TestVisibilityWaitsForFsync holds the log's fsync and checks that nobody
// observes an appended entry before it is durable: not the appender, not a
// reader blocked on the stream (served at once, under the lock), not a plain
// range read, not a group read; all of them return once the fsync is done.
func TestVisibilityWaitsForFsync(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		b, _, fsys := durable.openFS(t, 1000)
		mustAdd(t, b, "s", id(1, 0), "f", "v")
		if err := b.XGroupCreate(ctx, "s", "g", broker.GroupCreateOptions{Start: broker.Latest()}); err != nil {
			t.Fatal(err)
		}
		var hold atomic.Bool
		gate := make(chan struct{})
		fsys.SetSyncHook(func(string) {
			if hold.Load() {
				<-gate
			}
		})
		blockedRead := start(xread(b, ctx, 0, broker.ReadStream{Key: "s", From: broker.After(id(1, 0))}))
		blockedGroup := start(xreadgroup(b, ctx, "g", "c", "s"))
		if !blockedRead.blocked() || !blockedGroup.blocked() {
			t.Fatal("readers returned before any append")
		}
		hold.Store(true)
		adder := start(func() ([]broker.StreamEntries, error) {
			_, err := b.XAdd(ctx, "s", fields("f", "v"), broker.AddOptions{ID: stream.ExplicitID(id(2, 0))})
			return nil, err
		})
		if !adder.blocked() {
			t.Fatalf("XADD returned before the fsync: %v", adder.err)
		}
		ranger := start(func() ([]broker.StreamEntries, error) {
			e, err := b.XRange(ctx, "s", stream.MinID, stream.MaxID, 0)
			return []broker.StreamEntries{{Key: "s", Entries: e}}, err
		})
		for name, c := range map[string]*call{"XADD": adder, "blocked XREAD": blockedRead, "blocked XREADGROUP": blockedGroup, "XRANGE": ranger} {
			if !c.blocked() {
				t.Errorf("%s returned before the fsync: %s, %v", name, summary(c.res), c.err)
			}
		}
		hold.Store(false)
		close(gate)
		want := map[string]string{"XADD": "nil", "blocked XREAD": "s:2-0", "blocked XREADGROUP": "s:2-0", "XRANGE": "s:1-0,2-0"}
		for name, c := range map[string]*call{"XADD": adder, "blocked XREAD": blockedRead, "blocked XREADGROUP": blockedGroup, "XRANGE": ranger} {
			if got, err := c.result(t); err != nil || got != want[name] {
				t.Errorf("%s = %s, %v; want %s", name, got, err, want[name])
			}
		}
	})
}

// TestPoisonedLog fails an fsync: the write that needed it fails, every
// later write is refused with the log's error, and reads of the stream do
// not show the entry that never became durable.
func TestPoisonedLog(t *testing.T) {
	ctx := context.Background()
	b, _, fsys := durable.openFS(t, 1000)
	mustAdd(t, b, "s", id(1, 0), "f", "v")
	if err := b.XGroupCreate(ctx, "s", "g", broker.GroupCreateOptions{}); err != nil {
		t.Fatal(err)
	}
	errDisk := errors.New("disk on fire")
	fsys.FailSyncAfter(0, errDisk)
	if _, err := b.XAdd(ctx, "s", fields("f", "v"), broker.AddOptions{ID: stream.ExplicitID(id(2, 0))}); !errors.Is(err, errDisk) {
		t.Fatalf("XAdd during a failed fsync: %v, want %v", err, errDisk)
	}
	ops := map[string]func() error{
		"XADD same stream":  func() error { _, err := b.XAdd(ctx, "s", fields("f", "v"), broker.AddOptions{}); return err },
		"XADD other stream": func() error { _, err := b.XAdd(ctx, "t", fields("f", "v"), broker.AddOptions{}); return err },
		"XRANGE":            func() error { _, err := b.XRange(ctx, "s", stream.MinID, stream.MaxID, 0); return err },
		"XREADGROUP": func() error {
			_, err := b.XReadGroup(ctx, "g", "c", []broker.ReadStream{{Key: "s", From: broker.Undelivered()}}, broker.GroupReadOptions{})
			return err
		},
		"XGROUP CREATE": func() error { return b.XGroupCreate(ctx, "s", "g2", broker.GroupCreateOptions{}) },
		"DEL":           func() error { _, err := b.Del(ctx, "s"); return err },
	}
	for name, op := range ops {
		if err := op(); !errors.Is(err, errDisk) {
			t.Errorf("%s on a poisoned log: %v, want %v", name, err, errDisk)
		}
	}
}
