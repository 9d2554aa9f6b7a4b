package stream

// Delivery and the pending entries list: XREADGROUP (new entries and
// history), XACK, XPENDING.

import "github.com/google/btree"

// ReadGroupNew delivers up to count (<= 0: all) entries after the group's
// last-delivered-id to consumer (XREADGROUP ">"). Each delivered entry
// advances last-delivered-id and entries-read as Redis 7.0 does and, unless
// noAck, becomes a pending entry owned by consumer with delivery count 1 and
// delivery time nowMs (an entry already pending, after a SETID backwards, is
// reassigned with its count reset to 1). The consumer is created if missing;
// its seen-time becomes nowMs, and its active-time too when a pending entry was
// made. It returns nil when there is nothing new.
func (s *Stream) ReadGroupNew(group, consumer string, nowMs uint64, count int, noAck bool) ([]Entry, error) {
	g, err := s.lookupGroup(group)
	if err != nil {
		return nil, err
	}
	c := g.consumer(consumer, nowMs)
	entries := s.rangeAfter(g.lastID, count)
	if len(entries) == 0 {
		return nil, nil
	}
	ls := s.lagState()
	for _, e := range entries {
		ls.advance(g, e.ID)
		if !noAck {
			g.deliver(c, e.ID, nowMs)
		}
	}
	if !noAck {
		c.activeMs = int64(nowMs)
	}
	return entries, nil
}

// deliver makes id pending for consumer c with count 1 at nowMs, taking it
// from its previous owner if it was pending already.
func (g *consumerGroup) deliver(c *groupConsumer, id ID, nowMs uint64) {
	old, ok := g.pel.ReplaceOrInsert(nack{id: id, deliveryMs: nowMs, count: 1, owner: c.slot})
	switch {
	case !ok:
		c.pel.ReplaceOrInsert(id)
	case old.owner != c.slot:
		g.unlink(old)
		c.pel.ReplaceOrInsert(id)
	}
}

// release removes the pending entry n from the group and from its owner or
// the NACK zone.
func (g *consumerGroup) release(n nack) {
	g.pel.Delete(n)
	g.unlink(n)
}

// ReadGroupHistory returns consumer's own pending entries with ID > after, up
// to count (<= 0: all), oldest first (XREADGROUP with an ID). Each one that
// still exists in the stream gets its delivery count incremented and its
// delivery time set to nowMs; one whose entry was deleted or trimmed is
// returned with nil Fields and left unchanged. The consumer is created if
// missing and its seen-time becomes nowMs. The result is never nil: a
// consumer with nothing pending gets an empty slice, as Redis replies an
// empty array.
func (s *Stream) ReadGroupHistory(group, consumer string, nowMs uint64, after ID, count int) ([]Entry, error) {
	g, err := s.lookupGroup(group)
	if err != nil {
		return nil, err
	}
	c := g.consumer(consumer, nowMs)
	ids := pendingIDsAfter(c, after, count)
	out := make([]Entry, 0, len(ids))
	for _, id := range ids {
		e, ok := s.Get(id)
		if !ok {
			out = append(out, Entry{ID: id})
			continue
		}
		n, _ := g.pel.Get(nack{id: id})
		n.deliveryMs = nowMs
		n.count++
		g.pel.ReplaceOrInsert(n)
		out = append(out, e)
	}
	return out, nil
}

// pendingIDsAfter lists up to count (<= 0: all) IDs > after of c's PEL.
func pendingIDsAfter(c *groupConsumer, after ID, count int) []ID {
	start, ok := after.Next()
	if !ok {
		return nil
	}
	var ids []ID
	c.pel.AscendGreaterOrEqual(start, func(id ID) bool {
		ids = append(ids, id)
		return count <= 0 || len(ids) < count
	})
	return ids
}

// Ack removes ids from the group's PEL and returns how many were pending
// (XACK). Unknown IDs, IDs listed twice and a missing group count 0.
//
// The IDs are taken last to first: a consumer mostly acknowledges the batch
// it was just given, in delivery order, so walking it backwards removes the
// greatest pending ID each time, which pops the end of a tree leaf instead of
// shifting the whole leaf as removing its first item does.
func (s *Stream) Ack(group string, ids ...ID) int64 {
	g, ok := s.rare().grp.m[group]
	if !ok {
		return 0
	}
	var n int64
	for i := len(ids) - 1; i >= 0; i-- {
		id := ids[i]
		if p, ok := g.unpend(id); ok {
			if c := g.owner(p); c == nil {
				g.unlink(p) // a NACKed entry
			} else if !deleteEdge(c.pel, id) {
				c.pel.Delete(id)
			}
			n++
		}
	}
	return n
}

