package broker_test

import (
	"context"
	"testing"

	"github.com/brookmq/brook/broker"
	"github.com/brookmq/brook/stream"
	"github.com/brookmq/brook/wal/faultfs"
)

// ackedBroker wraps the calls of the acked retention tests, each failing
// the test on an error.
type ackedBroker struct {
	t *testing.T
	b *broker.Broker
}

func (a ackedBroker) group(g string) {
	a.t.Helper()
	if err := a.b.XGroupCreate(context.Background(), "s", g, broker.GroupCreateOptions{}); err != nil {
		a.t.Fatal(err)
	}
}

func (a ackedBroker) read(g, c string, count int, noAck bool) {
	a.t.Helper()
	_, err := a.b.XReadGroup(context.Background(), g, c, []broker.ReadStream{{Key: "s", From: broker.Undelivered()}},
		broker.GroupReadOptions{Count: count, NoAck: noAck})
	if err != nil {
		a.t.Fatal(err)
	}
}

func (a ackedBroker) ack(g string, ms ...uint64) {
	a.t.Helper()
	if n, err := a.b.XAck(context.Background(), "s", g, msIDs(ms...)...); err != nil || n != int64(len(ms)) {
		a.t.Fatalf("XAck %s %v = %d, %v", g, ms, n, err)
	}
}

// want checks the stream's entries by their ms.
func (a ackedBroker) want(what string, ms ...uint64) {
	a.t.Helper()
	if got := entryIDs(a.t, a.b, "s"); !sameIDs(got, msIDs(ms...)) {
		a.t.Fatalf("%s: entries %v, want %v", what, got, msIDs(ms...))
	}
}

func msIDs(ms ...uint64) []stream.ID {
	out := make([]stream.ID, 0, len(ms))
	for _, m := range ms {
		out = append(out, id(m, 0))
	}
	return out
}

