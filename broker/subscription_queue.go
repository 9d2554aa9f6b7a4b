package broker

import (
	"context"
	"sync"
)

// A subscription's queue is a chain of fixed-size segments holding numbered
// messages: message n sits in slot n%segSize of its segment. Publishers
// append under Subscription.mu and then publish the new count with an atomic
// store of written; the reader loads written, claims every message up to it
// and reads the claimed slots without any lock. Publishers never touch a
// claimed slot and the reader never touches an unclaimed one, so the two
// share no memory outside that hand-over, and the reader costs a publisher
// no lock contention.
//
// Byte accounting: publishers add each message's size to wbytes; the reader
// adds what it has read to rbytes (settles) at each segment boundary, every
// releaseBytes, and before it claims or waits, and then wakes PolicyBlock
// publishers waiting for room. The queue's size, wbytes - rbytes, counts
// what is queued or claimed but not yet read, plus at most a segment or
// releaseBytes of what was read.
//
// PolicyDropOldest is the exception: publishers drop unclaimed messages
// from the front, so there the reader claims under the lock, and head (the
// first unclaimed message) and qseg (its segment) are kept under it.
//
// Segments are recycled: the reader passes each segment it reads to the end
// (the publishers have moved past it: the next segment is linked when the
// last slot is written) back to the publishers through spare, or to a pool
// if spare is taken. A subscription that has received a message keeps one
// segment (1 KiB). A segment that may still be referenced elsewhere (after
// a kill or a drop) is left to the garbage collector.

// releaseBytes is how many bytes the reader reads at most before it
// settles them, besides segment boundaries.
const releaseBytes = 64 << 10

// segSize is the number of messages per segment (1 KiB).
const segSize = 32

type segment struct {
	msgs [segSize]slot
	next *segment
}

// slot is a queued message: 32 bytes, two to a cache line.
type slot struct {
	payload []byte
	names   *names // shared with every delivery of the same channel and pattern
}

// segments recycles segments. A pooled segment is all zero: every slot is
// cleared when it is dropped, or by the reader once it has read the whole
// segment. The reader does not clear a slot as it reads it: that store would
// go to a cache line the publishers wrote last, and would stall the reader
// behind a cache miss at every message. It clears the slots it has read in
// batches instead, when it reads a segment to the end and before it waits,
// keeping the last two it read, so an idle subscription pins at most two
// payloads.
var segments = sync.Pool{New: func() any { return new(segment) }}

// reader is the reader's side of the queue.
type reader struct {
	seg   *segment // segment of message next; nil when idle
	pos   int32    // next % segSize
	clean int32    // slots of seg before clean are cleared (clean <= pos)
	next  uint64   // number of the next message to read
	end   uint64   // messages claimed so far (next == end: nothing claimed left)
	used  int64    // size of the messages read and not yet added to rbytes
	read  int64    // size of the messages read and added to rbytes
}

// pushLocked appends sl, whose accounted size is size. s.mu is held.
func (s *Subscription) pushLocked(sl slot, size int64) {
	w := s.written.Load()
	if s.wseg == nil {
		s.wseg = s.newSegment()
		s.first.Store(s.wseg)
	}
	if s.lim.policy == PolicyDropOldest && s.head.Load() == w {
		s.qseg = s.wseg
	}
	s.wseg.msgs[w%segSize] = sl
	if (w+1)%segSize == 0 {
		// Link the next segment now, so the reader, reading this one to
		// the end, always finds its successor.
		n := s.newSegment()
		s.wseg.next = n
		s.wseg = n
	}
	s.wbytes += size
	s.written.Store(w + 1)
}

// newSegment returns a clean segment: the one the reader passed back, or
// one from the pool.
func (s *Subscription) newSegment() *segment {
	if s.spare.Load() != nil {
		if seg := s.spare.Swap(nil); seg != nil {
			return seg
		}
	}
	return segments.Get().(*segment)
}

// dropOldestLocked drops the oldest unclaimed message. s.mu is held,
// PolicyDropOldest, head < written.
func (s *Subscription) dropOldestLocked() {
	h := s.head.Load()
	sl := &s.qseg.msgs[h%segSize]
	size := sizeOf(*sl)
	s.wbytes -= size
	s.dropped.Add(1)
	s.droppedBytes.Add(size)
	*sl = slot{}
	h++
	s.head.Store(h)
	if h%segSize == 0 {
		s.qseg = s.qseg.next
	}
}

// claim claims every queued message for the reader and reports whether
// there was any.
func (s *Subscription) claim() bool {
	if s.lim.policy == PolicyDropOldest {
		return s.claimDropping()
	}
	w := s.written.Load()
	if w == s.r.end {
		return false
	}
	if s.r.seg == nil {
		s.r.seg, s.r.pos = s.first.Swap(nil), int32(s.r.next%segSize)
		s.r.clean = s.r.pos
	}
	s.r.end = w
	return true
}

