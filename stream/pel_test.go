package stream_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/brookmq/brook/stream"
)

// TestReadGroup follows conformance case xreadgroup_basic.
func TestReadGroup(t *testing.T) {
	s := newStream(t, 1, 2, 3)
	mustCreateGroup(t, s, "g", id(0, 0))
	type read struct {
		consumer string
		history  bool
		after    stream.ID
		count    int
		want     []stream.ID
	}
	steps := []read{
		{consumer: "c1", count: 1, want: []stream.ID{id(1, 0)}},
		{consumer: "c2", count: 1, want: []stream.ID{id(2, 0)}},
		{consumer: "c1", want: []stream.ID{id(3, 0)}},
		{consumer: "c1", want: nil},
		{consumer: "c1", history: true, want: []stream.ID{id(1, 0), id(3, 0)}},
		{consumer: "c2", history: true, want: []stream.ID{id(2, 0)}},
		{consumer: "c1", history: true, after: id(1, 0), count: 1, want: []stream.ID{id(3, 0)}},
		{consumer: "c3", history: true, want: []stream.ID{}},
	}
	for i, st := range steps {
		var got []stream.Entry
		var err error
		if st.history {
			got, err = s.ReadGroupHistory("g", st.consumer, uint64(100+i), st.after, st.count)
		} else {
			got, err = s.ReadGroupNew("g", st.consumer, uint64(100+i), st.count, false)
		}
		if err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		if (got == nil) != (st.want == nil) || !slices.Equal(ids(got), st.want) {
			t.Fatalf("step %d (%+v): got %v (nil %t)", i, st, ids(got), got == nil)
		}
		for _, e := range got {
			if len(e.Fields) != 1 || e.Fields[0].Value == "" {
				t.Fatalf("step %d: entry %v has fields %v", i, e.ID, e.Fields)
			}
		}
	}
	if n := s.Ack("g", id(1, 0)); n != 1 {
		t.Fatalf("Ack = %d", n)
	}
	got, _ := s.ReadGroupHistory("g", "c1", 200, id(0, 0), 0)
	if !slices.Equal(ids(got), []stream.ID{id(3, 0)}) {
		t.Fatalf("history after ack = %v", ids(got))
	}
	want := stream.PendingSummary{Count: 2, Min: id(2, 0), Max: id(3, 0),
		Consumers: []stream.ConsumerCount{{Consumer: "c1", Count: 1}, {Consumer: "c2", Count: 1}}}
	if sum := summary(t, s, "g"); !equalSummary(sum, want) {
		t.Errorf("summary = %+v, want %+v", sum, want)
	}
	// c3 was created by its history read, with nothing pending.
	cs, _ := s.Consumers("g", 300)
	if len(cs) != 3 || cs[2].Name != "c3" || cs[2].Pending != 0 {
		t.Errorf("consumers = %+v", cs)
	}
}

func equalSummary(a, b stream.PendingSummary) bool {
	return a.Count == b.Count && a.Min == b.Min && a.Max == b.Max && slices.Equal(a.Consumers, b.Consumers)
}

// TestReadGroupNoAck follows conformance case xreadgroup_noack.
func TestReadGroupNoAck(t *testing.T) {
	s := newStream(t, 1, 2)
	mustCreateGroup(t, s, "g", id(0, 0))
	got, err := s.ReadGroupNew("g", "c", 10, 0, true)
	if err != nil || !slices.Equal(ids(got), []stream.ID{id(1, 0), id(2, 0)}) {
		t.Fatalf("NOACK read = %v, %v", ids(got), err)
	}
	if sum := summary(t, s, "g"); sum.Count != 0 {
		t.Fatalf("NOACK left %d pending", sum.Count)
	}
	if h, _ := s.ReadGroupHistory("g", "c", 11, id(0, 0), 0); len(h) != 0 || h == nil {
		t.Fatalf("history after NOACK = %v (nil %t), want empty", h, h == nil)
	}
	appendEntry(t, s, id(3, 0))
	mustReadNew(t, s, "g", "c", 12, 0)
	want := stream.PendingSummary{Count: 1, Min: id(3, 0), Max: id(3, 0), Consumers: []stream.ConsumerCount{{Consumer: "c", Count: 1}}}
	if sum := summary(t, s, "g"); !equalSummary(sum, want) {
		t.Errorf("summary = %+v, want %+v", sum, want)
	}
	g := groupInfo(t, s, "g")
	if g.Consumers != 1 || g.LastDeliveredID != id(3, 0) || g.EntriesRead != 3 || g.Lag != 0 {
		t.Errorf("group = %+v", g)
	}
}

