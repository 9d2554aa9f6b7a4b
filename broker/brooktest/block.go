package brooktest

import (
	"context"
	"time"

	"github.com/brookmq/brook/broker"
)

var blockCases = []testCase{
	{"Block/XReadExpires", blockXReadExpires},
	{"Block/XReadGroupExpires", blockXReadGroupExpires},
	{"Block/XReadWakes", blockXReadWakes},
	{"Block/XReadGroupWakes", blockXReadGroupWakes},
	{"Block/XReadCancel", blockXReadCancel},
	{"Block/XReadDeadline", blockXReadDeadline},
	{"Block/XReadGroupCancelDeliversNothing", blockXReadGroupCancel},
	{"Block/EndedCtx", blockEndedCtx},
}

// expiry is a Block that expires: short, since the suite waits for it, and
// tested by its result only.
const expiry = 20 * time.Millisecond

func blockXReadExpires(t *suite) {
	k := t.name("s")
	t.add(k, id(1, 0))
	got, err := t.c.XRead(t.ctx, []broker.ReadStream{{Key: k, From: broker.Latest()}, {Key: t.name("missing")}}, broker.ReadOptions{Block: expiry})
	if err != nil || got != nil {
		t.Fatalf("expired XRead = %v, %v; want nil, nil", got, err)
	}
	// Data at hand is returned without waiting, whatever Block says.
	got, err = t.c.XRead(t.ctx, []broker.ReadStream{{Key: k}}, broker.ReadOptions{Block: broker.BlockForever})
	t.ok("XRead with data", err)
	t.wantIDs("XRead with data", got[0].Entries, id(1, 0))
}

func blockXReadGroupExpires(t *suite) {
	k := t.name("s")
	t.group(k, "g")
	got, err := t.c.XReadGroup(t.ctx, "g", "c", []broker.ReadStream{{Key: k, From: broker.Undelivered()}}, broker.GroupReadOptions{Block: expiry})
	if err != nil || got != nil {
		t.Fatalf("expired XReadGroup = %v, %v; want nil, nil", got, err)
	}
}

// result is a read's outcome, passed from the reading goroutine.
type result struct {
	got []broker.StreamEntries
	err error
}

// blockXReadWakes: a read blocked on a missing key returns the entry that
// creates it (the read starts After 0-0, so it sees the entry whether the
// append comes before or after it blocks).
func blockXReadWakes(t *suite) {
	k, other := t.name("s"), t.name("other")
	done := make(chan result, 1)
	go func() {
		got, err := t.c.XRead(t.ctx, []broker.ReadStream{{Key: other}, {Key: k}}, broker.ReadOptions{Block: broker.BlockForever})
		done <- result{got, err}
	}()
	t.add(k, id(1, 0))
	r := <-done
	t.ok("blocked XRead", r.err)
	if len(r.got) != 1 || r.got[0].Key != k {
		t.Fatalf("blocked XRead = %v; want %s", r.got, k)
	}
	t.wantIDs("blocked XRead", r.got[0].Entries, id(1, 0))
}

func blockXReadGroupWakes(t *suite) {
	k := t.name("s")
	t.group(k, "g")
	done := make(chan result, 1)
	go func() {
		got, err := t.c.XReadGroup(t.ctx, "g", "c", []broker.ReadStream{{Key: k, From: broker.Undelivered()}}, broker.GroupReadOptions{Block: broker.BlockForever})
		done <- result{got, err}
	}()
	t.add(k, id(1, 0))
	r := <-done
	t.ok("blocked XReadGroup", r.err)
	if len(r.got) != 1 {
		t.Fatalf("blocked XReadGroup = %v", r.got)
	}
	t.wantIDs("blocked XReadGroup", r.got[0].Entries, id(1, 0))
	t.wantIDs("pending", entriesOf(t.pending(k, "g")), id(1, 0))
}

// blockXReadCancel: cancelling ctx ends a blocked read with ctx's error,
// whether it came before or while the read waited.
func blockXReadCancel(t *suite) {
	ctx, cancel := context.WithCancel(t.ctx)
	done := make(chan result, 1)
	go func() {
		got, err := t.c.XRead(ctx, []broker.ReadStream{{Key: t.name("s"), From: broker.Latest()}}, broker.ReadOptions{Block: broker.BlockForever})
		done <- result{got, err}
	}()
	cancel()
	r := <-done
	if r.got != nil {
		t.Fatalf("cancelled XRead returned %v", r.got)
	}
	t.wantErr("cancelled XRead", r.err, context.Canceled)
	// The client is still usable.
	t.add(t.name("s"), id(1, 0))
}

func blockXReadDeadline(t *suite) {
	ctx, cancel := context.WithTimeout(t.ctx, expiry)
	defer cancel()
	got, err := t.c.XRead(ctx, []broker.ReadStream{{Key: t.name("s"), From: broker.Latest()}}, broker.ReadOptions{Block: broker.BlockForever})
	if got != nil {
		t.Fatalf("XRead past its deadline returned %v", got)
	}
	t.wantErr("XRead past its deadline", err, context.DeadlineExceeded)
}

// blockXReadGroupCancel: a blocked group read whose ctx ends delivers
// nothing, then or later.
func blockXReadGroupCancel(t *suite) {
	k := t.name("s")
	t.group(k, "g")
	ctx, cancel := context.WithCancel(t.ctx)
	done := make(chan result, 1)
	go func() {
		got, err := t.c.XReadGroup(ctx, "g", "c", []broker.ReadStream{{Key: k, From: broker.Undelivered()}}, broker.GroupReadOptions{Block: broker.BlockForever})
		done <- result{got, err}
	}()
	cancel()
	r := <-done
	t.wantErr("cancelled XReadGroup", r.err, context.Canceled)
	t.add(k, id(1, 0))
	t.wantIDs("pending after a cancelled read", entriesOf(t.pending(k, "g")))
	t.wantIDs("the entry is still new", t.readGroup(k, "g", "d", 0), id(1, 0))
}

// blockEndedCtx: a ctx that has already ended is an error before anything
// happens, even with data at hand.
func blockEndedCtx(t *suite) {
	k := t.name("s")
	t.group(k, "g")
	t.add(k, id(1, 0))
	ctx, cancel := context.WithCancel(t.ctx)
	cancel()
	_, err := t.c.XReadGroup(ctx, "g", "c", []broker.ReadStream{{Key: k, From: broker.Undelivered()}}, broker.GroupReadOptions{})
	t.wantErr("XReadGroup with an ended ctx", err, context.Canceled)
	_, err = t.c.XAdd(ctx, k, fields("a", "1"), broker.AddOptions{})
	t.wantErr("XAdd with an ended ctx", err, context.Canceled)
	if n, _ := t.c.XLen(t.ctx, k); n != 1 {
		t.Fatalf("XLen = %d after an XAdd with an ended ctx; want 1", n)
	}
	t.wantIDs("pending", entriesOf(t.pending(k, "g")))
}