// claimDropping is claim under PolicyDropOldest: publishers may have
// dropped messages after the reader's last claim, which it then skips.
func (s *Subscription) claimDropping() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	w, h := s.written.Load(), s.head.Load()
	if w == h || s.ended {
		return false
	}
	switch {
	case h != s.r.end:
		// Skip the dropped messages; a segment left behind goes to the
		// garbage collector.
		s.skipped += h - s.r.end
		if s.qseg != s.r.seg {
			s.r.clean = int32(h % segSize) // the slots before are dropped, so cleared
		}
		s.r.seg, s.r.pos, s.r.next = s.qseg, int32(h%segSize), h
	case s.r.seg == nil:
		s.r.seg, s.r.pos = s.first.Load(), int32(h%segSize)
		s.r.clean = s.r.pos
	}
	s.first.Store(nil)
	s.head.Store(w)
	s.qseg = nil
	s.r.end = w
	return true
}

// take returns the next claimed slot. r.next < r.end. Next has its own
// copy of it, written out, so that a message is copied once, from its slot
// to Next's result (the compiler does not inline take); the work at a
// segment's end or every releaseBytes is in turn.
func (s *Subscription) take() slot {
	r := &s.r
	sl := r.seg.msgs[r.pos]
	r.next++
	r.used += sizeOf(sl)
	if r.pos++; r.pos == segSize || r.used >= releaseBytes {
		s.turn()
	}
	return sl
}

// turn passes a segment read to the end back to the publishers and settles
// the bytes read, or settles them only, after take.
func (s *Subscription) turn() {
	r := &s.r
	if r.pos == segSize {
		done := r.seg
		clear(done.msgs[r.clean:])
		r.seg, r.pos, r.clean = done.next, 0, 0
		done.next = nil
		if s.spare.Load() != nil || !s.spare.CompareAndSwap(nil, done) {
			segments.Put(done)
		}
	}
	s.release()
}

// message is the Message of sl.
func message(sl slot) Message {
	n := sl.names
	return Message{Channel: n.channel, Pattern: n.pattern, ByPattern: n.byPattern, Payload: sl.payload}
}

// tidy clears the slots the reader has read in its segment but the last
// two: the next slot a publisher writes may share a cache line with the
// last one.
func (r *reader) tidy() {
	if end := r.pos - 2; r.clean < end {
		clear(r.seg.msgs[r.clean:end])
		r.clean = end
	}
}

// release settles the size of what the reader has read and lets
// publishers waiting for room retry.
func (s *Subscription) release() {
	if s.r.used == 0 {
		return
	}
	s.r.read += s.r.used
	s.r.used = 0
	s.rbytes.Store(s.r.read)
	s.rread.Store(s.r.next - s.skipped) // skipped: the reader's own, written by it
	if s.wantRoom.Load() && s.wantRoom.CompareAndSwap(true, false) {
		s.mu.Lock()
		if s.room != nil {
			close(s.room)
			s.room = nil
		}
		s.mu.Unlock()
	}
}

// Next returns the next message, waiting until one arrives, ctx ends
// (ctx.Err() is returned) or the subscription ends: with [ErrSlowConsumer]
// once the broker closed it as a slow consumer (queued messages are
// dropped), with [ErrClosed] after [Subscription.Close] or [Broker.Close].
// Next must not be called concurrently with itself or Messages.
func (s *Subscription) Next(ctx context.Context) (Message, error) {
	r := &s.r
	if r.next < r.end && !s.dead.Load() {
		sl := r.seg.msgs[r.pos] // take, inlined by hand
		r.next++
		r.used += sizeOf(sl)
		if r.pos++; r.pos == segSize || r.used >= releaseBytes {
			s.turn()
		}
		n := sl.names
		return Message{Channel: n.channel, Pattern: n.pattern, ByPattern: n.byPattern, Payload: sl.payload}, nil
	}
	return s.nextSlow(ctx)
}

// nextSlow claims more messages, waiting for them if there are none.
func (s *Subscription) nextSlow(ctx context.Context) (Message, error) {
	for {
		if s.dead.Load() {
			return Message{}, s.endErr()
		}
		s.release()
		if s.claim() {
			return message(s.take()), nil
		}
		if err := ctx.Err(); err != nil {
			return Message{}, err
		}
		s.r.tidy()
		// Announce the sleep, then look again: a publisher either sees
		// the flag and sends a wake-up, or its message is seen here.
		s.sleeping.Store(true)
		if s.written.Load() != s.r.end || s.dead.Load() {
			s.sleeping.Store(false)
			continue
		}
		done := ctx.Done()
		if done == nil {
			<-s.notify // a plain receive is cheaper than a select
			continue
		}
		select {
		case <-s.notify:
		case <-done:
			s.sleeping.Store(false)
		}
	}
}

// endErr drops the reader's claimed messages and returns the terminal error.
func (s *Subscription) endErr() error {
	s.r = reader{}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}