func TestReadGroupNoGroup(t *testing.T) {
	s := newStream(t, 1)
	if _, err := s.ReadGroupNew("nope", "c", 1, 0, false); !errors.Is(err, stream.ErrNoGroup) {
		t.Errorf("ReadGroupNew: %v", err)
	}
	if _, err := s.ReadGroupHistory("nope", "c", 1, id(0, 0), 0); !errors.Is(err, stream.ErrNoGroup) {
		t.Errorf("ReadGroupHistory: %v", err)
	}
	if _, err := s.PendingSummary("nope"); !errors.Is(err, stream.ErrNoGroup) {
		t.Errorf("PendingSummary: %v", err)
	}
	if _, err := s.PendingRange("nope", 1, stream.PendingQuery{End: stream.MaxID, Count: 1}); !errors.Is(err, stream.ErrNoGroup) {
		t.Errorf("PendingRange: %v", err)
	}
	if _, err := s.Consumers("nope", 1); !errors.Is(err, stream.ErrNoGroup) {
		t.Errorf("Consumers: %v", err)
	}
	if n := s.Ack("nope", id(1, 0)); n != 0 {
		t.Errorf("Ack = %d", n)
	}
}

// TestHistoryCountsAndDeleted checks the delivery bookkeeping of history
// reads, with entries deleted from the stream (observed on Redis 7.0.15).
func TestHistoryCountsAndDeleted(t *testing.T) {
	s := newStream(t, 1, 2, 3, 4, 5, 6)
	mustCreateGroup(t, s, "g", id(0, 0))
	mustReadNew(t, s, "g", "c1", 1000, 4)
	if n := s.Delete(id(2, 0), id(3, 0)); n != 2 {
		t.Fatalf("Delete = %d", n)
	}
	got, err := s.ReadGroupHistory("g", "c1", 2000, id(0, 0), 0)
	if err != nil {
		t.Fatal(err)
	}
	wantNil := []bool{false, true, true, false}
	if !slices.Equal(ids(got), []stream.ID{id(1, 0), id(2, 0), id(3, 0), id(4, 0)}) {
		t.Fatalf("history = %v", ids(got))
	}
	for i, e := range got {
		if (e.Fields == nil) != wantNil[i] {
			t.Errorf("%v: Fields = %v, want nil %t", e.ID, e.Fields, wantNil[i])
		}
	}
	want := []stream.Pending{
		{ID: id(1, 0), Consumer: "c1", DeliveryMs: 2000, DeliveryCount: 2},
		{ID: id(2, 0), Consumer: "c1", DeliveryMs: 1000, DeliveryCount: 1},
		{ID: id(3, 0), Consumer: "c1", DeliveryMs: 1000, DeliveryCount: 1},
		{ID: id(4, 0), Consumer: "c1", DeliveryMs: 2000, DeliveryCount: 2},
	}
	if p := allPending(t, s, "g", 3000); !slices.Equal(p, want) {
		t.Errorf("pending = %+v\nwant %+v", p, want)
	}
	// SETID backwards: reading again reassigns a pending entry, count back to 1.
	if err := s.SetGroupID("g", id(0, 0), stream.EntriesReadUnknown); err != nil {
		t.Fatal(err)
	}
	mustReadNew(t, s, "g", "c2", 4000, 1)
	want[0] = stream.Pending{ID: id(1, 0), Consumer: "c2", DeliveryMs: 4000, DeliveryCount: 1}
	if p := allPending(t, s, "g", 5000); !slices.Equal(p, want) {
		t.Errorf("pending after re-delivery = %+v\nwant %+v", p, want)
	}
	g := groupInfo(t, s, "g")
	if g.EntriesRead != stream.EntriesReadUnknown || !g.LagUnknown || g.Lag != -1 || g.Consumers != 2 {
		t.Errorf("group = %+v, want unknown entries-read and lag", g)
	}
}