// openAcked opens a durable broker on a fault-injecting file system (no
// automatic snapshot, a fake clock) whose stream "s" holds the entries
// 1-0 .. n-0.
func openAcked(t *testing.T, n uint64) (ackedBroker, *faultfs.FS, broker.Options) {
	t.Helper()
	clk := newFakeClock(1_700_000_000_000)
	fsys := faultfs.New(7)
	o := broker.Options{Clock: clk.Now, Durability: broker.DurabilityOptions{FS: fsys, Logf: t.Logf, SnapshotEvery: -1}}
	b, err := broker.Open("/data", o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	for ms := uint64(1); ms <= n; ms++ {
		mustAdd(t, b, "s", id(ms, 0), "f", "v")
	}
	return ackedBroker{t, b}, fsys, o
}

// crashRecovers checks that a broker opened on what a crash of fsys leaves
// has the state a.b has now, and returns it (closed at the test's end).
func (a ackedBroker) crashRecovers(fsys *faultfs.FS, o broker.Options) *broker.Broker {
	a.t.Helper()
	want := observe(a.t, a.b)
	r, err := broker.Open("/data", withFS(o, fsys.Kill()))
	if err != nil {
		a.t.Fatalf("reopen after a crash: %v", err)
	}
	a.t.Cleanup(func() { r.Close() })
	if d := diffState(observe(a.t, r), want); d != "" {
		a.t.Errorf("after a crash: recovered state differs: %s", d)
	}
	return r
}

// TestRetentionAckedTwoGroups: with the Acked bound an entry stays until
// both groups acknowledged it, oldest first; an entry one group has not
// read yet, or holds pending or NACKed, stays, and so does what follows
// it. Entries added before the first group are kept. Every step survives
// a restart.
func TestRetentionAckedTwoGroups(t *testing.T) {
	eachKind(t, func(t *testing.T, k kind) {
		b, clk, fsys := k.openFS(t, 1000)
		ctx := context.Background()
		a := ackedBroker{t, b}
		for ms := uint64(1); ms <= 3; ms++ {
			mustAdd(t, b, "s", id(ms, 0), "f", "v")
		}
		if err := b.SetRetention(ctx, "s", broker.Retention{Acked: true}); err != nil {
			t.Fatal(err)
		}
		for ms := uint64(4); ms <= 6; ms++ {
			mustAdd(t, b, "s", id(ms, 0), "f", "v")
		}
		a.want("no group yet", 1, 2, 3, 4, 5, 6)
		a.group("g1")
		a.group("g2")
		a.read("g1", "c", 0, false) // g1: 1..6 pending
		a.read("g2", "c", 4, false) // g2: 1..4 pending, 5 and 6 not delivered
		a.ack("g1", 1, 2, 3, 4, 5, 6)
		a.want("acked by g1 only", 1, 2, 3, 4, 5, 6)
		a.ack("g2", 1, 2, 4)
		a.want("3 pending in g2", 3, 4, 5, 6)
		if n, err := b.XNack(ctx, "s", "g2", msIDs(3), broker.NackOptions{Mode: stream.NackFail}); err != nil || n != 1 {
			t.Fatalf("XNack = %d, %v", n, err)
		}
		a.want("3 NACKed in g2", 3, 4, 5, 6)
		b = restart(t, k, b, fsys, clk)
		a = ackedBroker{t, b}
		a.want("after restart", 3, 4, 5, 6)
		if r, err := b.StreamRetention(ctx, "s"); err != nil || r != (broker.Retention{Acked: true}) {
			t.Fatalf("StreamRetention = %+v, %v", r, err)
		}
		a.ack("g2", 3)
		a.want("5 and 6 not delivered to g2", 5, 6)
		a.read("g2", "c", 0, false)
		a.ack("g2", 6)
		a.want("5 pending in g2", 5, 6)
		// An append keeps the bound too, and a NOACK read acknowledges.
		mustAdd(t, b, "s", id(7, 0), "f", "v")
		a.read("g1", "c", 0, true)
		a.want("7 not delivered to g2", 5, 6, 7)
		a.ack("g2", 5)
		a.want("6 and 7", 7)
		b = restart(t, k, b, fsys, clk)
		ackedBroker{t, b}.want("after the second restart", 7)
	})
}

// TestRetentionAckedGroupChanges: XACKDEL, DELCONSUMER, XGROUP SETID and
// XGROUP DESTROY free entries; SetRetention applies the bound at once and
// removing it stops it.
func TestRetentionAckedGroupChanges(t *testing.T) {
	eachKind(t, func(t *testing.T, k kind) {
		b, clk, fsys := k.openFS(t, 1000)
		ctx := context.Background()
		a := ackedBroker{t, b}
		for ms := uint64(1); ms <= 8; ms++ {
			mustAdd(t, b, "s", id(ms, 0), "f", "v")
		}
		a.group("g1")
		a.group("g2")
		a.read("g1", "c", 0, true) // g1 read everything, NOACK
		a.read("g2", "c", 2, false)
		a.read("g2", "d", 2, false) // g2: 1, 2 for c; 3, 4 for d
		a.ack("g2", 2)
		if err := b.SetRetention(ctx, "s", broker.Retention{Acked: true}); err != nil {
			t.Fatal(err)
		}
		a.want("1 pending in g2", 1, 2, 3, 4, 5, 6, 7, 8)
		codes, err := b.XAckDel(ctx, "s", "g2", msIDs(1), broker.RefOptions{Ref: broker.KeepRef})
		if err != nil || len(codes) != 1 || codes[0] != stream.RefDeleted {
			t.Fatalf("XAckDel = %v, %v", codes, err)
		}
		a.want("after XACKDEL 1", 3, 4, 5, 6, 7, 8)
		if n, err := b.XGroupDelConsumer(ctx, "s", "g2", "d"); err != nil || n != 2 {
			t.Fatalf("XGroupDelConsumer = %d, %v", n, err)
		}
		a.want("after DELCONSUMER d", 5, 6, 7, 8)
		if err := b.XGroupSetID(ctx, "s", "g2", broker.GroupSetIDOptions{Start: broker.After(id(6, 0))}); err != nil {
			t.Fatal(err)
		}
		a.want("after SETID 6", 7, 8)
		b = restart(t, k, b, fsys, clk)
		a = ackedBroker{t, b}
		a.want("after restart", 7, 8)
		if ok, err := b.XGroupDestroy(ctx, "s", "g2"); err != nil || !ok {
			t.Fatalf("XGroupDestroy = %v, %v", ok, err)
		}
		a.want("after DESTROY g2 (g1 read everything, NOACK)")
		mustAdd(t, b, "s", id(9, 0), "f", "v")
		a.want("9 not read by g1", 9)
		if err := b.SetRetention(ctx, "s", broker.Retention{}); err != nil {
			t.Fatal(err)
		}
		a.read("g1", "c", 0, true)
		mustAdd(t, b, "s", id(10, 0), "f", "v")
		a.want("without the bound", 9, 10)
		b = restart(t, k, b, fsys, clk)
		ackedBroker{t, b}.want("after the second restart", 9, 10)
	})
}

// TestRetentionAckedRecovery: the acked trims the log replays after a
// crash, and the policy a snapshot keeps, give the live broker's state.
func TestRetentionAckedRecovery(t *testing.T) {
	a, fsys, o := openAcked(t, 5)
	if err := a.b.XCfgSet(context.Background(), "s", broker.StreamConfig{RetentionAcked: ptr(true)}); err != nil {
		t.Fatal(err)
	}
	a.group("g1")
	a.group("g2")
	a.read("g1", "c", 0, false)
	a.read("g2", "c", 0, false)
	a.ack("g1", 1, 2, 3)
	a.ack("g2", 2, 1)
	a.want("live", 3, 4, 5)
	want := observe(t, a.b)
	a.crashRecovers(fsys, o).Close()

	if err := a.b.Close(); err != nil {
		t.Fatal(err)
	}
	r, err := broker.Open("/data", withFS(o, fsys))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if d := diffState(observe(t, r), want); d != "" {
		t.Errorf("after Close: recovered state differs: %s", d)
	}
	// The policy came back with the snapshot: the next ack trims.
	a = ackedBroker{t, r}
	a.ack("g2", 3)
	a.want("after the snapshot", 4, 5)
}

// TestRetentionAfterRefTrimRecovery: an append whose own trim is ACKED (or
// DELREF) is logged with that rule, and replay applies the stream's policy
// after it as the live append did, even when the rule itself removed
// nothing.
func TestRetentionAfterRefTrimRecovery(t *testing.T) {
	for _, ref := range []broker.RefMode{broker.Acked, broker.DelRef} {
		t.Run(ref.String(), func(t *testing.T) {
			a, fsys, o := openAcked(t, 3)
			b, ctx := a.b, context.Background()
			a.group("g")
			a.read("g", "c", 0, false) // everything referenced
			if err := b.SetRetention(ctx, "s", broker.Retention{MaxLen: 3}); err != nil {
				t.Fatal(err)
			}
			trim := stream.Trim{Strategy: stream.TrimMaxLen, MaxLen: 10, Ref: ref}
			if _, err := b.XAdd(ctx, "s", fields("f", "v"), broker.AddOptions{Trim: trim}); err != nil {
				t.Fatal(err)
			}
			if n, _ := b.XLen(ctx, "s"); n != 3 {
				t.Fatalf("XLen %d, want 3 (the policy's MaxLen)", n)
			}
			a.crashRecovers(fsys, o)
		})
	}
}

// TestRetentionAckedNoArgumentsRecovery: on a stream with the Acked bound,
// an operation that may free entries is logged when it frees some, even
// when it names nothing (an XDELEX, XDEL, XACK or XACKDEL of no IDs), so its
// record carries no argument at all; replay must apply it as the live call
// did. A group created at "$" references none of the entries before it, and
// creating a group frees nothing, so each such call finds entries to free.
func TestRetentionAckedNoArgumentsRecovery(t *testing.T) {
	ctx := context.Background()
	calls := []struct {
		name string
		call func(b *broker.Broker) error
	}{
		{"XDelEx", func(b *broker.Broker) error { _, err := b.XDelEx(ctx, "s", nil, broker.RefOptions{}); return err }},
		{"XDel", func(b *broker.Broker) error { _, err := b.XDel(ctx, "s"); return err }},
		{"XAck", func(b *broker.Broker) error { _, err := b.XAck(ctx, "s", "g"); return err }},
		{"XAckDel", func(b *broker.Broker) error {
			_, err := b.XAckDel(ctx, "s", "g", nil, broker.RefOptions{})
			return err
		}},
	}
	for _, c := range calls {
		t.Run(c.name, func(t *testing.T) {
			a, fsys, o := openAcked(t, 3)
			b := a.b
			if err := b.XCfgSet(ctx, "s", broker.StreamConfig{RetentionAcked: ptr(true)}); err != nil {
				t.Fatal(err)
			}
			if err := b.XGroupCreate(ctx, "s", "g", broker.GroupCreateOptions{Start: broker.Latest()}); err != nil {
				t.Fatal(err)
			}
			a.want("before", 1, 2, 3)
			if err := c.call(b); err != nil {
				t.Fatalf("%s of no IDs: %v", c.name, err)
			}
			a.want("after")
			a.crashRecovers(fsys, o)
		})
	}
}
