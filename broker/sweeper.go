package broker

import (
	"container/heap"
	"context"
	"sync"
	"time"

	"github.com/brookmq/brook/stream"
)

// sweeper runs the work that falls due with time alone: trimming entries
// older than a stream's retention MaxAge, and expiring IDMP iids older than
// the stream's IDMP duration. It is one goroutine for the whole broker,
// started on the first deadline and joined by Close, over a min-heap of
// (deadline, key) on the broker's clock.
//
// Each stream has at most one live heap item: st.sweepAt, its deadline
// (0: none). An item whose deadline is no longer its stream's st.sweepAt
// (the key was deleted, or an earlier item replaced it) is dropped when it
// comes up. Deadlines only move later as a stream changes (appends add
// newer entries and iids; deletions remove older ones), except when a
// policy is set, which reschedules: so an append only schedules a stream
// that has nothing scheduled, a cheap check, and an item that comes up
// early finds nothing due and schedules the stream's real deadline.
//
// The goroutine sleeps on a timer until the earliest deadline as the clock
// measures it. A clock that does not follow the wall clock (a test's) only
// moves when the test moves it: the test then calls sweep itself to run
// what is due, and sweepMu makes a sweep the goroutine has started finish
// first.
type sweeper struct {
	b *Broker

	sweepMu sync.Mutex // held by a whole sweep

	mu      sync.Mutex // guards the fields below
	h       deadlines
	started bool // the goroutine runs
	closed  bool // no more deadlines: Close
	manual  bool // tests: no goroutine; sweeps only when called
	wake    chan struct{}
	stop    chan struct{}
	done    chan struct{}
}

func newSweeper(b *Broker) *sweeper {
	return &sweeper{b: b, wake: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
}

// deadline is one heap item.
type deadline struct {
	at  uint64 // Unix ms on the broker clock
	key string
}

// deadlines is a min-heap by at (container/heap).
type deadlines []deadline

func (h deadlines) Len() int           { return len(h) }
func (h deadlines) Less(i, j int) bool { return h[i].at < h[j].at }
func (h deadlines) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *deadlines) Push(x any)        { *h = append(*h, x.(deadline)) }
func (h *deadlines) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// nextDeadline is when something of s falls due: its oldest entry passing
// the retention MaxAge, or its oldest iid passing the IDMP duration.
func nextDeadline(s *stream.Stream) (uint64, bool) {
	age, okAge := s.AgeDeadline()
	idmp, okIdmp := s.IdmpDeadline()
	switch {
	case okAge && okIdmp:
		return min(age, idmp), true
	case okAge:
		return age, true
	}
	return idmp, okIdmp
}

// noteLocked schedules st if nothing is scheduled for it and something of
// it will fall due: after an append. st.mu is held.
func (sw *sweeper) noteLocked(st *streamState) {
	if st.stream() == nil || !st.stream().HasDeadline() || st.sweepDeadline() != 0 {
		return
	}
	if at, ok := nextDeadline(st.stream()); ok {
		sw.push(st, at)
	}
}

// rescheduleLocked schedules st at its deadline if that is earlier than
// the one scheduled: after a policy change, which may move deadlines
// earlier (a shorter duration). With nothing due any more, the scheduled
// item is dropped (st.sweepAt 0), so that the next append schedules the
// deadline the new policy gives. st.mu is held.
func (sw *sweeper) rescheduleLocked(st *streamState) {
	if st.stream() == nil {
		return
	}
	at, ok := nextDeadline(st.stream())
	switch {
	case !ok:
		st.setSweepDeadline(0)
	case st.sweepDeadline() == 0 || at < st.sweepDeadline():
		sw.push(st, at)
	}
}

// push adds st's deadline at, starting the goroutine the first time and
// waking it when at is the new earliest deadline. st.mu is held.
func (sw *sweeper) push(st *streamState, at uint64) {
	st.setSweepDeadline(at)
	sw.mu.Lock()
	defer sw.mu.Unlock()
	if sw.closed {
		return
	}
	heap.Push(&sw.h, deadline{at: at, key: st.key})
	if !sw.started && !sw.manual {
		sw.started = true
		go sw.run()
	}
	if sw.h[0].at == at {
		select {
		case sw.wake <- struct{}{}:
		default:
		}
	}
}