// TestAck follows conformance case xack_basic.
func TestAck(t *testing.T) {
	s := newStream(t, 1, 2, 3)
	mustCreateGroup(t, s, "g", id(0, 0))
	mustReadNew(t, s, "g", "c", 1, 0)
	tests := []struct {
		group string
		ids   []stream.ID
		want  int64
	}{
		{"g", []stream.ID{id(9, 9)}, 0},
		{"g", []stream.ID{id(1, 0)}, 1},
		{"g", []stream.ID{id(1, 0)}, 0},
		{"g", []stream.ID{id(2, 0), id(3, 0), id(4, 0)}, 2},
		{"g", []stream.ID{id(1, 0), id(2, 0)}, 0},
		{"nogroup", []stream.ID{id(1, 0)}, 0},
		{"g", nil, 0},
	}
	for i, tc := range tests {
		if got := s.Ack(tc.group, tc.ids...); got != tc.want {
			t.Errorf("step %d: Ack(%q, %v) = %d, want %d", i, tc.group, tc.ids, got, tc.want)
		}
	}
	if sum := summary(t, s, "g"); sum.Count != 0 || sum.Consumers != nil || !sum.Min.IsZero() {
		t.Errorf("summary = %+v", sum)
	}
	s2 := newStream(t, 1, 2)
	mustCreateGroup(t, s2, "g", id(0, 0))
	mustReadNew(t, s2, "g", "c", 1, 0)
	if got := s2.Ack("g", id(1, 0), id(1, 0)); got != 1 {
		t.Errorf("the same ID twice counted %d", got)
	}
}

// TestPendingSummary follows conformance case xpending_summary.
func TestPendingSummary(t *testing.T) {
	s := newStream(t, 1, 2, 3, 4)
	mustCreateGroup(t, s, "g", id(0, 0))
	if sum := summary(t, s, "g"); !equalSummary(sum, stream.PendingSummary{}) {
		t.Fatalf("empty summary = %+v", sum)
	}
	mustReadNew(t, s, "g", "zed", 1, 1)
	mustReadNew(t, s, "g", "amy", 1, 2)
	mustReadNew(t, s, "g", "bob", 1, 1)
	want := stream.PendingSummary{Count: 4, Min: id(1, 0), Max: id(4, 0), Consumers: []stream.ConsumerCount{
		{Consumer: "amy", Count: 2}, {Consumer: "bob", Count: 1}, {Consumer: "zed", Count: 1}}}
	if sum := summary(t, s, "g"); !equalSummary(sum, want) {
		t.Fatalf("summary = %+v, want %+v", sum, want)
	}
	s.Ack("g", id(1, 0))
	want = stream.PendingSummary{Count: 3, Min: id(2, 0), Max: id(4, 0), Consumers: []stream.ConsumerCount{
		{Consumer: "amy", Count: 2}, {Consumer: "bob", Count: 1}}}
	if sum := summary(t, s, "g"); !equalSummary(sum, want) {
		t.Fatalf("summary after ack = %+v, want %+v", sum, want)
	}
}

