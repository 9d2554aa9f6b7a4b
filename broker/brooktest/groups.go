package brooktest

import (
	"time"

	"github.com/brookmq/brook/broker"
)

var groupCases = []testCase{
	{"Groups/CreateDestroy", groupsCreate},
	{"Groups/ReadNewAndHistory", groupsRead},
	{"Groups/PendingAndAck", groupsPending},
	{"Groups/Claim", groupsClaim},
	{"Groups/ClaimIdle", groupsClaimIdle},
	{"Groups/AutoClaim", groupsAutoClaim},
	{"Groups/Consumers", groupsConsumers},
	{"Groups/SetID", groupsSetID},
	{"Groups/NoAck", groupsNoAck},
}

func groupsCreate(t *suite) {
	k := t.name("s")
	err := t.c.XGroupCreate(t.ctx, k, "g", broker.GroupCreateOptions{})
	t.wantErr("XGroupCreate on a missing key", err, broker.ErrNoStream)
	t.group(k, "g")
	err = t.c.XGroupCreate(t.ctx, k, "g", broker.GroupCreateOptions{})
	t.wantErr("XGroupCreate twice", err, broker.ErrGroupExists)
	err = t.c.XGroupCreate(t.ctx, k, "h", broker.GroupCreateOptions{Start: broker.Undelivered()})
	t.wantErr("XGroupCreate at >", err, broker.ErrInvalidArgument)
	ok, err := t.c.XGroupDestroy(t.ctx, k, "g")
	if err != nil || !ok {
		t.Fatalf("XGroupDestroy = %v, %v", ok, err)
	}
	ok, err = t.c.XGroupDestroy(t.ctx, k, "g")
	if err != nil || ok {
		t.Fatalf("XGroupDestroy of a missing group = %v, %v", ok, err)
	}
	_, err = t.c.XGroupDestroy(t.ctx, t.name("missing"), "g")
	t.wantErr("XGroupDestroy on a missing key", err, broker.ErrNoStream)
}

func groupsRead(t *suite) {
	k := t.name("s")
	t.add(k, id(1, 0))
	t.add(k, id(2, 0))
	t.ok("XGroupCreate", t.c.XGroupCreate(t.ctx, k, "g", broker.GroupCreateOptions{}))
	t.wantIDs("first read", t.readGroup(k, "g", "alice", 1), id(1, 0))
	t.wantIDs("second read", t.readGroup(k, "g", "bob", 0), id(2, 0))
	t.wantIDs("nothing new", t.readGroup(k, "g", "bob", 0))
	// History: the consumer's own pending entries, never another's.
	hist := func(consumer string, after broker.ID) []broker.StreamEntries {
		got, err := t.c.XReadGroup(t.ctx, "g", consumer, []broker.ReadStream{{Key: k, From: broker.After(after)}}, broker.GroupReadOptions{})
		t.ok("XReadGroup history", err)
		return got
	}
	got := hist("alice", id(0, 0))
	if len(got) != 1 || got[0].Key != k {
		t.Fatalf("history = %v", got)
	}
	t.wantIDs("alice's history", got[0].Entries, id(1, 0))
	got = hist("alice", id(1, 0))
	if len(got) != 1 || len(got[0].Entries) != 0 {
		t.Fatalf("history after the last = %v; want the key with no entries", got)
	}
	// A pending entry deleted from the stream reads with nil Fields.
	t.ok("XDel", errOf(t.c.XDel(t.ctx, k, id(1, 0))))
	got = hist("alice", id(0, 0))
	if len(got) != 1 || len(got[0].Entries) != 1 || got[0].Entries[0].ID != id(1, 0) || got[0].Entries[0].Fields != nil {
		t.Fatalf("history of a deleted entry = %v; want 1-0 with nil fields", got)
	}
	// History reads count deliveries, except of deleted entries.
	p := t.pending(k, "g")
	if len(p) != 2 || p[0].ID != id(1, 0) || p[0].Consumer != "alice" || p[0].Deliveries != 2 || p[1].Deliveries != 1 {
		t.Fatalf("pending = %+v; want 1-0 alice delivered twice (a deleted entry's history read counts none), 2-0 once", p)
	}
}