// scheduleAll schedules every stream (after recovery).
func (sw *sweeper) scheduleAll() {
	r := sw.b.reg
	r.mu.RLock()
	states := make([]*streamState, 0, r.m.Len())
	for st := range r.m.all() {
		states = append(states, st)
	}
	r.mu.RUnlock()
	for _, st := range states {
		st.mu.Lock()
		if !st.dead {
			sw.noteLocked(st)
		}
		st.mu.Unlock()
	}
}

// run is the goroutine: it sleeps until the earliest deadline, sweeps, and
// returns when close stops it.
func (sw *sweeper) run() {
	defer close(sw.done)
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		select {
		case <-sw.stop:
			return
		default:
		}
		sw.mu.Lock()
		var at uint64
		ok := len(sw.h) > 0
		if ok {
			at = sw.h[0].at
		}
		sw.mu.Unlock()
		var fire <-chan time.Time
		if ok {
			now := sw.b.nowMs()
			if at <= now {
				sw.sweep(now)
				continue
			}
			timer.Reset(time.Duration(min(at-now, uint64(24*time.Hour/time.Millisecond))) * time.Millisecond)
			fire = timer.C
		}
		select {
		case <-sw.stop:
			return
		case <-sw.wake:
		case <-fire:
		}
	}
}

// sweep runs every stream whose deadline is at or before nowMs.
func (sw *sweeper) sweep(nowMs uint64) {
	sw.sweepMu.Lock()
	defer sw.sweepMu.Unlock()
	for {
		sw.mu.Lock()
		if len(sw.h) == 0 || sw.h[0].at > nowMs {
			sw.mu.Unlock()
			return
		}
		d := heap.Pop(&sw.h).(deadline)
		sw.mu.Unlock()
		sw.sweepKey(d, nowMs)
	}
}

// sweepKey trims d.key's entries older than its MaxAge and expires its old
// iids, each a logged mutation resolved at nowMs, and schedules the key's
// next deadline, which is after nowMs. A key deleted since, or whose item
// was replaced, is left alone; a key whose log refused a write is not
// scheduled again.
func (sw *sweeper) sweepKey(d deadline, nowMs uint64) {
	_ = sw.b.update(context.Background(), d.key, func(t tx) error {
		st := t.st
		if st.sweepDeadline() != d.at {
			return nil
		}
		st.setSweepDeadline(0)
		s := st.stream()
		if r := s.Retention(); r.MaxAgeMs > 0 && nowMs > r.MaxAgeMs {
			trim := stream.Trim{Strategy: stream.TrimMinID, MinID: stream.ID{Ms: nowMs - r.MaxAgeMs}}
			if _, err := t.apply(&mutation{kind: opTrim, key: d.key, trim: trim}); err != nil {
				return err
			}
		}
		if _, ok := s.IdmpDeadline(); ok {
			if _, err := t.apply(&mutation{kind: opIdmpExpire, key: d.key, nowMs: nowMs}); err != nil {
				return err
			}
		}
		sw.noteLocked(st)
		return nil
	})
}

// close stops and joins the goroutine. Later deadlines are ignored.
func (sw *sweeper) close() {
	sw.mu.Lock()
	sw.closed = true
	started := sw.started
	sw.mu.Unlock()
	if started {
		close(sw.stop)
		<-sw.done
	}
}

// stopGoroutine leaves the sweeping to explicit sweep calls (tests that
// compare two brokers run by one fake clock).
func (sw *sweeper) stopGoroutine() {
	sw.mu.Lock()
	sw.manual = true
	started := sw.started
	sw.started = false
	sw.mu.Unlock()
	if started {
		close(sw.stop)
		<-sw.done
	}
}
