package broker

import (
	"container/heap"
	"context"
	"math/rand/v2"
	"time"

	"github.com/brookmq/brook/stream"
)

// fetch returns the next batch of one goroutine: entries due for reclaiming
// first (those a dead consumer left, and failed entries whose backoff has
// passed), else new entries, waiting for them until the next reclaim is
// due.
func (w *Worker) fetch(ctx, settleCtx context.Context, buf []delivery) ([]delivery, error) {
	if w.takeClaim() {
		batch, err := w.reclaim(ctx, settleCtx, buf)
		if err != nil || len(batch) > 0 {
			return batch, err
		}
	}
	res, err := w.c.XReadGroup(ctx, w.group, w.consumer, w.streams,
		GroupReadOptions{Count: w.o.Batch, Block: w.untilClaim()})
	if err != nil || len(res) == 0 {
		return nil, err
	}
	for _, e := range res[0].Entries {
		buf = append(buf, delivery{Entry: e, deliveries: 1}) // ">" delivers for the first time
	}
	return buf, nil
}

// takeClaim reports whether a reclaim is due and no other goroutine is
// doing it; if so the caller does it and must call claimDone. A reclaim
// is due when a released entry's delay has passed (the scan then starts
// over from the first pending entry) or periodically, every half
// ReclaimIdle, for the entries of dead consumers.
func (w *Worker) takeClaim() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	now := w.clock()
	if w.claimer || now.Before(w.claimAtLocked()) {
		return false
	}
	w.claimer = true
	for len(w.dues) > 0 && !now.Before(w.dues[0]) {
		heap.Pop(&w.dues)
		w.cursor = ID{}
	}
	return true
}

// claimAtLocked is when the next reclaim is due. w.mu is held.
func (w *Worker) claimAtLocked() time.Time {
	if len(w.dues) > 0 && w.dues[0].Before(w.periodic) {
		return w.dues[0]
	}
	return w.periodic
}

// claimDone ends a reclaim whose scan stopped at next: the next one is due
// at once if the scan is not complete, else after half of ReclaimIdle (or
// when a released entry is due).
func (w *Worker) claimDone(next ID, complete bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.claimer = false
	w.cursor = next
	w.periodic = w.clock()
	if complete {
		w.periodic = w.periodic.Add(w.o.ReclaimIdle / 2)
	}
}

// scheduleClaim makes a reclaim due at t.
func (w *Worker) scheduleClaim(t time.Time) {
	w.mu.Lock()
	heap.Push(&w.dues, t)
	w.mu.Unlock()
}

// untilClaim is how long a read may wait: until the next reclaim is due,
// at least a millisecond.
func (w *Worker) untilClaim() time.Duration {
	w.mu.Lock()
	at := w.claimAtLocked()
	w.mu.Unlock()
	return max(at.Sub(w.clock()), time.Millisecond)
}

// timeHeap is a min-heap of instants (container/heap).
type timeHeap []time.Time

func (h timeHeap) Len() int           { return len(h) }
func (h timeHeap) Less(i, j int) bool { return h[i].Before(h[j]) }
func (h timeHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *timeHeap) Push(x any)        { *h = append(*h, x.(time.Time)) }
func (h *timeHeap) Pop() any {
	old := *h
	t := old[len(old)-1]
	*h = old[:len(old)-1]
	return t
}

// reclaim takes up to Batch pending entries idle for ReclaimIdle
// (XAUTOCLAIM) and looks up how many times each was delivered.
func (w *Worker) reclaim(ctx, settleCtx context.Context, buf []delivery) (batch []delivery, err error) {
	w.mu.Lock()
	start := w.cursor
	w.mu.Unlock()
	next, complete := start, false
	defer func() { w.claimDone(next, complete) }()
	res, err := w.c.XAutoClaim(ctx, w.key, w.group, w.consumer,
		AutoClaimOptions{MinIdle: w.o.ReclaimIdle, Start: start, Count: w.o.Batch})
	if err != nil {
		return nil, err
	}
	next, complete = res.Next, res.Next.IsZero() && len(res.Claimed) < w.o.Batch
	if len(res.Claimed) == 0 {
		return nil, nil
	}
	// XAUTOCLAIM does not say how often; XPENDING does. settleCtx: the
	// entries are ours now, whatever happens to ctx.
	first, last := res.Claimed[0].ID, res.Claimed[len(res.Claimed)-1].ID
	ps, err := w.c.XPendingRange(settleCtx, w.key, w.group, PendingOptions{Start: first, End: last, Consumer: w.consumer})
	if err != nil {
		return nil, err
	}
	counts := make(map[ID]uint64, len(ps))
	for _, p := range ps {
		counts[p.ID] = p.Deliveries
	}
	for _, e := range res.Claimed {
		buf = append(buf, delivery{Entry: e, deliveries: max(counts[e.ID], 1)})
	}
	return buf, nil
}

