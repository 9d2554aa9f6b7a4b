package broker

import "sync"

// A subscription's queue is a chain of fixed-size segments. Publishers write
// at the tail under Subscription.mu; the reader takes everything queued at
// once under the lock (a count and a start position) and then reads the
// taken slots without the lock. Publishers only write slots after the taken
// ones and never touch taken slots, so reader and publishers never share
// memory outside the lock's hand-over. Segments are recycled through a pool:
// a subscription whose reader is caught up holds none.

// segSize is the number of messages per segment (about 3.5 KiB).
const segSize = 64

type segment struct {
	msgs [segSize]Message
	next *segment
}

// segments recycles segments. A pooled segment is all zero: every slot is
// cleared when it is read or dropped.
var segments = sync.Pool{New: func() any { return new(segment) }}

// queue is the publisher side, guarded by Subscription.mu.
type queue struct {
	wseg  *segment // where the next message is written; nil when idle
	wpos  int      // < segSize
	qseg  *segment // first untaken message, valid when count > 0
	qpos  int
	count int   // messages queued and not yet taken by the reader
	bytes int64 // their accounted size
}

// push appends m, whose accounted size is size.
func (q *queue) push(m Message, size int64) {
	if q.wseg == nil {
		q.wseg, q.wpos = segments.Get().(*segment), 0
	}
	if q.count == 0 {
		q.qseg, q.qpos = q.wseg, q.wpos
	}
	q.wseg.msgs[q.wpos] = m
	q.wpos++
	if q.wpos == segSize {
		// Link the next segment now, so a reader that reads this one to
		// the end always finds its successor.
		n := segments.Get().(*segment)
		q.wseg.next = n
		q.wseg, q.wpos = n, 0
	}
	q.count++
	q.bytes += size
}

// dropOldest drops the oldest untaken message. count > 0.
func (q *queue) dropOldest() {
	m := &q.qseg.msgs[q.qpos]
	q.bytes -= sizeOf(*m)
	*m = Message{}
	q.count--
	if q.qpos++; q.qpos == segSize {
		// The passed segment may still be the reader's: it is left to the
		// garbage collector rather than recycled.
		q.qseg, q.qpos = q.qseg.next, 0
	}
}

// reader is the reader side: the taken messages, read without the lock.
type reader struct {
	seg   *segment
	pos   int
	avail int
}

// take hands every queued message to r. Subscription.mu is held.
func (q *queue) take(r *reader) {
	r.seg, r.pos, r.avail = q.qseg, q.qpos, q.count
	q.qseg, q.qpos, q.count, q.bytes = nil, 0, 0, 0
}

// idle recycles the write segment when the reader has read everything, so
// a caught-up subscription holds no segment. Subscription.mu is held and
// q.count is 0.
func (q *queue) idle(r *reader) {
	if q.wseg != nil && r.seg == q.wseg && r.pos == q.wpos {
		segments.Put(q.wseg)
		q.wseg, q.wpos = nil, 0
		r.seg, r.pos = nil, 0
	}
}

// pop returns the next taken message. r.avail > 0.
func (r *reader) pop() Message {
	m := r.seg.msgs[r.pos]
	r.seg.msgs[r.pos] = Message{}
	r.avail--
	if r.pos++; r.pos == segSize {
		done := r.seg
		r.seg, r.pos = done.next, 0
		done.next = nil
		segments.Put(done)
	}
	return m
}
