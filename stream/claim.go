package stream

// Changing the owner of pending entries: XCLAIM and XAUTOCLAIM.

// autoClaimDefaultCount is XAUTOCLAIM's COUNT when none is given.
const autoClaimDefaultCount = 100

// autoClaimAttemptsFactor bounds an XAUTOCLAIM scan to COUNT x this many
// pending entries, as Redis does.
const autoClaimAttemptsFactor = 10

// Claim is XCLAIM: it gives each of ids that is pending in the group and has
// been idle for at least minIdleMs (0: any) to consumer, setting its delivery
// time (nowMs, or from o.TimeMs / o.IdleMs, clamped to nowMs) and its delivery
// count (o.RetryCount, else incremented unless o.JustID). With o.Force an ID
// that exists in the stream but is not pending becomes pending regardless of
// minIdleMs. A pending ID whose entry was deleted from the stream is dropped
// from the PEL and not returned. o.LastID raises the group's
// last-delivered-id (never lowers it). The consumer is created if missing;
// its seen-time becomes nowMs, its active-time too if anything was claimed.
// It returns the claimed entries in the order of ids (IDs only with
// o.JustID: Fields nil), never nil.
func (s *Stream) Claim(group, consumer string, nowMs, minIdleMs uint64, ids []ID, o ClaimOptions) ([]Entry, error) {
	g, err := s.lookupGroup(group)
	if err != nil {
		return nil, err
	}
	if o.LastID != nil && g.lastID.Less(*o.LastID) {
		g.lastID = *o.LastID
	}
	deliveryMs := o.deliveryMs(nowMs)
	c := g.consumer(consumer, nowMs)
	out := make([]Entry, 0, len(ids))
	for _, id := range ids {
		n, pending := g.pel.Get(nack{id: id})
		e, exists := s.Get(id)
		switch {
		case !exists:
			if pending {
				g.release(n)
			}
			continue
		case !pending && !o.Force:
			continue
		case !pending:
			n = nack{id: id, count: 1} // FORCE: no owner yet, minIdleMs does not apply
		case n.owner != noOwner && !idleAtLeast(nowMs, n.deliveryMs, minIdleMs):
			continue // a NACKed entry is claimed whatever minIdleMs (Redis 8.8)
		default:
			g.unlink(n)
		}
		n.deliveryMs = deliveryMs
		switch {
		case o.RetryCount != nil:
			n.count = *o.RetryCount
		case !o.JustID:
			n.count++
		}
		g.assign(c, n)
		c.activeMs = int64(nowMs)
		if o.JustID {
			e = Entry{ID: id}
		}
		out = append(out, e)
	}
	return out, nil
}

// deliveryMs is the delivery time XCLAIM sets: TIME, else now-IDLE, else
// now; a time in the future (or before the epoch) becomes now.
func (o ClaimOptions) deliveryMs(nowMs uint64) uint64 {
	switch {
	case o.TimeMs != nil && *o.TimeMs <= nowMs:
		return *o.TimeMs
	case o.TimeMs == nil && o.IdleMs != nil && *o.IdleMs <= nowMs:
		return nowMs - *o.IdleMs
	}
	return nowMs
}

// assign stores n as owned by consumer c. n must already be out of its
// previous owner's PEL.
func (g *consumerGroup) assign(c *groupConsumer, n nack) {
	n.owner = c.slot
	g.pel.ReplaceOrInsert(n)
	c.pel.ReplaceOrInsert(n.id)
}

// AutoClaim is XAUTOCLAIM: it scans the PEL from start and gives to consumer
// up to count (<= 0: 100) entries idle for at least minIdleMs (0: any),
// setting their delivery time to nowMs and incrementing their delivery count
// unless justID. Pending entries whose stream entry was deleted are removed
// from the PEL and returned in deleted; they count towards count. At most
// count x 10 pending entries are examined. next is the ID to pass as start to
// continue the scan, 0-0 when it reached the end of the PEL. The consumer is
// created if missing; its seen-time becomes nowMs, its active-time too if
// anything was claimed. claimed and deleted are never nil.
func (s *Stream) AutoClaim(group, consumer string, nowMs, minIdleMs uint64, start ID, count int, justID bool) (next ID, claimed []Entry, deleted []ID, err error) {
	g, err := s.lookupGroup(group)
	if err != nil {
		return ID{}, nil, nil, err
	}
	if count <= 0 {
		count = autoClaimDefaultCount
	}
	attempts := count * autoClaimAttemptsFactor
	if attempts/autoClaimAttemptsFactor != count {
		attempts = int(^uint(0) >> 1)
	}
	c := g.consumer(consumer, nowMs)
	claimed, deleted = []Entry{}, []ID{}
	cur, more := start, true
	for ; more && attempts > 0 && count > 0; attempts-- {
		n, ok := g.firstPendingFrom(cur)
		if !ok {
			return ID{}, claimed, deleted, nil
		}
		e, exists := s.Get(n.id)
		switch {
		case !exists:
			g.release(n)
			deleted = append(deleted, n.id)
			count--
			cur = n.id // removed: the scan goes on with the entry after it
			continue
		case n.owner == noOwner || idleAtLeast(nowMs, n.deliveryMs, minIdleMs):
			g.unlink(n) // a NACKed entry is claimed whatever minIdleMs (Redis 8.8)
			n.deliveryMs = nowMs
			if !justID {
				n.count++
			}
			g.assign(c, n)
			c.activeMs = int64(nowMs)
			if justID {
				e = Entry{ID: n.id}
			}
			claimed = append(claimed, e)
			count--
		}
		cur, more = n.id.Next()
	}
	if more {
		if n, ok := g.firstPendingFrom(cur); ok {
			next = n.id
		}
	}
	return next, claimed, deleted, nil
}

// firstPendingFrom returns the pending entry with the smallest ID >= from.
func (g *consumerGroup) firstPendingFrom(from ID) (n nack, ok bool) {
	g.pel.AscendGreaterOrEqual(nack{id: from}, func(x nack) bool {
		n, ok = x, true
		return false
	})
	return n, ok
}