// release hands the pending entries ids back to the group, to be delivered
// again (to any worker of the group) once delay has passed: it claims them
// to this consumer itself (XCLAIM JUSTID, which leaves their delivery count
// alone) with a delivery time set back by ReclaimIdle - delay, so that
// XAUTOCLAIM with MinIdle ReclaimIdle takes them when delay has passed; the
// worker schedules its next reclaim then. (XNACK releases at once, with no
// delay to wait out: see nack.) On a client other than the broker the
// delivery time is sent as an idle time (XCLAIM IDLE), which the server
// measures with its own clock.
func (w *Worker) release(ctx context.Context, ids []ID, delay time.Duration) {
	delay = min(delay, w.o.ReclaimIdle)
	now := w.clock()
	o := ClaimOptions{JustID: true, Time: now.Add(delay - w.o.ReclaimIdle)}
	if w.b == nil {
		o = ClaimOptions{JustID: true, Idle: w.o.ReclaimIdle - delay} // 0: idle from now
	}
	_, err := w.c.XClaim(ctx, w.key, w.group, w.consumer, ids, o)
	if err != nil {
		w.o.Logf("broker: worker %s/%s/%s: release: %v", w.key, w.group, w.consumer, err)
	}
	w.scheduleClaim(now.Add(delay + time.Millisecond)) // the broker counts idle time in whole ms
}

// nack hands entries the worker will not finish back to the group at once
// (XNACK, Redis 8.8): they leave this consumer and the next reclaim of any
// worker of the group takes them. NackSilent (never started) takes back the
// delivery this worker was counted for; NackFail (started, not finished)
// keeps it. A client without XNACK releases them with XCLAIM instead (see
// releaseNow).
func (w *Worker) nack(ctx context.Context, ds []delivery, mode NackMode) {
	if w.nacker == nil {
		w.releaseNow(ctx, ds, mode)
		return
	}
	ids := make([]ID, len(ds))
	for i, d := range ds {
		ids[i] = d.ID
	}
	if _, err := w.nacker.XNack(ctx, w.key, w.group, ids, NackOptions{Mode: mode}); err != nil {
		w.o.Logf("broker: worker %s/%s/%s: nack: %v", w.key, w.group, w.consumer, err)
	}
	w.scheduleClaim(w.clock())
}

// renew resets the idle time of entries this goroutine holds and has not
// started (XCLAIM JUSTID to this consumer: their delivery time becomes now,
// their delivery count is unchanged).
func (w *Worker) renew(ctx context.Context, batch []delivery) {
	ids := make([]ID, len(batch))
	for i, d := range batch {
		ids[i] = d.ID
	}
	if _, err := w.c.XClaim(ctx, w.key, w.group, w.consumer, ids, ClaimOptions{JustID: true}); err != nil {
		w.o.Logf("broker: worker %s/%s/%s: renew: %v", w.key, w.group, w.consumer, err)
	}
}

// releaseBatch releases at once the entries of a batch that were not
// handled because the worker is stopping.
func (w *Worker) releaseBatch(ctx context.Context, batch []delivery) {
	w.nack(ctx, batch, NackSilent)
	w.inFlight.Add(-int64(len(batch)))
}

// backoff is the delay before an entry that failed its deliveries-th
// delivery is delivered again: MinBackoff doubled for each delivery after
// the first, at most MaxBackoff, drawn in [d/2, d].
func (w *Worker) backoff(deliveries uint64) time.Duration {
	d := w.o.MinBackoff
	for i := uint64(1); i < deliveries && d < w.o.MaxBackoff; i++ {
		d *= 2
	}
	d = min(d, w.o.MaxBackoff)
	if d <= 1 {
		return d
	}
	return d/2 + rand.N(d/2+1)
}

// WorkerStats are a worker's counters since it was made, and figures of its
// group read from the broker when Stats was called.
type WorkerStats struct {
	Processed    int64 // entries handled and acknowledged
	Failed       int64 // handler calls that returned an error or panicked
	Retried      int64 // failed entries released for another delivery
	DeadLettered int64 // entries moved to the dead-letter stream
	InFlight     int64 // entries read and not yet acknowledged, released or dead-lettered

	Lag           int64         // the group's entries not yet delivered; -1: unknown
	Pending       int64         // the group's pending entries, all consumers
	OldestPending time.Duration // age of the oldest pending entry (by its ID's time); 0: none
}

// Stats returns the worker's counters and its group's lag and pending
// entries. If the group cannot be read (it was deleted, the broker is
// closed), Lag is -1 and Pending 0. On a client other than the broker,
// Lag is -1 (the contract has no XINFO GROUPS) and the pending figures
// come from XPENDING.
func (w *Worker) Stats() WorkerStats {
	st := WorkerStats{Processed: w.processed.Load(), Failed: w.failed.Load(), Retried: w.retried.Load(),
		DeadLettered: w.dead.Load(), InFlight: w.inFlight.Load(), Lag: -1}
	if w.b == nil {
		return w.clientStats(st)
	}
	now := w.b.nowMs()
	w.b.viewExisting(context.Background(), w.key, func(s *stream.Stream) error {
		for _, g := range s.Groups() {
			if g.Name == w.group && !g.LagUnknown {
				st.Lag = g.Lag
			}
		}
		sum, err := s.PendingSummary(w.group)
		if err != nil || sum.Count == 0 {
			return err
		}
		st.Pending = sum.Count
		st.OldestPending = idleSince(now, sum.Min.Ms)
		return nil
	})
	return st
}
