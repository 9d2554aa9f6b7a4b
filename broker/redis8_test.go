package broker_test

import (
	"context"
	"errors"
	"math"
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"github.com/brookmq/brook/broker"
	"github.com/brookmq/brook/stream"
	"github.com/brookmq/brook/wal/faultfs"
)

func undelivered(key string) []broker.ReadStream {
	return []broker.ReadStream{{Key: key, From: broker.Undelivered()}}
}

func dur(d time.Duration) *time.Duration { return &d }

// TestXNackAndClaimRead follows the note's XNACK and CLAIM examples through
// the Go API, on both kinds of broker.
func TestXNackAndClaimRead(t *testing.T) {
	eachKind(t, func(t *testing.T, k kind) {
		ctx := context.Background()
		b, clk := k.open(t, 1_700_000_000_000)
		mustAdd(t, b, "s", id(1, 0), "f", "v1")
		mustAdd(t, b, "s", id(2, 0), "f", "v2")
		if err := b.XGroupCreate(ctx, "s", "g", broker.GroupCreateOptions{}); err != nil {
			t.Fatal(err)
		}
		if _, err := b.XReadGroup(ctx, "g", "c1", undelivered("s"), broker.GroupReadOptions{Count: 1}); err != nil {
			t.Fatal(err)
		}
		clk.Advance(104 * time.Millisecond)
		res, err := b.XReadGroup(ctx, "g", "c2", undelivered("s"), broker.GroupReadOptions{ClaimMinIdle: dur(50 * time.Millisecond)})
		if err != nil || len(res) != 1 {
			t.Fatalf("CLAIM read = %+v, %v", res, err)
		}
		want := []broker.DeliveryInfo{{Idle: 104 * time.Millisecond, Deliveries: 1}, {}}
		if !sameIDs(ids(res[0].Entries), []stream.ID{id(1, 0), id(2, 0)}) || !slices.Equal(res[0].Delivery, want) {
			t.Fatalf("CLAIM read = %+v", res[0])
		}
		// A plain read has no Delivery.
		mustAdd(t, b, "s", id(3, 0), "f", "v3")
		res, _ = b.XReadGroup(ctx, "g", "c2", undelivered("s"), broker.GroupReadOptions{})
		if len(res) != 1 || res[0].Delivery != nil {
			t.Fatalf("plain read = %+v", res)
		}

		n, err := b.XNack(ctx, "s", "g", []stream.ID{id(2, 0), id(9, 0), id(1, 0)}, broker.NackOptions{Mode: broker.NackFatal})
		if n != 2 || err != nil {
			t.Fatalf("XNack = %d, %v", n, err)
		}
		ps, _ := b.XPendingRange(ctx, "s", "g", broker.PendingOptions{})
		if len(ps) != 3 || !ps[0].Nacked || ps[0].Consumer != "" || ps[0].Idle != -1 || ps[0].Deliveries != math.MaxInt64 || ps[2].Nacked {
			t.Fatalf("pending %+v", ps)
		}
		full, _ := b.XInfoStreamFull(ctx, "s", 0)
		if g := full.Groups[0]; g.NackedCount != 2 || g.PELCount != 3 {
			t.Fatalf("XINFO FULL group %+v", g)
		}
		// NACK order: 2-0 first.
		res, _ = b.XReadGroup(ctx, "g", "c3", undelivered("s"), broker.GroupReadOptions{Count: 1, ClaimMinIdle: dur(time.Hour)})
		if len(res) != 1 || res[0].Entries[0].ID != id(2, 0) || res[0].Delivery[0].Deliveries != math.MaxInt64 {
			t.Fatalf("claim of a NACKed entry = %+v", res)
		}
		if ps, _ := b.XPendingRange(ctx, "s", "g", broker.PendingOptions{Start: id(2, 0), End: id(2, 0)}); ps[0].Deliveries != math.MaxInt64 {
			t.Errorf("count past LLONG_MAX: %+v", ps)
		}
	})
}

