package brooktest

import (
	"slices"

	"github.com/brookmq/brook/broker"
)

var streamCases = []testCase{
	{"Streams/AddRange", streamsAddRange},
	{"Streams/AddIDs", streamsAddIDs},
	{"Streams/FieldOrder", streamsFieldOrder},
	{"Streams/MissingKey", streamsMissingKey},
	{"Streams/DelAndLen", streamsDel},
	{"Streams/Trim", streamsTrim},
	{"Streams/AddTrim", streamsAddTrim},
	{"Streams/XRead", streamsXRead},
	{"Streams/XReadSeveral", streamsXReadSeveral},
}

func streamsAddRange(t *suite) {
	k := t.name("s")
	for ms := uint64(1); ms <= 5; ms++ {
		t.add(k, id(ms, 0))
	}
	all, err := t.c.XRange(t.ctx, k, broker.MinID, broker.MaxID, 0)
	t.ok("XRange", err)
	t.wantIDs("XRange - +", all, id(1, 0), id(2, 0), id(3, 0), id(4, 0), id(5, 0))
	if !slices.Equal(all[2].Fields, fields("n", "3")) {
		t.Fatalf("XRange: entry 3 has fields %v", all[2].Fields)
	}
	got, err := t.c.XRange(t.ctx, k, id(2, 0), id(4, 0), 2)
	t.ok("XRange COUNT", err)
	t.wantIDs("XRange 2 4 COUNT 2", got, id(2, 0), id(3, 0))
	got, err = t.c.XRevRange(t.ctx, k, broker.MaxID, broker.MinID, 2)
	t.ok("XRevRange", err)
	t.wantIDs("XRevRange + - COUNT 2", got, id(5, 0), id(4, 0))
	got, err = t.c.XRevRange(t.ctx, k, id(3, 0), id(1, 0), 0)
	t.ok("XRevRange", err)
	t.wantIDs("XRevRange 3 1", got, id(3, 0), id(2, 0), id(1, 0))
	got, err = t.c.XRange(t.ctx, k, id(4, 0), id(2, 0), 0)
	t.ok("XRange start > end", err)
	t.wantIDs("XRange 4 2", got)
}

func streamsAddIDs(t *suite) {
	k := t.name("s")
	t.add(k, id(5, 1))
	got, err := t.c.XAdd(t.ctx, k, fields("a", "1"), broker.AddOptions{ID: broker.PartialID(5)})
	if err != nil || got != id(5, 2) {
		t.Fatalf("XAdd 5-* = %v, %v; want 5-2", got, err)
	}
	got, err = t.c.XAdd(t.ctx, k, fields("a", "1"), broker.AddOptions{ID: broker.PartialID(7)})
	if err != nil || got != id(7, 0) {
		t.Fatalf("XAdd 7-* = %v, %v; want 7-0", got, err)
	}
	auto, err := t.c.XAdd(t.ctx, k, fields("a", "1"), broker.AddOptions{})
	if err != nil || auto.Compare(id(7, 0)) <= 0 {
		t.Fatalf("XAdd * = %v, %v; want an ID after 7-0", auto, err)
	}
	_, err = t.c.XAdd(t.ctx, k, fields("a", "1"), broker.AddOptions{ID: broker.ExplicitID(id(7, 0))})
	t.wantErr("XAdd of an ID not above the last", err, broker.ErrIDTooSmall)
	_, err = t.c.XAdd(t.ctx, t.name("other"), fields("a", "1"), broker.AddOptions{ID: broker.ExplicitID(id(0, 0))})
	t.wantErr("XAdd 0-0", err, broker.ErrIDZero)
	n, err := t.c.XLen(t.ctx, k)
	if err != nil || n != 4 {
		t.Fatalf("XLen = %d, %v; want 4", n, err)
	}
}

// streamsFieldOrder: fields keep their order, and a name may repeat.
func streamsFieldOrder(t *suite) {
	k := t.name("s")
	f := fields("z", "1", "a", "2", "z", "3", "m", "")
	at, err := t.c.XAdd(t.ctx, k, f, broker.AddOptions{})
	t.ok("XAdd", err)
	got, err := t.c.XRange(t.ctx, k, at, at, 0)
	t.ok("XRange", err)
	if len(got) != 1 || !slices.Equal(got[0].Fields, f) {
		t.Fatalf("XRange = %v, want fields %v", got, f)
	}
}

