package broker_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/brookmq/brook/broker"
	"github.com/brookmq/brook/stream"
)

// TestEndedContextChangesNothing checks that every call that changes state
// refuses a context that has already ended before it changes anything.
func TestEndedContextChangesNothing(t *testing.T) {
	bg := context.Background()
	tests := []struct {
		name string
		op   func(ctx context.Context, b *broker.Broker) error
	}{
		{"XAdd", func(ctx context.Context, b *broker.Broker) error {
			_, err := b.XAdd(ctx, "k", fields("f", "v"), broker.AddOptions{})
			return err
		}},
		{"XAddBatch", func(ctx context.Context, b *broker.Broker) error {
			_, err := b.XAddBatch(ctx, "k", [][]stream.Field{fields("f", "v")}, broker.AddOptions{})
			return err
		}},
		{"XDel", func(ctx context.Context, b *broker.Broker) error { _, err := b.XDel(ctx, "k", id(1, 0)); return err }},
		{"XTrim", func(ctx context.Context, b *broker.Broker) error {
			_, err := b.XTrim(ctx, "k", stream.Trim{Strategy: stream.TrimMaxLen})
			return err
		}},
		{"Del", func(ctx context.Context, b *broker.Broker) error { _, err := b.Del(ctx, "k"); return err }},
		{"XGroupCreate", func(ctx context.Context, b *broker.Broker) error {
			return b.XGroupCreate(ctx, "k", "g2", broker.GroupCreateOptions{})
		}},
		{"XReadGroup", func(ctx context.Context, b *broker.Broker) error {
			_, err := b.XReadGroup(ctx, "g", "c", []broker.ReadStream{{Key: "k", From: broker.Undelivered()}}, broker.GroupReadOptions{})
			return err
		}},
		{"XAck", func(ctx context.Context, b *broker.Broker) error {
			_, err := b.XAck(ctx, "k", "g", id(1, 0))
			return err
		}},
	}
	setup := func(t *testing.T, k kind) *broker.Broker {
		b, _ := k.open(t, 1000)
		mustAdd(t, b, "k", id(1, 0), "a", "1")
		if err := b.XGroupCreate(bg, "k", "g", broker.GroupCreateOptions{}); err != nil {
			t.Fatal(err)
		}
		if _, err := b.XReadGroup(bg, "g", "c", []broker.ReadStream{{Key: "k", From: broker.Undelivered()}}, broker.GroupReadOptions{}); err != nil {
			t.Fatal(err)
		}
		mustAdd(t, b, "k", id(2, 0), "b", "2")
		return b
	}
	eachKind(t, func(t *testing.T, k kind) {
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				b := setup(t, k)
				before := stateOf(t, b)
				ctx, cancel := context.WithCancel(bg)
				cancel()
				if err := tc.op(ctx, b); !errors.Is(err, context.Canceled) {
					t.Fatalf("%s with an ended ctx = %v, want context.Canceled", tc.name, err)
				}
				if after := stateOf(t, b); after != before {
					t.Fatalf("%s with an ended ctx changed the state:\n%s\n->\n%s", tc.name, before, after)
				}
				if err := tc.op(bg, b); err != nil {
					t.Fatalf("%s: %v", tc.name, err)
				}
				if after := stateOf(t, b); after == before { // the case can fail
					t.Fatalf("%s changed nothing", tc.name)
				}
			})
		}
	})
}

// stateOf describes what a caller can observe of key "k" and its groups.
func stateOf(t *testing.T, b *broker.Broker) string {
	t.Helper()
	ctx := context.Background()
	entries, err := b.XRange(ctx, "k", stream.MinID, stream.MaxID, 0)
	if err != nil {
		return "error: " + err.Error()
	}
	groups, err := b.XInfoGroups(ctx, "k")
	if err != nil {
		return "error: " + err.Error()
	}
	return fmt.Sprint(ids(entries), groups)
}

// TestContextEndsDuringDiskWait pins down what a ctx error returned while a
// call waits for the disk means: the change was applied and becomes
// durable (the outcome was unknown to the caller, not "nothing happened").
func TestContextEndsDuringDiskWait(t *testing.T) {
	bg := context.Background()
	tests := []struct {
		name  string
		op    func(ctx context.Context, b *broker.Broker) error
		check func(t *testing.T, b *broker.Broker)
	}{
		{"XAdd", func(ctx context.Context, b *broker.Broker) error {
			_, err := b.XAdd(ctx, "k", fields("b", "2"), broker.AddOptions{ID: stream.ExplicitID(id(2, 0))})
			return err
		}, func(t *testing.T, b *broker.Broker) {
			if n, err := b.XLen(bg, "k"); err != nil || n != 2 {
				t.Fatalf("XLen = %d, %v; want 2", n, err)
			}
		}},
		{"XReadGroup", func(ctx context.Context, b *broker.Broker) error {
			_, err := b.XReadGroup(ctx, "g", "c", []broker.ReadStream{{Key: "k", From: broker.Undelivered()}}, broker.GroupReadOptions{})
			return err
		}, func(t *testing.T, b *broker.Broker) {
			if sum, err := b.XPending(bg, "k", "g"); err != nil || sum.Count != 1 {
				t.Fatalf("XPending = %+v, %v; want the delivered entry pending", sum, err)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, _, fsys := durable.openFS(t, 1000)
			mustAdd(t, b, "k", id(1, 0), "a", "1")
			if err := b.XGroupCreate(bg, "k", "g", broker.GroupCreateOptions{}); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(bg)
			hold := make(chan struct{})
			fsys.SetSyncHook(func(string) {
				cancel() // the call has applied its change and waits for this sync
				<-hold
			})
			err := tc.op(ctx, b)
			close(hold)
			fsys.SetSyncHook(nil)
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("%s = %v, want context.Canceled", tc.name, err)
			}
			tc.check(t, b)
			if err := b.Close(); err != nil {
				t.Fatal(err)
			}
			b2, err := broker.Open("/data", broker.Options{Durability: broker.DurabilityOptions{FS: fsys, Logf: t.Logf}})
			if err != nil {
				t.Fatal(err)
			}
			defer b2.Close()
			tc.check(t, b2)
		})
	}
}