func TestRedis8Errors(t *testing.T) {
	eachKind(t, func(t *testing.T, k kind) {
		ctx := context.Background()
		b, _ := k.open(t, 1000)
		x := []stream.ID{id(1, 0)}
		if _, err := b.XNack(ctx, "nokey", "g", x, broker.NackOptions{}); !errors.Is(err, broker.ErrNoStream) {
			t.Errorf("XNack on a missing key: %v", err)
		}
		mustAdd(t, b, "s", id(1, 0), "f", "v")
		if _, err := b.XNack(ctx, "s", "nog", x, broker.NackOptions{}); !errors.Is(err, broker.ErrNoGroup) {
			t.Errorf("XNack on a missing group: %v", err)
		}
		if _, err := b.XNack(ctx, "s", "nog", x, broker.NackOptions{Mode: 3}); !errors.Is(err, broker.ErrInvalidArgument) {
			t.Errorf("XNack with mode 3: %v", err)
		}
		if _, err := b.XAckDel(ctx, "s", "g", x, broker.RefOptions{Ref: 3}); !errors.Is(err, broker.ErrInvalidArgument) {
			t.Errorf("XAckDel with ref 3: %v", err)
		}
		if _, err := b.XDelEx(ctx, "s", x, broker.RefOptions{Ref: 9}); !errors.Is(err, broker.ErrInvalidArgument) {
			t.Errorf("XDelEx with ref 9: %v", err)
		}
		if _, err := b.XTrim(ctx, "s", stream.Trim{Strategy: stream.TrimMaxLen, Ref: 3}); !errors.Is(err, broker.ErrInvalidArgument) {
			t.Errorf("XTrim with ref 3: %v", err)
		}
		if _, err := b.XAdd(ctx, "s", fields("a", "b"), broker.AddOptions{Trim: stream.Trim{Strategy: stream.TrimMaxLen, Ref: 7}}); !errors.Is(err, broker.ErrInvalidArgument) {
			t.Errorf("XAdd with ref 7: %v", err)
		}
		if _, err := b.XReadGroup(ctx, "g", "c", undelivered("s"), broker.GroupReadOptions{ClaimMinIdle: dur(-1)}); !errors.Is(err, broker.ErrInvalidArgument) {
			t.Errorf("XReadGroup with a negative ClaimMinIdle: %v", err)
		}
		// Missing key or group: -1 per ID, no error.
		for _, key := range []string{"s", "nokey"} {
			codes, err := b.XAckDel(ctx, key, "nog", []stream.ID{id(1, 0), id(1, 0)}, broker.RefOptions{})
			if err != nil || !slices.Equal(codes, []int{-1, -1}) {
				t.Errorf("XAckDel(%s) = %v, %v", key, codes, err)
			}
		}
		if codes, err := b.XDelEx(ctx, "nokey", x, broker.RefOptions{Ref: broker.DelRef}); err != nil || !slices.Equal(codes, []int{-1}) {
			t.Errorf("XDelEx on a missing key = %v, %v", codes, err)
		}
		if n, _ := b.XLen(ctx, "s"); n != 1 {
			t.Errorf("XLen = %d", n)
		}
	})
}