// streamsMissingKey: reads of a missing key are empty, not errors.
func streamsMissingKey(t *suite) {
	k := t.name("missing")
	if n, err := t.c.XLen(t.ctx, k); n != 0 || err != nil {
		t.Fatalf("XLen = %d, %v", n, err)
	}
	got, err := t.c.XRange(t.ctx, k, broker.MinID, broker.MaxID, 0)
	t.ok("XRange", err)
	t.wantIDs("XRange of a missing key", got)
	got, err = t.c.XRevRange(t.ctx, k, broker.MaxID, broker.MinID, 0)
	t.ok("XRevRange", err)
	t.wantIDs("XRevRange of a missing key", got)
	if n, err := t.c.XDel(t.ctx, k, id(1, 0)); n != 0 || err != nil {
		t.Fatalf("XDel = %d, %v", n, err)
	}
	if n, err := t.c.XTrim(t.ctx, k, broker.Trim{Strategy: broker.TrimMaxLen}); n != 0 || err != nil {
		t.Fatalf("XTrim = %d, %v", n, err)
	}
	if n, err := t.c.Del(t.ctx, k); n != 0 || err != nil {
		t.Fatalf("Del = %d, %v", n, err)
	}
	_, err = t.c.XAdd(t.ctx, k, fields("a", "1"), broker.AddOptions{NoMkStream: true})
	t.wantErr("XAdd NOMKSTREAM", err, broker.ErrNoStream)
	if n, err := t.c.XLen(t.ctx, k); n != 0 || err != nil {
		t.Fatalf("XLen after NOMKSTREAM = %d, %v", n, err)
	}
}

func streamsDel(t *suite) {
	k, k2 := t.name("s"), t.name("s2")
	for ms := uint64(1); ms <= 4; ms++ {
		t.add(k, id(ms, 0))
	}
	t.add(k2, id(1, 0))
	n, err := t.c.XDel(t.ctx, k, id(2, 0), id(3, 0), id(9, 0), id(2, 0))
	if err != nil || n != 2 {
		t.Fatalf("XDel = %d, %v; want 2", n, err)
	}
	got, _ := t.c.XRange(t.ctx, k, broker.MinID, broker.MaxID, 0)
	t.wantIDs("after XDel", got, id(1, 0), id(4, 0))
	// The last ID survives the deletion of the top entry.
	t.ok("XDel top", errOf(t.c.XDel(t.ctx, k, id(4, 0))))
	_, err = t.c.XAdd(t.ctx, k, fields("a", "1"), broker.AddOptions{ID: broker.ExplicitID(id(4, 0))})
	t.wantErr("XAdd of a deleted top ID", err, broker.ErrIDTooSmall)
	n, err = t.c.Del(t.ctx, k, k2, t.name("missing"))
	if err != nil || n != 2 {
		t.Fatalf("Del = %d, %v; want 2", n, err)
	}
	if n, err := t.c.XLen(t.ctx, k); n != 0 || err != nil {
		t.Fatalf("XLen after Del = %d, %v", n, err)
	}
	// A deleted key starts afresh.
	t.add(k, id(1, 0))
}

func streamsTrim(t *suite) {
	k := t.name("s")
	for ms := uint64(1); ms <= 10; ms++ {
		t.add(k, id(ms, 0))
	}
	n, err := t.c.XTrim(t.ctx, k, broker.Trim{Strategy: broker.TrimMaxLen, MaxLen: 7})
	if err != nil || n != 3 {
		t.Fatalf("XTrim MAXLEN 7 = %d, %v; want 3", n, err)
	}
	n, err = t.c.XTrim(t.ctx, k, broker.Trim{Strategy: broker.TrimMinID, MinID: id(6, 0)})
	if err != nil || n != 2 {
		t.Fatalf("XTrim MINID 6 = %d, %v; want 2", n, err)
	}
	got, _ := t.c.XRange(t.ctx, k, broker.MinID, broker.MaxID, 0)
	t.wantIDs("after XTrim", got, id(6, 0), id(7, 0), id(8, 0), id(9, 0), id(10, 0))
	// "~" removes only whole nodes: on a small stream, nothing.
	n, err = t.c.XTrim(t.ctx, k, broker.Trim{Strategy: broker.TrimMaxLen, MaxLen: 1, Approx: true})
	if err != nil || n != 0 {
		t.Fatalf("XTrim MAXLEN ~ 1 = %d, %v; want 0", n, err)
	}
	n, err = t.c.XTrim(t.ctx, k, broker.Trim{Strategy: broker.TrimMaxLen, MaxLen: 0})
	if err != nil || n != 5 {
		t.Fatalf("XTrim MAXLEN 0 = %d, %v; want 5", n, err)
	}
	if n, _ := t.c.XLen(t.ctx, k); n != 0 {
		t.Fatalf("XLen after MAXLEN 0 = %d", n)
	}
	_, err = t.c.XTrim(t.ctx, k, broker.Trim{Strategy: broker.TrimMaxLen, MaxLen: -1})
	t.wantErr("XTrim MAXLEN -1", err, broker.ErrInvalidArgument)
	_, err = t.c.XTrim(t.ctx, k, broker.Trim{Strategy: 99})
	t.wantErr("XTrim with an unknown strategy", err, broker.ErrInvalidArgument)
}