func TestPendingRange(t *testing.T) {
	s := newStream(t, 1, 2, 3, 4, 5)
	mustCreateGroup(t, s, "g", id(0, 0))
	mustReadNew(t, s, "g", "amy", 100, 2) // 1, 2 at 100
	mustReadNew(t, s, "g", "bob", 200, 2) // 3, 4 at 200
	mustReadNew(t, s, "g", "amy", 300, 1) // 5 at 300
	all := stream.PendingQuery{Start: stream.MinID, End: stream.MaxID, Count: 10}
	tests := map[string]struct {
		q    func(stream.PendingQuery) stream.PendingQuery
		want []stream.ID
	}{
		"all":              {func(q stream.PendingQuery) stream.PendingQuery { return q }, []stream.ID{id(1, 0), id(2, 0), id(3, 0), id(4, 0), id(5, 0)}},
		"count":            {func(q stream.PendingQuery) stream.PendingQuery { q.Count = 2; return q }, []stream.ID{id(1, 0), id(2, 0)}},
		"count zero":       {func(q stream.PendingQuery) stream.PendingQuery { q.Count = 0; return q }, nil},
		"negative count":   {func(q stream.PendingQuery) stream.PendingQuery { q.Count = -1; return q }, nil},
		"bounds inclusive": {func(q stream.PendingQuery) stream.PendingQuery { q.Start, q.End = id(2, 0), id(4, 0); return q }, []stream.ID{id(2, 0), id(3, 0), id(4, 0)}},
		"start after end":  {func(q stream.PendingQuery) stream.PendingQuery { q.Start, q.End = id(4, 0), id(2, 0); return q }, nil},
		"consumer":         {func(q stream.PendingQuery) stream.PendingQuery { q.Consumer = "amy"; return q }, []stream.ID{id(1, 0), id(2, 0), id(5, 0)}},
		"consumer bounded": {func(q stream.PendingQuery) stream.PendingQuery {
			q.Consumer, q.End, q.Count = "amy", id(4, 0), 1
			return q
		}, []stream.ID{id(1, 0)}},
		"missing consumer": {func(q stream.PendingQuery) stream.PendingQuery { q.Consumer = "zed"; return q }, nil},
		"idle 200":         {func(q stream.PendingQuery) stream.PendingQuery { q.MinIdleMs = 200; return q }, []stream.ID{id(1, 0), id(2, 0), id(3, 0), id(4, 0)}},
		"idle 201":         {func(q stream.PendingQuery) stream.PendingQuery { q.MinIdleMs = 201; return q }, []stream.ID{id(1, 0), id(2, 0)}},
		"idle huge":        {func(q stream.PendingQuery) stream.PendingQuery { q.MinIdleMs = 1e12; return q }, nil},
		"idle and count": {func(q stream.PendingQuery) stream.PendingQuery {
			q.MinIdleMs, q.Start, q.Count = 150, id(2, 0), 2
			return q
		}, []stream.ID{id(2, 0), id(3, 0)}},
		"idle consumer": {func(q stream.PendingQuery) stream.PendingQuery { q.MinIdleMs, q.Consumer = 150, "amy"; return q }, []stream.ID{id(1, 0), id(2, 0)}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := s.PendingRange("g", 400, tc.q(all))
			if err != nil {
				t.Fatal(err)
			}
			var gotIDs []stream.ID
			for _, p := range got {
				gotIDs = append(gotIDs, p.ID)
			}
			if !slices.Equal(gotIDs, tc.want) {
				t.Errorf("got %v, want %v", gotIDs, tc.want)
			}
		})
	}
	got, _ := s.PendingRange("g", 400, stream.PendingQuery{Start: id(3, 0), End: id(3, 0), Count: 1})
	if want := []stream.Pending{{ID: id(3, 0), Consumer: "bob", DeliveryMs: 200, DeliveryCount: 1}}; !slices.Equal(got, want) {
		t.Errorf("entry 3-0 = %+v, want %+v", got, want)
	}
}

// The model-based test: random sequences of group operations, entry
// deletions and trims applied both to a Stream and to a plain reference
// model (maps and sorted slices), compared after every step.

type modelPending struct {
	consumer   string
	deliveryMs uint64
	count      uint64
	nacked     bool // XNACK: no owner, in modelGroup.zone (redis8_model_test.go)
}

type modelConsumer struct {
	seenMs   uint64
	activeMs int64
}

type modelGroup struct {
	last      stream.ID
	pel       map[stream.ID]modelPending
	consumers map[string]*modelConsumer
	zone      []stream.ID // the NACKed IDs, in NACK order
}

type grpModel struct {
	live   []stream.ID // IDs of the entries in the stream, sorted
	groups map[string]*modelGroup
	now    uint64
}

func (m *grpModel) isLive(i stream.ID) bool {
	_, ok := slices.BinarySearchFunc(m.live, i, stream.ID.Compare)
	return ok
}

func (g *modelGroup) touch(name string, now uint64) *modelConsumer {
	c, ok := g.consumers[name]
	if !ok {
		c = &modelConsumer{activeMs: -1}
		g.consumers[name] = c
	}
	c.seenMs = now
	return c
}

// sortedPEL lists the pending IDs >= from of g (all) or of owner.
func (g *modelGroup) sortedPEL(all bool, owner string, from stream.ID) []stream.ID {
	var out []stream.ID
	for i, p := range g.pel {
		if (all || p.consumer == owner && !p.nacked) && !i.Less(from) {
			out = append(out, i)
		}
	}
	slices.SortFunc(out, stream.ID.Compare)
	return out
}

func (g *modelGroup) pending() []stream.Pending {
	var out []stream.Pending
	for _, i := range g.sortedPEL(true, "", stream.MinID) {
		p := g.pel[i]
		out = append(out, stream.Pending{ID: i, Consumer: p.consumer, DeliveryMs: p.deliveryMs, DeliveryCount: p.count, Nacked: p.nacked})
	}
	return out
}