// redis8Scenario leaves s with 3-0 and 5-0 NACKed (in that order) in g,
// after XACKDEL, XDELEX and reference-mode trims.
func redis8Scenario(t *testing.T, b *broker.Broker, clk *fakeClock) {
	ctx := context.Background()
	check := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	for ms := uint64(1); ms <= 5; ms++ {
		mustAdd(t, b, "s", id(ms, 0), "n", "x")
	}
	check(b.XGroupCreate(ctx, "s", "g", broker.GroupCreateOptions{}))
	_, err := b.XReadGroup(ctx, "g", "c1", undelivered("s"), broker.GroupReadOptions{})
	check(err)
	clk.Advance(time.Second)
	_, err = b.XNack(ctx, "s", "g", []stream.ID{id(3, 0), id(1, 0)}, broker.NackOptions{Mode: broker.NackFail})
	check(err)
	_, err = b.XNack(ctx, "s", "g", []stream.ID{id(5, 0)}, broker.NackOptions{RetryCount: new(uint64(9))})
	check(err)
	codes, err := b.XAckDel(ctx, "s", "g", []stream.ID{id(2, 0)}, broker.RefOptions{Ref: broker.Acked})
	check(err)
	if !slices.Equal(codes, []int{broker.RefDeleted}) {
		t.Fatalf("XAckDel = %v", codes)
	}
	codes, err = b.XDelEx(ctx, "s", []stream.ID{id(4, 0)}, broker.RefOptions{Ref: broker.DelRef})
	check(err)
	if !slices.Equal(codes, []int{broker.RefDeleted}) {
		t.Fatalf("XDelEx = %v", codes)
	}
	check(b.XGroupCreate(ctx, "s", "g2", broker.GroupCreateOptions{Start: broker.Latest()}))
	_, err = b.XAdd(ctx, "s", fields("n", "6"), broker.AddOptions{ID: broker.ExplicitID(id(6, 0)),
		Trim: stream.Trim{Strategy: stream.TrimMaxLen, MaxLen: 1, Ref: broker.Acked}})
	check(err)
	n, err := b.XTrim(ctx, "s", stream.Trim{Strategy: stream.TrimMinID, MinID: id(2, 0), Approx: true, Ref: broker.DelRef})
	check(err)
	if n != 1 {
		t.Fatalf("XTrim DELREF = %d", n)
	}
}

// TestRedis8Recovery checks that NACKed entries, in their order, and the
// effects of XACKDEL, XDELEX and reference-mode trims survive a crash (log
// replay), a power loss and a clean Close (snapshot).
func TestRedis8Recovery(t *testing.T) {
	clk := newFakeClock(1_700_000_000_000)
	fsys := faultfs.New(8)
	o := broker.Options{Clock: clk.Now, Durability: broker.DurabilityOptions{FS: fsys, Logf: t.Logf, SnapshotEvery: -1}}
	b, err := broker.Open("/data", o)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	redis8Scenario(t, b, clk)
	want := observe(t, b)
	claimOrder := func(r *broker.Broker) []stream.ID {
		res, err := r.XReadGroup(context.Background(), "g", "z", undelivered("s"), broker.GroupReadOptions{ClaimMinIdle: dur(time.Hour)})
		if err != nil || len(res) != 1 {
			t.Fatalf("CLAIM read = %v, %v", res, err)
		}
		return ids(res[0].Entries)
	}
	wantOrder := []stream.ID{id(3, 0), id(5, 0), id(6, 0)}
	reopen := func(name string, fs *faultfs.FS) {
		o.Durability.FS = fs
		r, err := broker.Open("/data", o)
		if err != nil {
			t.Fatalf("%s: reopen: %v", name, err)
		}
		defer r.Close()
		if d := diffState(observe(t, r), want); d != "" {
			t.Errorf("%s: recovered state differs: %s", name, d)
		}
		if got := claimOrder(r); !sameIDs(got, wantOrder) {
			t.Errorf("%s: CLAIM order %v, want %v", name, got, wantOrder)
		}
	}
	reopen("crash", fsys.Kill())
	reopen("power loss", fsys.DropUnsynced())
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	reopen("after Close", fsys)
}