// unpend removes id from the group's PEL and returns its entry, if it was
// pending. The greatest and smallest pending IDs are tried first (see Ack):
// DeleteMax and DeleteMin walk an edge of the tree with no key comparisons.
func (g *consumerGroup) unpend(id ID) (nack, bool) {
	if m, ok := g.pel.Max(); ok && m.id == id {
		return g.pel.DeleteMax()
	}
	if m, ok := g.pel.Min(); ok && m.id == id {
		return g.pel.DeleteMin()
	}
	return g.pel.Delete(nack{id: id})
}

// deleteEdge removes id from t if it is t's greatest or smallest item.
func deleteEdge(t *btree.BTreeG[ID], id ID) bool {
	if m, ok := t.Max(); ok && m == id {
		t.DeleteMax()
		return true
	}
	if m, ok := t.Min(); ok && m == id {
		t.DeleteMin()
		return true
	}
	return false
}

// PendingSummary is XPENDING's summary form: the number of pending entries,
// the smallest and greatest pending IDs, and the count of every consumer that
// has at least one. NACKed entries are counted in the total and under no
// consumer (Redis 8.8). With nothing pending, Count is 0 and the rest is zero.
func (s *Stream) PendingSummary(group string) (PendingSummary, error) {
	g, err := s.lookupGroup(group)
	if err != nil {
		return PendingSummary{}, err
	}
	var sum PendingSummary
	sum.Count = int64(g.pel.Len())
	if sum.Count == 0 {
		return sum, nil
	}
	minN, _ := g.pel.Min()
	maxN, _ := g.pel.Max()
	sum.Min, sum.Max = minN.id, maxN.id
	for _, name := range sortedNames(g.consumers) {
		if n := g.consumers[name].pel.Len(); n > 0 {
			sum.Consumers = append(sum.Consumers, ConsumerCount{Consumer: name, Count: int64(n)})
		}
	}
	return sum, nil
}

// PendingRange is XPENDING's extended form: up to q.Count pending entries
// with q.Start <= ID <= q.End, oldest first, only q.Consumer's if it is set
// or q.ByConsumer (none if that consumer does not exist), only those idle for at least
// q.MinIdleMs at nowMs if it is set. NACKed entries (Redis 8.8) are listed
// with Nacked set when no consumer is asked for, whatever q.MinIdleMs, and
// never under a consumer. Consumers are not touched.
func (s *Stream) PendingRange(group string, nowMs uint64, q PendingQuery) ([]Pending, error) {
	g, err := s.lookupGroup(group)
	if err != nil {
		return nil, err
	}
	if q.Count <= 0 || q.End.Less(q.Start) {
		return nil, nil
	}
	var out []Pending
	visit := func(n nack) bool {
		// The IDLE filter keeps NACKed entries (Redis 8.8): their delivery
		// time is 0.
		if n.owner == noOwner || idleAtLeast(nowMs, n.deliveryMs, q.MinIdleMs) {
			out = append(out, g.pending(n))
		}
		return len(out) < q.Count
	}
	if q.Consumer == "" && !q.ByConsumer {
		g.pel.AscendGreaterOrEqual(nack{id: q.Start}, func(n nack) bool {
			return !q.End.Less(n.id) && visit(n)
		})
		return out, nil
	}
	c, ok := g.consumers[q.Consumer]
	if !ok {
		return nil, nil
	}
	c.pel.AscendGreaterOrEqual(q.Start, func(id ID) bool {
		if q.End.Less(id) {
			return false
		}
		n, _ := g.pel.Get(nack{id: id})
		return visit(n)
	})
	return out, nil
}

// idleAtLeast reports whether an entry delivered at deliveryMs has been idle
// for at least minIdleMs at nowMs. A zero minIdleMs accepts everything, even a
// delivery time in the future, as Redis skips the check then.
func idleAtLeast(nowMs, deliveryMs, minIdleMs uint64) bool {
	return minIdleMs == 0 || (nowMs >= deliveryMs && nowMs-deliveryMs >= minIdleMs)
}

// pending converts n to the exported form.
func (g *consumerGroup) pending(n nack) Pending {
	p := Pending{ID: n.id, DeliveryMs: n.deliveryMs, DeliveryCount: n.count}
	if c := g.owner(n); c != nil {
		p.Consumer = c.name
	} else {
		p.Nacked = true
	}
	return p
}