func (m *grpModel) readNew(g *modelGroup, c string, count int, noAck bool) []stream.ID {
	mc := g.touch(c, m.now)
	var out []stream.ID
	for _, i := range m.live {
		if g.last.Less(i) && (count <= 0 || len(out) < count) {
			out = append(out, i)
		}
	}
	for _, i := range out {
		g.last = i
		if !noAck {
			g.unzone(i)
			g.pel[i] = modelPending{consumer: c, deliveryMs: m.now, count: 1}
			mc.activeMs = int64(m.now)
		}
	}
	return out
}

func (m *grpModel) readHistory(g *modelGroup, c string, after stream.ID, count int) []stream.ID {
	g.touch(c, m.now)
	from, ok := after.Next()
	if !ok {
		return nil
	}
	out := g.sortedPEL(false, c, from)
	if count > 0 && len(out) > count {
		out = out[:count]
	}
	for _, i := range out {
		if m.isLive(i) {
			p := g.pel[i]
			p.deliveryMs, p.count = m.now, p.count+1
			g.pel[i] = p
		}
	}
	return out
}

func (m *grpModel) claim(g *modelGroup, c string, minIdle uint64, ids []stream.ID, o stream.ClaimOptions) []stream.ID {
	if o.LastID != nil && g.last.Less(*o.LastID) {
		g.last = *o.LastID
	}
	at := m.now
	if o.TimeMs != nil && *o.TimeMs <= m.now {
		at = *o.TimeMs
	} else if o.TimeMs == nil && o.IdleMs != nil && *o.IdleMs <= m.now {
		at = m.now - *o.IdleMs
	}
	mc := g.touch(c, m.now)
	var out []stream.ID
	for _, i := range ids {
		p, pending := g.pel[i]
		switch {
		case !m.isLive(i):
			g.unzone(i)
			delete(g.pel, i)
			continue
		case !pending && !o.Force:
			continue
		case !pending:
			p = modelPending{count: 1}
		case !p.nacked && minIdle > 0 && (m.now < p.deliveryMs || m.now-p.deliveryMs < minIdle):
			continue
		}
		g.unzone(i)
		p.nacked = false
		p.consumer, p.deliveryMs = c, at
		if o.RetryCount != nil {
			p.count = *o.RetryCount
		} else if !o.JustID {
			p.count++
		}
		g.pel[i] = p
		mc.activeMs = int64(m.now)
		out = append(out, i)
	}
	return out
}

func (m *grpModel) autoClaim(g *modelGroup, c string, minIdle uint64, start stream.ID, count int) (next stream.ID, claimed, deleted []stream.ID) {
	mc := g.touch(c, m.now)
	attempts := count * 10
	keys := g.sortedPEL(true, "", start)
	k := 0
	for ; k < len(keys) && attempts > 0 && count > 0; k++ {
		attempts--
		i, p := keys[k], g.pel[keys[k]]
		switch {
		case !m.isLive(i):
			g.unzone(i)
			delete(g.pel, i)
			deleted = append(deleted, i)
			count--
		case p.nacked || minIdle == 0 || (m.now >= p.deliveryMs && m.now-p.deliveryMs >= minIdle):
			g.unzone(i)
			g.pel[i] = modelPending{consumer: c, deliveryMs: m.now, count: p.count + 1}
			mc.activeMs = int64(m.now)
			claimed = append(claimed, i)
			count--
		}
	}
	if k < len(keys) {
		next = keys[k]
	}
	return next, claimed, deleted
}

// modelRun drives one random sequence.
type modelRun struct {
	t     *testing.T
	rng   *rand.Rand
	s     *stream.Stream
	m     *grpModel
	ms    uint64 // ms of the next entry
	clone *stream.Stream
	print string // fingerprint of clone when it was taken
}

func (r *modelRun) pick(n int) int { return r.rng.IntN(n) }

// someID returns an ID of the stream's history (live, deleted or pending)
// or one that never existed.
func (r *modelRun) someID() stream.ID {
	if r.ms == 0 || r.pick(8) == 0 {
		return id(uint64(r.pick(int(r.ms)+2)), uint64(r.pick(2)))
	}
	return id(uint64(r.pick(int(r.ms))), 0)
}

