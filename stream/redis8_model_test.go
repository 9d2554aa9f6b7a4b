package stream_test

// The Redis 8 operations in the group model test (pel_test.go): XNACK,
// XREADGROUP CLAIM, XACKDEL, XDELEX and trims with a reference mode.

import (
	"cmp"
	"math"
	"slices"

	"github.com/brookmq/brook/stream"
)

// unzone takes i out of the NACK zone, if it is there.
func (g *modelGroup) unzone(i stream.ID) {
	g.zone = slices.DeleteFunc(g.zone, func(x stream.ID) bool { return x == i })
}

func (m *grpModel) nack(g *modelGroup, ids []stream.ID, o stream.NackOptions) int64 {
	var n int64
	for _, i := range ids {
		p, pending := g.pel[i]
		switch {
		case pending:
			switch {
			case o.Mode == stream.NackFatal:
				p.count = math.MaxInt64
			case o.Mode == stream.NackSilent && p.count > 0:
				p.count--
			}
		case o.Force && m.isLive(i):
			p = modelPending{}
			if o.Mode == stream.NackFatal {
				p.count = math.MaxInt64
			}
		default:
			continue
		}
		if o.RetryCount != nil {
			p.count = *o.RetryCount
		}
		p.consumer, p.deliveryMs, p.nacked = "", 0, true
		g.pel[i] = p
		g.unzone(i)
		g.zone = append(g.zone, i)
		n++
	}
	return n
}

func (m *grpModel) readClaim(g *modelGroup, c string, minIdle uint64, count int, noAck bool) []stream.ClaimedEntry {
	mc := g.touch(c, m.now)
	cands := slices.Clone(g.zone)
	var owned []stream.ID
	for i, p := range g.pel {
		if !p.nacked && (minIdle == 0 || m.now >= p.deliveryMs && m.now-p.deliveryMs >= minIdle) {
			owned = append(owned, i)
		}
	}
	slices.SortFunc(owned, func(a, b stream.ID) int {
		return cmp.Or(cmp.Compare(g.pel[a].deliveryMs, g.pel[b].deliveryMs), a.Compare(b))
	})
	var out []stream.ClaimedEntry
	for _, i := range append(cands, owned...) {
		if count > 0 && len(out) >= count {
			return out
		}
		if !m.isLive(i) {
			continue
		}
		p := g.pel[i]
		idle := uint64(0)
		if m.now > p.deliveryMs {
			idle = m.now - p.deliveryMs
		}
		out = append(out, stream.ClaimedEntry{Entry: stream.Entry{ID: i}, IdleMs: idle, DeliveryCount: p.count})
		g.unzone(i)
		next := p.count
		if next < math.MaxInt64 {
			next++
		}
		g.pel[i] = modelPending{consumer: c, deliveryMs: m.now, count: next}
		mc.activeMs = int64(m.now)
	}
	left := 0
	if count > 0 {
		if left = count - len(out); left == 0 {
			return out
		}
	}
	for _, i := range m.readNew(g, c, left, noAck) {
		out = append(out, stream.ClaimedEntry{Entry: stream.Entry{ID: i}})
	}
	return out
}

func (m *grpModel) referenced(i stream.ID) bool {
	for _, g := range m.groups {
		if _, ok := g.pel[i]; ok || g.last.Less(i) {
			return true
		}
	}
	return false
}

func (m *grpModel) deleteRef(i stream.ID, mode stream.RefMode) int {
	switch mode {
	case stream.DelRef:
		for _, g := range m.groups {
			g.unzone(i)
			delete(g.pel, i)
		}
	case stream.Acked:
		if m.referenced(i) {
			return stream.RefKept
		}
	}
	if !m.isLive(i) {
		return stream.RefNotFound
	}
	m.live = slices.DeleteFunc(m.live, func(x stream.ID) bool { return x == i })
	return stream.RefDeleted
}