func streamsAddTrim(t *suite) {
	k := t.name("s")
	for ms := uint64(1); ms <= 5; ms++ {
		_, err := t.c.XAdd(t.ctx, k, fields("n", "x"), broker.AddOptions{
			ID:   broker.ExplicitID(id(ms, 0)),
			Trim: broker.Trim{Strategy: broker.TrimMaxLen, MaxLen: 2},
		})
		t.ok("XAdd MAXLEN 2", err)
	}
	got, _ := t.c.XRange(t.ctx, k, broker.MinID, broker.MaxID, 0)
	t.wantIDs("after XAdd MAXLEN 2", got, id(4, 0), id(5, 0))
	// MINID applies after the append: an entry below it is added and dropped.
	at, err := t.c.XAdd(t.ctx, k, fields("n", "x"), broker.AddOptions{
		ID:   broker.ExplicitID(id(6, 0)),
		Trim: broker.Trim{Strategy: broker.TrimMinID, MinID: id(7, 0)},
	})
	if err != nil || at != id(6, 0) {
		t.Fatalf("XAdd MINID 7 6-0 = %v, %v", at, err)
	}
	if n, _ := t.c.XLen(t.ctx, k); n != 0 {
		t.Fatalf("XLen after XAdd MINID 7 = %d, want 0", n)
	}
}

func streamsXRead(t *suite) {
	k := t.name("s")
	for ms := uint64(1); ms <= 3; ms++ {
		t.add(k, id(ms, 0))
	}
	got, err := t.c.XRead(t.ctx, []broker.ReadStream{{Key: k, From: broker.After(id(1, 0))}}, broker.ReadOptions{})
	t.ok("XRead", err)
	if len(got) != 1 || got[0].Key != k {
		t.Fatalf("XRead = %v", got)
	}
	t.wantIDs("XRead after 1-0", got[0].Entries, id(2, 0), id(3, 0))
	got, err = t.c.XRead(t.ctx, []broker.ReadStream{{Key: k}}, broker.ReadOptions{Count: 1})
	t.ok("XRead COUNT 1", err)
	t.wantIDs("XRead 0 COUNT 1", got[0].Entries, id(1, 0))
	got, err = t.c.XRead(t.ctx, []broker.ReadStream{{Key: k, From: broker.Latest()}}, broker.ReadOptions{})
	if err != nil || got != nil {
		t.Fatalf("XRead $ without Block = %v, %v; want nil, nil", got, err)
	}
	got, err = t.c.XRead(t.ctx, []broker.ReadStream{{Key: k, From: broker.LastEntry()}}, broker.ReadOptions{})
	t.ok("XRead +", err)
	t.wantIDs("XRead +", got[0].Entries, id(3, 0))
	got, err = t.c.XRead(t.ctx, []broker.ReadStream{{Key: t.name("missing")}}, broker.ReadOptions{})
	if err != nil || got != nil {
		t.Fatalf("XRead of a missing key = %v, %v; want nil, nil", got, err)
	}
}

// streamsXReadSeveral: streams with data are answered in the order listed,
// those without are left out.
func streamsXReadSeveral(t *suite) {
	a, b, c := t.name("a"), t.name("b"), t.name("c")
	t.add(a, id(1, 0))
	t.add(c, id(2, 0))
	t.add(c, id(3, 0))
	got, err := t.c.XRead(t.ctx, []broker.ReadStream{{Key: c}, {Key: b}, {Key: a}}, broker.ReadOptions{})
	t.ok("XRead", err)
	if len(got) != 2 || got[0].Key != c || got[1].Key != a {
		t.Fatalf("XRead c b a = %v; want c then a", got)
	}
	t.wantIDs("XRead c", got[0].Entries, id(2, 0), id(3, 0))
	t.wantIDs("XRead a", got[1].Entries, id(1, 0))
}

// errOf drops a result.
func errOf[V any](_ V, err error) error { return err }