// TestClaimReadWokenByXNack: a blocked XREADGROUP CLAIM is served by XNACK
// (Redis 8.8) and by XADD.
func TestClaimReadWokenByXNack(t *testing.T) {
	eachKind(t, func(t *testing.T, k kind) {
		synctest.Test(t, func(t *testing.T) {
			ctx := context.Background()
			b, _ := k.open(t, 1_700_000_000_000)
			mustAdd(t, b, "s", id(1, 0), "f", "v")
			if err := b.XGroupCreate(ctx, "s", "g", broker.GroupCreateOptions{}); err != nil {
				t.Fatal(err)
			}
			o := broker.GroupReadOptions{Block: broker.BlockForever, ClaimMinIdle: dur(time.Hour)}
			read := func(c string) *call {
				return start(func() ([]broker.StreamEntries, error) { return b.XReadGroup(ctx, "g", c, undelivered("s"), o) })
			}
			first := read("c1")
			if got, err := first.result(t); err != nil || got != "s:1-0" {
				t.Fatalf("first read = %s, %v", got, err)
			}
			c := read("c2")
			if !c.blocked() {
				t.Fatal("nothing to claim, yet not blocked")
			}
			if _, err := b.XNack(ctx, "s", "g", []stream.ID{id(1, 0)}, broker.NackOptions{}); err != nil {
				t.Fatal(err)
			}
			if got, err := c.result(t); err != nil || got != "s:1-0" || c.res[0].Delivery == nil {
				t.Fatalf("read woken by XNACK = %s %+v, %v", got, c.res, err)
			}
			c = read("c3")
			if !c.blocked() {
				t.Fatal("not blocked")
			}
			mustAdd(t, b, "s", id(2, 0), "f", "v")
			if got, err := c.result(t); err != nil || got != "s:2-0" || c.res[0].Delivery[0] != (broker.DeliveryInfo{}) {
				t.Fatalf("read woken by XADD = %s %+v, %v", got, c.res, err)
			}
		})
	})
}

// TestClaimReadWokenByIdleTime: a blocked XREADGROUP CLAIM is served when a
// pending entry reaches min-idle-time, by a timer of its own, which stops
// when the call returns.
func TestClaimReadWokenByIdleTime(t *testing.T) {
	for _, durable := range []bool{false, true} {
		t.Run(map[bool]string{false: "memory", true: "durable"}[durable], func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				ctx := context.Background()
				var b *broker.Broker
				var err error
				if durable {
					b, err = broker.Open("/data", broker.Options{Durability: broker.DurabilityOptions{FS: faultfs.New(3), Logf: t.Logf}})
				} else {
					b, err = broker.New(broker.Options{}) // the bubble's clock
				}
				if err != nil {
					t.Fatal(err)
				}
				defer b.Close()
				if _, err := b.XAdd(ctx, "s", fields("f", "v"), broker.AddOptions{}); err != nil {
					t.Fatal(err)
				}
				if err := b.XGroupCreate(ctx, "s", "g", broker.GroupCreateOptions{}); err != nil {
					t.Fatal(err)
				}
				if _, err := b.XReadGroup(ctx, "g", "c1", undelivered("s"), broker.GroupReadOptions{}); err != nil {
					t.Fatal(err)
				}
				t0 := time.Now()
				time.Sleep(30 * time.Millisecond)
				o := broker.GroupReadOptions{Block: broker.BlockForever, ClaimMinIdle: dur(100 * time.Millisecond)}
				c := start(func() ([]broker.StreamEntries, error) { return b.XReadGroup(ctx, "g", "c2", undelivered("s"), o) })
				<-c.done // time moves on while everything waits: to the timer
				if c.err != nil {
					t.Fatal(c.err)
				}
				if got := c.at.Sub(t0); got != 100*time.Millisecond || c.res[0].Delivery[0].Idle != 100*time.Millisecond {
					t.Errorf("served after %v with %+v; want when the entry was 100ms idle", got, c.res)
				}

				// A call that returns (its ctx ends) leaves no timer behind
				// to claim anything later.
				cctx, cancel := context.WithCancel(ctx)
				c = start(func() ([]broker.StreamEntries, error) { return b.XReadGroup(cctx, "g", "c3", undelivered("s"), o) })
				if !c.blocked() {
					t.Fatal("not blocked")
				}
				cancel()
				if _, err := c.result(t); !errors.Is(err, context.Canceled) {
					t.Fatalf("cancelled read: %v", err)
				}
				time.Sleep(time.Second)
				synctest.Wait()
				ps, _ := b.XPendingRange(ctx, "s", "g", broker.PendingOptions{})
				if len(ps) != 1 || ps[0].Consumer != "c2" {
					t.Errorf("pending after the cancelled read's due time: %+v", ps)
				}
			})
		})
	}
}