func (r *modelRun) step() (setID bool) {
	s, m, t := r.s, r.m, r.t
	gname := []string{"g1", "g2"}[r.pick(2)]
	g := m.groups[gname]
	c := []string{"a", "b", "c", ""}[r.pick(4)]
	switch op := r.pick(26); {
	case op >= 20:
		r.stepR8(gname, g, c, op-20)
	case op < 4:
		i := id(r.ms, 0)
		appendEntry(t, s, i)
		m.live = append(m.live, i)
		r.ms += 1 + uint64(r.pick(2))
	case op < 7:
		count, noAck := r.pick(4), r.pick(6) == 0
		got, err := s.ReadGroupNew(gname, c, m.now, count, noAck)
		r.check(err == nil && slices.Equal(ids(got), m.readNew(g, c, count, noAck)), "ReadGroupNew(%s, %q, %d, %t) = %v, %v", gname, c, count, noAck, ids(got), err)
	case op < 9:
		after, count := r.someID(), r.pick(3)
		got, err := s.ReadGroupHistory(gname, c, m.now, after, count)
		want := m.readHistory(g, c, after, count)
		r.check(err == nil && slices.Equal(ids(got), want) || len(want)+len(got) == 0, "ReadGroupHistory(%s, %q, %v, %d) = %v, %v; want %v", gname, c, after, count, ids(got), err, want)
		for _, e := range got {
			r.check((e.Fields == nil) == !m.isLive(e.ID), "history entry %v fields %v", e.ID, e.Fields)
		}
	case op < 11:
		r.ack(gname, g)
	case op < 13:
		r.claim(gname, g, c)
	case op < 15:
		minIdle, start, count := uint64(r.pick(3)*4), r.someID(), 1+r.pick(4)
		next, claimed, deleted, err := s.AutoClaim(gname, c, m.now, minIdle, start, count, false)
		wantNext, wantClaimed, wantDeleted := m.autoClaim(g, c, minIdle, start, count)
		r.check(err == nil && next == wantNext && slices.Equal(ids(claimed), wantClaimed) || len(claimed)+len(wantClaimed) == 0,
			"AutoClaim(%s, %q, %d, %v, %d) = %v, %v; want %v, %v", gname, c, minIdle, start, count, next, ids(claimed), wantNext, wantClaimed)
		r.check(slices.Equal(deleted, wantDeleted) || len(deleted)+len(wantDeleted) == 0, "AutoClaim deleted %v, want %v", deleted, wantDeleted)
	case op < 16:
		r.deleteConsumer(gname, g, c)
	case op < 18:
		i := r.someID()
		s.Delete(i)
		m.live = slices.DeleteFunc(m.live, func(x stream.ID) bool { return x == i })
	case op < 19:
		if r.pick(3) == 0 {
			minID := r.someID()
			s.Trim(stream.Trim{Strategy: stream.TrimMinID, MinID: minID})
			m.live = slices.DeleteFunc(m.live, func(x stream.ID) bool { return x.Less(minID) })
		} else if _, err := s.CreateConsumer(gname, c, m.now); err == nil {
			if _, ok := g.consumers[c]; !ok {
				g.consumers[c] = &modelConsumer{seenMs: m.now, activeMs: -1}
			}
		}
	default:
		last := r.someID()
		if err := s.SetGroupID(gname, last, stream.EntriesReadUnknown); err != nil {
			t.Fatal(err)
		}
		g.last = last
		return true
	}
	return false
}

func (r *modelRun) ack(gname string, g *modelGroup) {
	s := r.s
	ackIDs := []stream.ID{r.someID(), r.someID()}
	want := int64(0)
	for _, i := range slices.Compact(slices.SortedFunc(slices.Values(ackIDs), stream.ID.Compare)) {
		if _, ok := g.pel[i]; ok {
			g.unzone(i)
			delete(g.pel, i)
			want++
		}
	}
	got := s.Ack(gname, ackIDs...)
	r.check(got == want, "Ack(%s, %v) = %d, want %d", gname, ackIDs, got, want)
}

func (r *modelRun) deleteConsumer(gname string, g *modelGroup, c string) {
	s := r.s
	want := int64(len(g.sortedPEL(false, c, stream.MinID)))
	if _, ok := g.consumers[c]; !ok {
		want = 0
	}
	for _, i := range g.sortedPEL(false, c, stream.MinID) {
		delete(g.pel, i)
	}
	delete(g.consumers, c)
	got, err := s.DeleteConsumer(gname, c)
	r.check(err == nil && got == want, "DeleteConsumer(%s, %q) = %d, %v; want %d", gname, c, got, err, want)
}

