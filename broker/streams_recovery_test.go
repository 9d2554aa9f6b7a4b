package broker_test

import (
	"context"
	"fmt"
	"testing"
	"testing/synctest"
	"time"

	"github.com/brookmq/brook/broker"
	"github.com/brookmq/brook/stream"
	"github.com/brookmq/brook/wal/faultfs"
)

// TestRecoveryOfServedWaitersAndTrims drives the paths a random workload
// rarely reaches (blocked reads served by the appender, approximate trims
// logged as exact ones, DEL and re-creation, MKSTREAM, history reads,
// NOACK), then recovers the broker twice: from a process crash (log replay,
// no final snapshot) and from a clean Close (snapshot). Both must show the
// state the live broker showed.
func TestRecoveryOfServedWaitersAndTrims(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		clk := newFakeClock(1_700_000_000_000)
		fsys := faultfs.New(7)
		o := broker.Options{Clock: clk.Now, Durability: broker.DurabilityOptions{FS: fsys, Logf: t.Logf, SnapshotEvery: -1}}
		b, err := broker.Open("/data", o)
		if err != nil {
			t.Fatal(err)
		}
		defer b.Close()
		recoveryScenario(t, b, clk)
		want := observe(t, b)

		for name, fs := range map[string]*faultfs.FS{"crash": fsys.Kill(), "power loss": fsys.DropUnsynced()} {
			o.Durability.FS = fs
			r, err := broker.Open("/data", o)
			if err != nil {
				t.Fatalf("%s: reopen: %v", name, err)
			}
			if d := diffState(observe(t, r), want); d != "" {
				t.Errorf("%s: recovered state differs: %s", name, d)
			}
			r.Close()
		}
		if err := b.Close(); err != nil {
			t.Fatal(err)
		}
		r, err := broker.Open("/data", broker.Options{Clock: clk.Now, Durability: broker.DurabilityOptions{FS: fsys, Logf: t.Logf}})
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		if d := diffState(observe(t, r), want); d != "" {
			t.Errorf("after Close: recovered state differs: %s", d)
		}
	})
}

func recoveryScenario(t *testing.T, b *broker.Broker, clk *fakeClock) {
	ctx := context.Background()
	check := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	addN := func(key string, n int, o broker.AddOptions) {
		t.Helper()
		for i := range n {
			_, err := b.XAdd(ctx, key, fields("i", fmt.Sprint(i)), o)
			check(err)
			clk.Advance(time.Millisecond)
		}
	}
	check(b.XGroupCreate(ctx, "jobs", "g", broker.GroupCreateOptions{MkStream: true}))
	check(b.XGroupCreate(ctx, "jobs", "h", broker.GroupCreateOptions{}))
	// Blocked readers served by the appender: two of g in FIFO, one of h with NOACK.
	c1 := start(xreadgroup(b, ctx, "g", "c1", "jobs"))
	c1.blocked()
	c2 := start(xreadgroup(b, ctx, "g", "c2", "jobs"))
	c2.blocked()
	h := start(func() ([]broker.StreamEntries, error) {
		return b.XReadGroup(ctx, "h", "x", []broker.ReadStream{{Key: "jobs", From: broker.Undelivered()}}, broker.GroupReadOptions{Block: broker.BlockForever, NoAck: true})
	})
	h.blocked()
	addN("jobs", 1, broker.AddOptions{})
	clk.Advance(time.Second)
	addN("jobs", 1, broker.AddOptions{})
	for _, c := range []*call{c1, c2, h} {
		if _, err := c.result(t); err != nil {
			t.Fatal(err)
		}
	}
	// Approximate trims of a stream larger than a block, logged exactly.
	addN("big", 350, broker.AddOptions{Trim: stream.Trim{Strategy: stream.TrimMaxLen, MaxLen: 120, Approx: true}})
	_, err := b.XTrim(ctx, "big", stream.Trim{Strategy: stream.TrimMaxLen, MaxLen: 50, Approx: true})
	check(err)
	_, err = b.XAdd(ctx, "big", fields("last", "1"), broker.AddOptions{Trim: stream.Trim{Strategy: stream.TrimMinID, MinID: stream.MaxID}})
	check(err)
	// DEL and re-creation, history reads, claims.
	addN("tmp", 3, broker.AddOptions{})
	_, err = b.Del(ctx, "tmp")
	check(err)
	addN("tmp", 2, broker.AddOptions{})
	clk.Advance(time.Minute)
	_, err = b.XReadGroup(ctx, "g", "c1", []broker.ReadStream{{Key: "jobs"}}, broker.GroupReadOptions{})
	check(err)
	_, err = b.XClaim(ctx, "jobs", "g", "c3", []stream.ID{c2.res[0].Entries[0].ID}, broker.ClaimOptions{MinIdle: time.Second})
	check(err)
	_, err = b.XAutoClaim(ctx, "jobs", "g", "c4", broker.AutoClaimOptions{Start: stream.MinID, Count: 10, JustID: true})
	check(err)
}