func groupsPending(t *suite) {
	k := t.name("s")
	t.group(k, "g")
	sum, err := t.c.XPending(t.ctx, k, "g")
	t.ok("XPending", err)
	if sum.Count != 0 || len(sum.Consumers) != 0 {
		t.Fatalf("XPending of an empty group = %+v", sum)
	}
	for ms := uint64(1); ms <= 4; ms++ {
		t.add(k, id(ms, 0))
	}
	t.readGroup(k, "g", "bob", 3)
	t.readGroup(k, "g", "alice", 1)
	sum, err = t.c.XPending(t.ctx, k, "g")
	t.ok("XPending", err)
	if sum.Count != 4 || sum.Min != id(1, 0) || sum.Max != id(4, 0) || len(sum.Consumers) != 2 ||
		sum.Consumers[0] != (broker.ConsumerCount{Consumer: "alice", Count: 1}) ||
		sum.Consumers[1] != (broker.ConsumerCount{Consumer: "bob", Count: 3}) {
		t.Fatalf("XPending = %+v", sum)
	}
	p, err := t.c.XPendingRange(t.ctx, k, "g", broker.PendingOptions{Start: id(2, 0), Count: 2, Consumer: "bob"})
	t.ok("XPendingRange", err)
	if len(p) != 2 || p[0].ID != id(2, 0) || p[1].ID != id(3, 0) || p[0].Consumer != "bob" || p[0].Deliveries != 1 {
		t.Fatalf("XPendingRange bob from 2-0 COUNT 2 = %+v", p)
	}
	n, err := t.c.XAck(t.ctx, k, "g", id(1, 0), id(4, 0), id(4, 0), id(9, 0))
	if err != nil || n != 2 {
		t.Fatalf("XAck = %d, %v; want 2", n, err)
	}
	n, err = t.c.XAck(t.ctx, k, "g", id(1, 0))
	if err != nil || n != 0 {
		t.Fatalf("XAck again = %d, %v; want 0", n, err)
	}
	n, err = t.c.XAck(t.ctx, t.name("missing"), "g", id(1, 0))
	if err != nil || n != 0 {
		t.Fatalf("XAck on a missing key = %d, %v; want 0", n, err)
	}
	t.wantIDs("pending after XAck", entriesOf(t.pending(k, "g")), id(2, 0), id(3, 0))
}

// entriesOf turns pending entries into entries with their IDs (for wantIDs).
func entriesOf(p []broker.Pending) []broker.Entry {
	out := make([]broker.Entry, len(p))
	for i, e := range p {
		out[i].ID = e.ID
	}
	return out
}

