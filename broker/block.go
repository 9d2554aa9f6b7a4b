package broker

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/brookmq/brook/stream"
)

// A waiter is one blocked XREAD or XREADGROUP call. It is registered with
// every stream it reads (one waitRef per listed stream) and is served at
// most once: by the first appender that finds data for it, by its own
// registration pass, or ended by its context, DEL, XGROUP DESTROY or Close.
// done, err, res and pos are guarded by mu; the rest is fixed at creation.
//
// Serving happens in the appender, under the stream's lock, in arrival
// order: group readers of one stream are served first come, first served,
// each taking up to its COUNT, as Redis does, and a reader that finds
// nothing left stays blocked without a wake-up.
type waiter struct {
	mu   sync.Mutex
	cond sync.Cond
	done bool
	err  error
	res  []StreamEntries
	pos  uint64 // log position the reply depends on

	specs []waitSpec
	count int

	group, consumer string // XREADGROUP only
	noAck           bool
	claim           *uint64 // XREADGROUP CLAIM min-idle-time in ms; nil: no CLAIM

	claimTimer *time.Timer // guarded by mu: wakes a CLAIM read when an entry gets idle enough (block_claim.go)
}

// waitSpec is one stream of a blocked read: entries after after (XREAD), or
// new entries of the group (XREADGROUP).
type waitSpec struct {
	key   string
	after stream.ID
	st    *streamState // set once registered
}

// waitRef is a waiter's registration with one stream: its spec index.
type waitRef struct {
	w *waiter
	i int
}

func newWaiter(specs []waitSpec, count int) *waiter {
	w := &waiter{specs: specs, count: count}
	w.cond.L = &w.mu
	return w
}

// finishLocked ends w with a result or an error. w.mu is held.
func (w *waiter) finishLocked(res []StreamEntries, pos uint64, err error) {
	w.done, w.res, w.pos, w.err = true, res, pos, err
	w.cond.Signal()
}

// serveWaitersLocked offers the stream's new data to its waiters in arrival
// order and drops the ones that are done. st.mu is held.
func (b *Broker) serveWaitersLocked(st *streamState) {
	var now uint64
	if st.hasGroupWaiterLocked() {
		now = b.nowMs()
	}
	ws := st.waitList()
	kept := ws[:0]
	for _, ref := range ws {
		if !b.tryServeLocked(st, ref, now) {
			kept = append(kept, ref)
		}
	}
	clear(ws[len(kept):])
	st.setWaiters(kept)
}

func (st *streamState) hasGroupWaiterLocked() bool {
	for _, ref := range st.waitList() {
		if ref.w.group != "" {
			return true
		}
	}
	return false
}

// tryServeLocked gives ref's waiter the data st has for it, if any, and
// reports whether the waiter is done (served now or before). st.mu is held.
func (b *Broker) tryServeLocked(st *streamState, ref waitRef, nowMs uint64) bool {
	w := ref.w
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.done {
		return true
	}
	if st.stream() == nil {
		return false
	}
	spec := &w.specs[ref.i]
	var entries []stream.Entry
	if w.group == "" {
		start, ok := spec.after.Next()
		if !ok {
			return false
		}
		entries = st.stream().Range(start, stream.MaxID, w.count)
	} else {
		err := b.jr.writable() // a delivery is a mutation
		if err == nil && w.claim != nil {
			return b.tryServeClaimLocked(st, w, spec.key, nowMs)
		}
		if err == nil {
			t := tx{b: b, st: st}
			var e effect
			e, err = t.apply(&mutation{kind: opReadNew, key: st.key, nowMs: nowMs, opArgs: &opArgs{group: w.group, consumer: w.consumer, count: w.count, noAck: w.noAck}})
			entries = e.entries
		}
		if err != nil {
			w.finishLocked(nil, 0, err)
			return true
		}
	}
	if len(entries) == 0 {
		return false
	}
	w.finishLocked([]StreamEntries{{Key: spec.key, Entries: entries}}, st.pos, nil)
	return true
}

// failWaitersLocked ends the waiters for which reason returns an error and
// drops them. st.mu is held.
func (st *streamState) failWaitersLocked(reason func(*waiter) error) {
	ws := st.waitList()
	kept := ws[:0]
	for _, ref := range ws {
		w := ref.w
		w.mu.Lock()
		if !w.done {
			if err := reason(w); err != nil {
				w.finishLocked(nil, 0, err)
			}
		}
		done := w.done
		w.mu.Unlock()
		if !done {
			kept = append(kept, ref)
		}
	}
	clear(ws[len(kept):])
	st.setWaiters(kept)
}

// block registers w with every stream it reads, then waits until it is
// served or ended, then unregisters it. Registration checks for data under
// the same lock as it registers, so an append between the caller's first
// pass and the registration is never missed. XRead waiters on a missing key
// register on a placeholder state; XReadGroup waiters need the key to exist.
// After timeout (unless [BlockForever]) it returns no result and no error.
func (b *Broker) block(ctx context.Context, w *waiter, timeout time.Duration) ([]StreamEntries, error) {
	defer b.unregister(w)
	for i := range w.specs {
		spec := &w.specs[i]
		st, err := b.reg.lock(spec.key, w.group == "")
		if err != nil {
			if err == ErrNoStream {
				err = ErrStreamDeleted
			}
			w.mu.Lock()
			if !w.done { // another stream may already have served w
				w.finishLocked(nil, 0, err)
			}
			w.mu.Unlock()
			break
		}
		spec.st = st
		ref := waitRef{w: w, i: i}
		var now uint64
		if w.group != "" {
			now = b.nowMs()
		}
		if b.tryServeLocked(st, ref, now) {
			st.mu.Unlock()
			break
		}
		st.setWaiters(append(st.waitList(), ref))
		st.mu.Unlock()
	}
	if w.claim != nil {
		b.armClaimTimer(w)
		defer w.stopClaimTimer()
	}
	return b.wait(ctx, w, timeout)
}

// wait blocks on w's condition variable until w is done, timeout passes or
// ctx ends, then
// waits for the durability of what w was served (visibility rule).
func (b *Broker) wait(ctx context.Context, w *waiter, timeout time.Duration) ([]StreamEntries, error) {
	stop := context.AfterFunc(ctx, func() {
		w.mu.Lock() // without the lock the broadcast can slip between check and Wait
		w.cond.Broadcast()
		w.mu.Unlock()
	})
	defer stop()
	if timeout != BlockForever {
		t := time.AfterFunc(timeout, func() {
			w.mu.Lock()
			if !w.done {
				w.finishLocked(nil, 0, nil) // an expired Block: an empty reply
			}
			w.mu.Unlock()
		})
		defer t.Stop()
	}
	w.mu.Lock()
	for !w.done {
		if err := ctx.Err(); err != nil {
			w.finishLocked(nil, 0, err)
			break
		}
		w.cond.Wait()
	}
	res, pos, err := w.res, w.pos, w.err
	w.mu.Unlock()
	if err != nil {
		return nil, err
	}
	if err := b.jr.wait(ctx, pos); err != nil {
		return nil, err
	}
	return res, nil
}

// unregister removes w from the streams it registered with, dropping
// placeholders nobody waits on any more.
func (b *Broker) unregister(w *waiter) {
	for i := range w.specs {
		st := w.specs[i].st
		if st == nil {
			continue
		}
		st.mu.Lock()
		st.setWaiters(slices.DeleteFunc(st.waitList(), func(ref waitRef) bool { return ref.w == w }))
		b.reg.unlockAndDrop(st)
	}
}
