package broker

import "time"

// A blocked XREADGROUP CLAIM (Redis 8.4) is served like any blocked group
// read, by XADD, and also by XNACK, which gives back entries it may claim,
// and by time: a pending entry reaching the min-idle-time. For the last,
// the call owns one timer (w.claimTimer), set for the earliest moment an
// entry of its streams gets idle enough; when it fires, the call tries its
// streams and sets the timer again for the next such moment, if any. The
// timer is stopped when the call returns: nothing polls.

// tryServeClaimLocked serves w, a CLAIM waiter registered on st, if st has
// anything for it, and reports whether w is done. st.mu and w.mu are held.
func (b *Broker) tryServeClaimLocked(st *streamState, w *waiter, key string, nowMs uint64) bool {
	t := tx{b: b, st: st}
	e, err := t.apply(&mutation{kind: opReadClaim, key: st.key, nowMs: nowMs, opArgs: &opArgs{group: w.group, consumer: w.consumer, minIdleMs: *w.claim, count: w.count, noAck: w.noAck}})
	if err != nil {
		w.finishLocked(nil, 0, err)
		return true
	}
	if len(e.claimed) == 0 {
		return false
	}
	se := claimedEntries(e.claimed)
	se.Key = key
	w.finishLocked([]StreamEntries{se}, st.pos, nil)
	return true
}

// claimDelay is how long, on the broker clock, until one of w's streams
// has an entry idle enough to claim; false if none will without another
// change (which serves w itself).
func (b *Broker) claimDelay(w *waiter) (time.Duration, bool) {
	var best uint64
	found := false
	for i := range w.specs {
		st := w.specs[i].st
		if st == nil {
			continue
		}
		st.mu.Lock()
		var due uint64
		ok := false
		if st.stream() != nil {
			due, ok = st.stream().ClaimDueMs(w.group, b.nowMs(), *w.claim)
		}
		st.mu.Unlock()
		if ok && (!found || due < best) {
			best, found = due, true
		}
	}
	if !found {
		return 0, false
	}
	now := b.nowMs()
	if best <= now {
		return time.Millisecond, true // due already: try again shortly
	}
	return msDuration(best - now), true
}

// armClaimTimer sets w's timer for the next moment an entry gets idle
// enough, unless w is done or nothing will.
func (b *Broker) armClaimTimer(w *waiter) {
	d, ok := b.claimDelay(w)
	if !ok {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.done {
		return
	}
	if w.claimTimer == nil {
		w.claimTimer = time.AfterFunc(d, func() { b.claimTick(w) })
		return
	}
	w.claimTimer.Reset(d)
}

// claimTick is w's timer: it offers w every stream it waits on, then sets
// the timer again if w is still waiting.
func (b *Broker) claimTick(w *waiter) {
	for i := range w.specs {
		st := w.specs[i].st
		if st == nil {
			continue
		}
		st.mu.Lock()
		served := b.tryServeLocked(st, waitRef{w: w, i: i}, b.nowMs())
		st.mu.Unlock()
		if served {
			return
		}
	}
	b.armClaimTimer(w)
}

// stopClaimTimer stops w's timer; w is done, so a tick that is running
// cannot set it again.
func (w *waiter) stopClaimTimer() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.claimTimer != nil {
		w.claimTimer.Stop()
	}
}

// serveAfterNack offers what XNACK gave back to the blocked readers of st:
// only XREADGROUP CLAIM readers can take it. st.mu is held.
func (b *Broker) serveAfterNack(st *streamState) {
	if len(st.waitList()) > 0 {
		b.serveWaitersLocked(st)
	}
}