func groupsClaim(t *suite) {
	k := t.name("s")
	t.group(k, "g")
	for ms := uint64(1); ms <= 3; ms++ {
		t.add(k, id(ms, 0))
	}
	t.readGroup(k, "g", "alice", 0)
	got, err := t.c.XClaim(t.ctx, k, "g", "bob", []broker.ID{id(1, 0), id(2, 0), id(9, 0)}, broker.ClaimOptions{})
	t.ok("XClaim", err)
	t.wantIDs("XClaim", got, id(1, 0), id(2, 0))
	if got[0].Fields == nil {
		t.Fatalf("XClaim returned no fields")
	}
	p := t.pending(k, "g")
	if p[0].Consumer != "bob" || p[0].Deliveries != 2 || p[2].Consumer != "alice" {
		t.Fatalf("pending after XClaim = %+v", p)
	}
	// JUSTID counts no delivery and returns IDs only.
	got, err = t.c.XClaim(t.ctx, k, "g", "carol", []broker.ID{id(1, 0)}, broker.ClaimOptions{JustID: true})
	t.ok("XClaim JUSTID", err)
	if len(got) != 1 || got[0].ID != id(1, 0) || got[0].Fields != nil {
		t.Fatalf("XClaim JUSTID = %v", got)
	}
	rc := uint64(7)
	t.ok("XClaim RETRYCOUNT", errOf(t.c.XClaim(t.ctx, k, "g", "carol", []broker.ID{id(3, 0)}, broker.ClaimOptions{RetryCount: &rc})))
	p = t.pending(k, "g")
	if p[0].Consumer != "carol" || p[0].Deliveries != 2 || p[2].Consumer != "carol" || p[2].Deliveries != 7 {
		t.Fatalf("pending after JUSTID and RETRYCOUNT = %+v", p)
	}
	// A claimed entry deleted from the stream is dropped, not returned.
	t.ok("XDel", errOf(t.c.XDel(t.ctx, k, id(2, 0))))
	got, err = t.c.XClaim(t.ctx, k, "g", "bob", []broker.ID{id(2, 0)}, broker.ClaimOptions{})
	t.ok("XClaim of a deleted entry", err)
	t.wantIDs("XClaim of a deleted entry", got)
	t.wantIDs("pending after claiming a deleted entry", entriesOf(t.pending(k, "g")), id(1, 0), id(3, 0))
	// FORCE claims an entry of the stream that nobody had.
	t.add(k, id(4, 0))
	got, err = t.c.XClaim(t.ctx, k, "g", "bob", []broker.ID{id(4, 0)}, broker.ClaimOptions{Force: true})
	t.ok("XClaim FORCE", err)
	t.wantIDs("XClaim FORCE", got, id(4, 0))
}

// groupsClaimIdle: idle times set by IDLE select by MinIdle; no clock is read.
func groupsClaimIdle(t *suite) {
	k := t.name("s")
	t.group(k, "g")
	t.add(k, id(1, 0))
	t.add(k, id(2, 0))
	t.readGroup(k, "g", "alice", 0)
	t.ok("XClaim IDLE", errOf(t.c.XClaim(t.ctx, k, "g", "alice", []broker.ID{id(1, 0)}, broker.ClaimOptions{Idle: time.Hour, JustID: true})))
	p, err := t.c.XPendingRange(t.ctx, k, "g", broker.PendingOptions{MinIdle: 30 * time.Minute})
	t.ok("XPendingRange IDLE", err)
	t.wantIDs("idle for 30 minutes", entriesOf(p), id(1, 0))
	got, err := t.c.XClaim(t.ctx, k, "g", "bob", []broker.ID{id(1, 0), id(2, 0)}, broker.ClaimOptions{MinIdle: 30 * time.Minute})
	t.ok("XClaim MinIdle", err)
	t.wantIDs("XClaim min-idle 30 minutes", got, id(1, 0))
	res, err := t.c.XAutoClaim(t.ctx, k, "g", "carol", broker.AutoClaimOptions{MinIdle: 30 * time.Minute})
	t.ok("XAutoClaim MinIdle", err)
	t.wantIDs("XAutoClaim min-idle 30 minutes", res.Claimed)
}

func groupsAutoClaim(t *suite) {
	k := t.name("s")
	t.group(k, "g")
	for ms := uint64(1); ms <= 5; ms++ {
		t.add(k, id(ms, 0))
	}
	t.readGroup(k, "g", "alice", 0)
	t.ok("XDel", errOf(t.c.XDel(t.ctx, k, id(2, 0))))
	res, err := t.c.XAutoClaim(t.ctx, k, "g", "bob", broker.AutoClaimOptions{Count: 2})
	t.ok("XAutoClaim COUNT 2", err)
	// A deleted entry counts towards COUNT, as in Redis 7.0.
	t.wantIDs("XAutoClaim COUNT 2", res.Claimed, id(1, 0))
	if len(res.Deleted) != 1 || res.Deleted[0] != id(2, 0) || res.Next != id(3, 0) {
		t.Fatalf("XAutoClaim = %+v; want 2-0 deleted and the cursor at 3-0", res)
	}
	res, err = t.c.XAutoClaim(t.ctx, k, "g", "bob", broker.AutoClaimOptions{Start: res.Next, JustID: true})
	t.ok("XAutoClaim JUSTID", err)
	t.wantIDs("XAutoClaim from 3-0", res.Claimed, id(3, 0), id(4, 0), id(5, 0))
	if res.Next != (broker.ID{}) || res.Claimed[0].Fields != nil {
		t.Fatalf("XAutoClaim to the end = %+v; want cursor 0-0 and IDs only", res)
	}
	p := t.pending(k, "g")
	want := []uint64{2, 1, 1, 1} // 1-0 claimed; 3-0, 4-0, 5-0 JUSTID
	if len(p) != 4 {
		t.Fatalf("pending = %+v", p)
	}
	for i, e := range p {
		if e.Consumer != "bob" || e.Deliveries != want[i] {
			t.Fatalf("pending %d = %+v; want bob, %d deliveries", i, e, want[i])
		}
	}
}