func (m *grpModel) ackDel(g *modelGroup, ids []stream.ID, mode stream.RefMode) []int {
	out := make([]int, len(ids))
	for k, i := range ids {
		out[k] = stream.RefNotFound
		if _, ok := g.pel[i]; !ok {
			continue
		}
		g.unzone(i)
		delete(g.pel, i)
		if out[k] = m.deleteRef(i, mode); out[k] == stream.RefNotFound {
			out[k] = stream.RefDeleted
		}
	}
	return out
}

// trimRef is an exact trim with a reference mode.
func (m *grpModel) trimRef(t stream.Trim) int64 {
	var victims []stream.ID
	keep := int64(len(m.live))
	for _, i := range m.live {
		if t.Strategy == stream.TrimMaxLen && keep <= t.MaxLen || t.Strategy == stream.TrimMinID && !i.Less(t.MinID) {
			break
		}
		if t.Ref == stream.Acked && m.referenced(i) {
			continue
		}
		victims = append(victims, i)
		keep--
	}
	for _, i := range victims {
		m.live = slices.DeleteFunc(m.live, func(x stream.ID) bool { return x == i })
		if t.Ref == stream.DelRef {
			for _, g := range m.groups {
				g.unzone(i)
				delete(g.pel, i)
			}
		}
	}
	return int64(len(victims))
}

// stepR8 runs one of the Redis 8 operations, op in [0, 6).
func (r *modelRun) stepR8(gname string, g *modelGroup, c string, op int) {
	s, m := r.s, r.m
	someIDs := []stream.ID{r.someID(), r.someID(), r.someID()}[:1+r.pick(3)]
	mode := stream.RefMode(r.pick(3))
	switch op {
	case 0, 1:
		o := stream.NackOptions{Mode: stream.NackMode(r.pick(3)), Force: r.pick(3) == 0}
		if r.pick(4) == 0 {
			o.RetryCount = u64(uint64(r.pick(5)))
		}
		if r.pick(2) == 0 { // NACK what is pending mostly
			if p := g.sortedPEL(true, "", stream.MinID); len(p) > 0 {
				someIDs[0] = p[r.pick(len(p))]
			}
		}
		got, err := s.Nack(gname, someIDs, o)
		want := m.nack(g, someIDs, o)
		r.check(err == nil && got == want, "Nack(%s, %v, %+v) = %d, %v; want %d", gname, someIDs, o, got, err, want)
	case 2:
		minIdle := []uint64{0, 4, 8, math.MaxInt64}[r.pick(4)]
		count, noAck := r.pick(4), r.pick(6) == 0
		got, err := s.ReadGroupClaim(gname, c, m.now, minIdle, count, noAck)
		want := m.readClaim(g, c, minIdle, count, noAck)
		same := slices.EqualFunc(got, want, func(a, b stream.ClaimedEntry) bool {
			return a.ID == b.ID && a.IdleMs == b.IdleMs && a.DeliveryCount == b.DeliveryCount
		})
		r.check(err == nil && same, "ReadGroupClaim(%s, %q, %d, %d, %t) = %+v, %v; want %+v", gname, c, minIdle, count, noAck, got, err, want)
	case 3:
		got := s.AckDel(gname, someIDs, mode)
		want := m.ackDel(g, someIDs, mode)
		r.check(slices.Equal(got, want), "AckDel(%s, %v, %v) = %v, want %v", gname, someIDs, mode, got, want)
	case 4:
		got := s.DeleteEx(someIDs, mode)
		want := make([]int, len(someIDs))
		for k, i := range someIDs {
			want[k] = m.deleteRef(i, mode)
		}
		r.check(slices.Equal(got, want), "DeleteEx(%v, %v) = %v, want %v", someIDs, mode, got, want)
	default:
		t := stream.Trim{Strategy: stream.TrimMinID, MinID: r.someID(), Ref: stream.RefMode(1 + r.pick(2))}
		if r.pick(2) == 0 {
			t = stream.Trim{Strategy: stream.TrimMaxLen, MaxLen: int64(r.pick(len(m.live) + 1)), Ref: t.Ref}
		}
		got, want := s.Trim(t), m.trimRef(t)
		r.check(got == want, "Trim(%+v) = %d, want %d", t, got, want)
	}
}