func (r *modelRun) claim(gname string, g *modelGroup, c string) {
	claimIDs := []stream.ID{r.someID(), r.someID()}
	var o stream.ClaimOptions
	o.JustID, o.Force = r.pick(3) == 0, r.pick(5) == 0
	switch r.pick(8) {
	case 0:
		o.RetryCount = u64(uint64(r.pick(5)))
	case 1:
		o.TimeMs = u64(r.m.now - uint64(r.pick(10)) + 5)
	case 2:
		o.IdleMs = u64(uint64(r.pick(10)))
	case 3:
		last := r.someID()
		o.LastID = &last
	}
	minIdle := uint64(r.pick(3) * 4)
	got, err := r.s.Claim(gname, c, r.m.now, minIdle, claimIDs, o)
	want := r.m.claim(g, c, minIdle, claimIDs, o)
	r.check(err == nil && slices.Equal(ids(got), want) || len(got)+len(want) == 0, "Claim(%s, %q, %d, %v, %+v) = %v, %v; want %v", gname, c, minIdle, claimIDs, o, ids(got), err, want)
}

func (r *modelRun) check(ok bool, format string, args ...any) {
	r.t.Helper()
	if !ok {
		r.t.Fatalf(format, args...)
	}
}

// compare checks every observable group state of the stream against the grpModel.
func (r *modelRun) compare() {
	s, m := r.s, r.m
	got := ids(s.Range(stream.MinID, stream.MaxID, 0))
	r.check(slices.Equal(got, m.live) || len(got)+len(m.live) == 0, "entries %v, want %v", got, m.live)
	infos := s.Groups()
	r.check(len(infos) == len(m.groups), "%d groups", len(infos))
	for _, gi := range infos {
		g := m.groups[gi.Name]
		want := g.pending()
		gotP := allPending(r.t, s, gi.Name, m.now)
		r.check(slices.Equal(gotP, want), "group %s pending\n%+v\nwant %+v", gi.Name, gotP, want)
		r.check(gi.LastDeliveredID == g.last && gi.Pending == int64(len(want)) && gi.Consumers == int64(len(g.consumers)),
			"group %+v, want last %v, %d pending, %d consumers", gi, g.last, len(want), len(g.consumers))
		r.compareConsumers(gi.Name, g)
	}
}

func (r *modelRun) compareConsumers(gname string, g *modelGroup) {
	s, now := r.s, r.m.now
	cs, err := s.Consumers(gname, now)
	r.check(err == nil && len(cs) == len(g.consumers), "consumers %+v, want %d", cs, len(g.consumers))
	sum := summary(r.t, s, gname)
	var union int64
	wantCounts := []stream.ConsumerCount(nil)
	for _, ci := range cs {
		mc, ok := g.consumers[ci.Name]
		owned := g.sortedPEL(false, ci.Name, stream.MinID)
		r.check(ok && ci.Pending == int64(len(owned)) && ci.IdleMs == max(0, int64(now)-int64(mc.seenMs)) &&
			ci.InactiveMs == map[bool]int64{true: -1, false: int64(now) - mc.activeMs}[mc.activeMs == -1],
			"consumer %+v, grpModel %+v with %d pending", ci, mc, len(owned))
		p, _ := s.PendingRange(gname, now, stream.PendingQuery{End: stream.MaxID, Count: 1 << 20, Consumer: ci.Name, ByConsumer: true})
		r.check(len(p) == len(owned), "consumer %q PEL %v, want %v", ci.Name, p, owned)
		for k := range p {
			r.check(p[k].ID == owned[k] && p[k].Consumer == ci.Name, "consumer %q PEL %v, want %v", ci.Name, p, owned)
		}
		union += int64(len(p))
		if len(owned) > 0 {
			wantCounts = append(wantCounts, stream.ConsumerCount{Consumer: ci.Name, Count: int64(len(owned))})
		}
	}
	r.check(union+int64(len(g.zone)) == int64(len(g.pel)) && sum.Count == int64(len(g.pel)) && slices.Equal(sum.Consumers, wantCounts),
		"group PEL %d, consumer PELs %d, NACKed %d, summary %+v", len(g.pel), union, len(g.zone), sum)
}

// fingerprint renders everything observable about the groups and entries.
func fingerprint(s *stream.Stream, now uint64) string {
	info := s.Info()
	var edges []stream.Entry
	for _, e := range []*stream.Entry{info.FirstEntry, info.LastEntry} {
		if e != nil {
			edges = append(edges, *e)
		}
	}
	info.FirstEntry, info.LastEntry = nil, nil
	out := fmt.Sprintf("%+v|%+v|%+v|%+v", info, edges, s.Range(stream.MinID, stream.MaxID, 0), s.GroupsFull(0))
	for _, g := range s.Groups() {
		cs, _ := s.Consumers(g.Name, now)
		out += fmt.Sprintf("|%+v", cs)
	}
	return out
}