func groupsConsumers(t *suite) {
	k := t.name("s")
	t.group(k, "g")
	created, err := t.c.XGroupCreateConsumer(t.ctx, k, "g", "alice")
	if err != nil || !created {
		t.Fatalf("XGroupCreateConsumer = %v, %v", created, err)
	}
	created, err = t.c.XGroupCreateConsumer(t.ctx, k, "g", "alice")
	if err != nil || created {
		t.Fatalf("XGroupCreateConsumer again = %v, %v", created, err)
	}
	t.add(k, id(1, 0))
	t.add(k, id(2, 0))
	t.readGroup(k, "g", "alice", 0)
	n, err := t.c.XGroupDelConsumer(t.ctx, k, "g", "alice")
	if err != nil || n != 2 {
		t.Fatalf("XGroupDelConsumer = %d, %v; want 2", n, err)
	}
	t.wantIDs("pending after DELCONSUMER", entriesOf(t.pending(k, "g")))
	n, err = t.c.XGroupDelConsumer(t.ctx, k, "g", "nobody")
	if err != nil || n != 0 {
		t.Fatalf("XGroupDelConsumer of a missing consumer = %d, %v", n, err)
	}
}

func groupsSetID(t *suite) {
	k := t.name("s")
	for ms := uint64(1); ms <= 3; ms++ {
		t.add(k, id(ms, 0))
	}
	t.ok("XGroupCreate $", t.c.XGroupCreate(t.ctx, k, "g", broker.GroupCreateOptions{Start: broker.Latest()}))
	t.wantIDs("read at $", t.readGroup(k, "g", "c", 0))
	t.ok("XGroupSetID", t.c.XGroupSetID(t.ctx, k, "g", broker.GroupSetIDOptions{Start: broker.After(id(1, 0))}))
	t.wantIDs("read after SETID 1-0", t.readGroup(k, "g", "c", 0), id(2, 0), id(3, 0))
	er := int64(1)
	t.ok("XGroupSetID ENTRIESREAD", t.c.XGroupSetID(t.ctx, k, "g", broker.GroupSetIDOptions{EntriesRead: &er}))
	t.wantIDs("read after SETID 0", t.readGroup(k, "g", "c", 0), id(1, 0), id(2, 0), id(3, 0))
	t.ok("XGroupCreate ENTRIESREAD", t.c.XGroupCreate(t.ctx, k, "h", broker.GroupCreateOptions{Start: broker.After(id(2, 0)), EntriesRead: &er}))
	t.wantIDs("read of a group at 2-0", t.readGroup(k, "h", "c", 0), id(3, 0))
}

func groupsNoAck(t *suite) {
	k := t.name("s")
	t.group(k, "g")
	t.add(k, id(1, 0))
	got, err := t.c.XReadGroup(t.ctx, "g", "c", []broker.ReadStream{{Key: k, From: broker.Undelivered()}}, broker.GroupReadOptions{NoAck: true})
	t.ok("XReadGroup NOACK", err)
	if len(got) != 1 {
		t.Fatalf("XReadGroup NOACK = %v", got)
	}
	t.wantIDs("XReadGroup NOACK", got[0].Entries, id(1, 0))
	t.wantIDs("pending after NOACK", entriesOf(t.pending(k, "g")))
}
