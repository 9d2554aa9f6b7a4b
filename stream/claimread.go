package stream

// XREADGROUP ... CLAIM min-idle-time ... > (Redis 8.4): claim idle pending
// entries before delivering new ones.

import (
	"cmp"
	"slices"
)

// ClaimedEntry is one entry of an XREADGROUP CLAIM reply: the entry and, for
// a claimed pending entry, how long it had been idle and its delivery count
// before this delivery. New entries have both zero.
type ClaimedEntry struct {
	Entry
	IdleMs        uint64 // since its last delivery; for a NACKed entry, nowMs (its delivery time is 0)
	DeliveryCount uint64 // before this delivery
}

// ReadGroupClaim is XREADGROUP with CLAIM minIdleMs and ">" (Redis 8.4). It
// first claims for consumer the group's pending entries in time order: the
// NACKed entries in NACK order (whatever minIdleMs, Redis 8.8), then the
// owned ones by delivery time (ties by ID), as long as they have been idle
// for at least minIdleMs. A claimed entry gets consumer as owner, delivery
// time nowMs and one more delivery (the count stops at 9223372036854775807);
// a pending entry whose stream entry is gone is skipped and stays pending.
// Then, up to count (<= 0: no limit) entries in all, it delivers new entries
// as [Stream.ReadGroupNew] does; noAck applies to those only. The consumer is
// created if missing; its seen-time becomes nowMs, its active-time too when
// an entry entered its PEL. It returns nil when there is nothing.
//
// Candidates are found by a walk of the whole PEL, sorted by delivery time:
// the cost is O(P log P) for P pending entries.
func (s *Stream) ReadGroupClaim(group, consumer string, nowMs, minIdleMs uint64, count int, noAck bool) ([]ClaimedEntry, error) {
	g, err := s.lookupGroup(group)
	if err != nil {
		return nil, err
	}
	c := g.consumer(consumer, nowMs)
	var out []ClaimedEntry
	full := func() bool { return count > 0 && len(out) >= count }
	for _, id := range g.claimCandidates(nowMs, minIdleMs) {
		if full() {
			break
		}
		e, ok := s.Get(id)
		if !ok {
			continue // deleted from the stream: stays pending (Redis 8.4)
		}
		n, _ := g.pel.Get(nack{id: id})
		out = append(out, ClaimedEntry{Entry: e, IdleMs: idleMs(nowMs, n.deliveryMs), DeliveryCount: n.count})
		g.unlink(n)
		n.deliveryMs = nowMs
		if n.count < maxDeliveryCount {
			n.count++
		}
		g.assign(c, n)
		c.activeMs = int64(nowMs)
	}
	if full() {
		return out, nil
	}
	left := 0
	if count > 0 {
		left = count - len(out)
	}
	entries := s.rangeAfter(g.lastID, left)
	ls := s.lagState()
	for _, e := range entries {
		ls.advance(g, e.ID)
		if !noAck {
			g.deliver(c, e.ID, nowMs)
			c.activeMs = int64(nowMs)
		}
		out = append(out, ClaimedEntry{Entry: e})
	}
	return out, nil
}

// claimCandidates lists the pending IDs XREADGROUP CLAIM may claim, in the
// order it claims them: the NACK zone, then the owned entries idle for at
// least minIdleMs by delivery time and ID.
func (g *consumerGroup) claimCandidates(nowMs, minIdleMs uint64) []ID {
	ids := g.nacked.ids()
	var owned []nack
	g.pel.Ascend(func(n nack) bool {
		if n.owner != noOwner && idleAtLeast(nowMs, n.deliveryMs, minIdleMs) {
			owned = append(owned, n)
		}
		return true
	})
	slices.SortStableFunc(owned, func(a, b nack) int { return cmp.Compare(a.deliveryMs, b.deliveryMs) })
	for _, n := range owned {
		ids = append(ids, n.id)
	}
	return ids
}

// idleMs is the time from deliveryMs to nowMs, 0 if deliveryMs is later.
func idleMs(nowMs, deliveryMs uint64) uint64 {
	if deliveryMs >= nowMs {
		return 0
	}
	return nowMs - deliveryMs
}

// ClaimDueMs is when, on the clock of nowMs, XREADGROUP CLAIM minIdleMs on
// group would next find something to claim that it cannot claim at nowMs:
// the earliest moment an owned pending entry whose stream entry exists
// reaches minIdleMs of idle time. ok is false when no such entry exists (or
// the group does not). A blocked XREADGROUP CLAIM sets its timer with it.
func (s *Stream) ClaimDueMs(group string, nowMs, minIdleMs uint64) (dueMs uint64, ok bool) {
	g, found := s.rare().grp.m[group]
	if !found {
		return 0, false
	}
	g.pel.Ascend(func(n nack) bool {
		if n.owner == noOwner || idleAtLeast(nowMs, n.deliveryMs, minIdleMs) || !s.has(n.id) {
			return true
		}
		due := n.deliveryMs + minIdleMs
		if due < n.deliveryMs { // overflow: never
			return true
		}
		if !ok || due < dueMs {
			dueMs, ok = due, true
		}
		return true
	})
	return dueMs, ok
}