// snapshots takes a clone now and then and checks that the last one is
// untouched by what happened since; and round-trips the stream through its
// snapshot encoding, going on with the decoded copy.
func (r *modelRun) snapshots(step int) {
	if r.clone != nil && step%10 == 0 {
		r.check(fingerprint(r.clone, 0) == r.print, "step %d: the clone changed", step)
	}
	if step%37 == 0 {
		r.clone = r.s.Clone()
		r.print = fingerprint(r.clone, 0)
	}
	if step%23 == 0 {
		b, err := r.s.AppendBinary(nil)
		r.check(err == nil, "AppendBinary: %v", err)
		d, err := stream.Decode(b)
		r.check(err == nil, "Decode: %v", err)
		r.check(fingerprint(d, r.m.now) == fingerprint(r.s, r.m.now), "step %d: decoded stream differs\n%s\n%s", step, fingerprint(d, r.m.now), fingerprint(r.s, r.m.now))
		r.s = d
	}
}

func TestGroupsModel(t *testing.T) {
	for seed := range uint64(4) {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			r := &modelRun{t: t, rng: rand.New(rand.NewPCG(seed, 7)), s: stream.New(), ms: 1,
				m: &grpModel{groups: map[string]*modelGroup{}}}
			for _, name := range []string{"g1", "g2"} {
				mustCreateGroup(t, r.s, name, id(0, 0))
				r.m.groups[name] = &modelGroup{pel: map[stream.ID]modelPending{}, consumers: map[string]*modelConsumer{}}
			}
			for step := range 300 {
				r.m.now += uint64(r.pick(4))
				before := map[string]stream.ID{"g1": r.m.groups["g1"].last, "g2": r.m.groups["g2"].last}
				setID := r.step()
				r.compare()
				for name, last := range before {
					if g := groupInfo(t, r.s, name); g.LastDeliveredID.Less(last) && !setID {
						t.Fatalf("step %d: %s last-delivered-id went back from %v to %v", step, name, last, g.LastDeliveredID)
					}
				}
				r.snapshots(step)
			}
		})
	}
}

// BenchmarkReadAck measures the group round trip of one entry: XREADGROUP >
// with COUNT 1, then XACK.
func BenchmarkReadAck(b *testing.B) {
	s := stream.New()
	fields := []stream.Field{{Name: "user_id", Value: "1234"}, {Name: "product", Value: "prod1234"}, {Name: "amount", Value: "4321"}}
	const n = 100_000
	for i := range uint64(n) {
		if err := s.Append(id(i+1, 0), fields); err != nil {
			b.Fatal(err)
		}
	}
	mustCreateGroup(b, s, "g", id(0, 0))
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if i == n {
			b.StopTimer()
			if err := s.SetGroupID("g", id(0, 0), 0); err != nil {
				b.Fatal(err)
			}
			i = 0
			b.StartTimer()
		}
		e, err := s.ReadGroupNew("g", "c", uint64(i), 1, false)
		if err != nil || len(e) != 1 || s.Ack("g", e[0].ID) != 1 {
			b.Fatalf("read %v, %v", e, err)
		}
		i++
	}
}

// BenchmarkPending measures pending-list bookkeeping with a large PEL:
// 100,000 pending entries, each step claims one and acknowledges another.
func BenchmarkPending(b *testing.B) {
	s := stream.New()
	const n = 100_000
	for i := range uint64(n) {
		appendEntry(b, s, id(i+1, 0))
	}
	mustCreateGroup(b, s, "g", id(0, 0))
	mustReadNew(b, s, "g", "a", 1, 0)
	b.ReportAllocs()
	i := uint64(0)
	for b.Loop() {
		x := id(i%n+1, 0)
		if _, err := s.Claim("g", "b", 2, 0, []stream.ID{x}, stream.ClaimOptions{JustID: true}); err != nil {
			b.Fatal(err)
		}
		if s.Ack("g", x) != 1 {
			b.Fatal("not pending")
		}
		if _, err := s.Claim("g", "a", 3, 0, []stream.ID{x}, stream.ClaimOptions{Force: true, JustID: true}); err != nil {
			b.Fatal(err)
		}
		i++
	}
	if sum := summary(b, s, "g"); sum.Count != n {
		b.Fatalf("%d pending", sum.Count)
	}
}
