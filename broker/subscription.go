package broker

import (
	"context"
	"iter"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"
)

// MessageOverhead is the fixed size in bytes counted for each queued message
// on top of its payload, channel and pattern lengths: the size of a
// [Message] value (64 bytes on 64-bit platforms).
const MessageOverhead = int64(unsafe.Sizeof(Message{}))

// Message is one delivery to a subscription.
type Message struct {
	// Channel is the channel the message was published to.
	Channel string
	// Pattern is the subscribed pattern that matched Channel when ByPattern
	// is set, and "" otherwise. The pattern "" is valid (it matches only
	// the channel ""): test ByPattern, not Pattern, to tell the two kinds
	// of delivery apart.
	Pattern string
	// ByPattern reports whether the message was delivered by a pattern
	// subscription (Redis's pmessage) rather than by a channel
	// subscription (Redis's message).
	ByPattern bool
	// Payload is shared with the publisher and every other subscriber: it
	// must not be modified.
	Payload []byte
}

// Confirmation is the reply to one step of subscribing or unsubscribing, as
// Redis sends one per channel or pattern.
type Confirmation struct {
	// Kind is "subscribe", "unsubscribe", "psubscribe" or "punsubscribe".
	Kind string
	// Name is the channel or pattern. When Unsubscribe or PUnsubscribe is
	// called with no arguments and there is nothing to remove, the only
	// confirmation has Name "" (Redis replies a nil name).
	Name string
	// Count is the number of channels plus patterns the subscription holds
	// after this step.
	Count int
}

// Subscription is a set of channel and pattern subscriptions with one
// message queue, like a Redis connection in subscribed mode. Subscribe,
// PSubscribe, Unsubscribe, PUnsubscribe and Close are safe for concurrent
// use; Next and Messages read the queue and must be called by one goroutine
// at a time (typically one reader goroutine per subscription).
type Subscription struct {
	// The fields are laid out in 64-byte cache lines so that publishers
	// and the reader do not write to a line the other reads at every
	// message. The struct is 384 bytes, allocated 64-byte aligned. The queue
	// itself is described in subscription_queue.go.

	// Line 0, publishers': guarded by mu; the reader loads the atomics.
	// sleeping sits here too (in what would be padding after ended): the
	// reader stores it once per sleep and then loads written from the same
	// line, so a publisher waking an idle reader takes one cache miss for
	// the lock, written and the flag together instead of one per line.
	mu       sync.Mutex
	ended    bool                    // err != nil
	overSoft bool                    // softAt is set; here so that a delivery under the soft limit reads no other line
	sleeping atomic.Bool             // the reader waits (or is about to wait) on notify
	wseg     *segment                // segment of message number written; nil before the first
	qseg     *segment                // PolicyDropOldest: segment of message number head while head < written
	written  atomic.Uint64           // messages ever queued; stored under mu
	wbytes   int64                   // size of the messages ever queued, minus those dropped
	first    atomic.Pointer[segment] // the first segment, until the reader takes it
	rseen    int64                   // the reader's rbytes when publishers last loaded it

	// Line 1, read-only.
	lim    limits
	h      *hub
	clock  func() time.Time
	notify chan struct{} // 1-buffered wake-up for the reader

	// Line 2, read at every message by both sides, rarely written.
	dead     atomic.Bool   // err != nil, readable without mu
	wantRoom atomic.Bool   // a publisher waits for room (PolicyBlock)
	room     chan struct{} // closed when room appears; nil if no publisher waits; guarded by mu
	softAt   time.Time     // when the queue went over lim.soft; zero when under it; guarded by mu
	err      error         // terminal error; nil while open; guarded by mu
	_        [8]byte

	// Line 3, PolicyDropOldest's claim point and the membership.
	head atomic.Uint64 // PolicyDropOldest: messages ever claimed by the reader or dropped; stored under mu
	// Membership: channel or pattern -> index in the hub's list. Guarded by
	// hub.mu (written under its write lock).
	chanPos map[string]int
	patPos  map[string]int
	// Drops (PolicyDropOldest), added by publishers under mu where a drop
	// happens; skipped is the reader's count of those it stepped over, under mu.
	dropped, droppedBytes atomic.Int64
	skipped               uint64
	_                     [16]byte

	// Line 4: a clean segment the reader passes back to publishers, once
	// per segment.
	spare atomic.Pointer[segment]
	_     [56]byte

	// Line 5, the reader's own.
	r      reader        // owned by the goroutine calling Next
	rbytes atomic.Int64  // size of the messages the reader has read (settled)
	rread  atomic.Uint64 // number of the messages the reader has read (settled with rbytes)
}

func newSubscription(h *hub, clock func() time.Time, l limits) *Subscription {
	return &Subscription{
		h:       h,
		clock:   clock,
		lim:     l,
		chanPos: make(map[string]int),
		patPos:  make(map[string]int),
		notify:  make(chan struct{}, 1),
	}
}

// Delivery outcomes of deliver, counted as deliveries by the publisher.
const (
	skipped   = 0
	delivered = 1
)

// deliver queues sl (whose accounted size is size) without blocking and
// returns the number of deliveries made (0 or 1). Work that cannot be done
// under hub.mu is recorded in later.
//
// As in Redis, which counts a client in PUBLISH's reply and closes it after
// its output buffer went over the limit, a delivery that makes the broker
// drop s as a slow consumer counts, and so does every later delivery of the
// same publish to s (the other patterns matching the channel): s is only
// detached from the tables once the publish releases hub.mu.
func (s *Subscription) deliver(sl slot, size int64, later *deferred) int {
	s.mu.Lock()
	if s.ended {
		s.mu.Unlock()
		if slices.Contains(later.dead, s) { // dropped by this publish
			return delivered
		}
		return skipped
	}
	used := s.usedLocked(size)
	if used+size > s.lim.hard && (used > 0 || s.lim.policy == PolicyDisconnect) {
		return s.overflowLocked(sl, size, later)
	}
	if len(later.waiting) > 0 && later.blocks(s) {
		s.mu.Unlock()
		later.waiting = append(later.waiting, pendingDelivery{s, sl, size})
		return skipped
	}
	s.pushLocked(sl, size)
	if used+size > s.lim.soft {
		if s.overSoftLocked() {
			s.killLocked(ErrSlowConsumer)
			s.mu.Unlock()
			later.dead = append(later.dead, s)
			return delivered // then dropped, see above
		}
	} else if s.overSoft {
		s.softAt, s.overSoft = time.Time{}, false
	}
	s.mu.Unlock()
	s.wake()
	return delivered
}

// overflowLocked handles a message that would take a non-empty queue over
// the hard limit, according to the policy. It unlocks s.mu.
func (s *Subscription) overflowLocked(sl slot, size int64, later *deferred) int {
	switch s.lim.policy {
	case PolicyDropOldest:
		for s.head.Load() < s.written.Load() && s.wbytes-s.rbytes.Load()+size > s.lim.hard {
			s.dropOldestLocked()
		}
		s.pushLocked(sl, size)
		s.mu.Unlock()
		s.wake()
		return delivered
	case PolicyBlock:
		s.mu.Unlock()
		later.waiting = append(later.waiting, pendingDelivery{s, sl, size})
		return skipped
	default:
		s.killLocked(ErrSlowConsumer)
		s.mu.Unlock()
		later.dead = append(later.dead, s)
		return delivered // then dropped, see deliver
	}
}

// usedLocked returns the queue's size in bytes as publishers know it: an
// upper bound computed from the reader's count as last loaded, loaded again
// only when the bound plus size would cross a limit, so that publishers do
// not read the reader's cache line at every message. s.mu is held.
func (s *Subscription) usedLocked(size int64) int64 {
	used := s.wbytes - s.rseen
	if used+size > s.lim.watch {
		s.rseen = s.rbytes.Load()
		used = s.wbytes - s.rseen
	}
	return used
}

// overSoftLocked records when the queue went over the soft limit and
// reports whether it has stayed there for longer than the soft period.
func (s *Subscription) overSoftLocked() bool {
	now := s.clock()
	if !s.overSoft {
		s.softAt, s.overSoft = now, true
		return false
	}
	return now.Sub(s.softAt) > s.lim.period
}

// deliverWait queues m, waiting for room under the hard limit until ctx
// ends. It reports whether m was queued (false if the subscription closed).
func (s *Subscription) deliverWait(ctx context.Context, sl slot, size int64) (bool, error) {
	s.mu.Lock()
	for {
		if s.ended {
			s.mu.Unlock()
			return false, nil
		}
		// Raise the flag before looking at the reader's count: a reader
		// that settles after our look sees the flag and opens the room.
		s.wantRoom.Store(true)
		s.rseen = s.rbytes.Load()
		if used := s.wbytes - s.rseen; used == 0 || used+size <= s.lim.hard {
			if s.room == nil {
				s.wantRoom.Store(false) // nobody else waits
			}
			s.pushLocked(sl, size)
			s.mu.Unlock()
			s.wake()
			return true, nil
		}
		if s.room == nil {
			s.room = make(chan struct{})
		}
		room := s.room
		s.mu.Unlock()
		select {
		case <-room:
		case <-ctx.Done():
			return false, ctx.Err()
		}
		s.mu.Lock()
	}
}

func sizeOf(sl slot) int64 {
	return int64(len(sl.names.channel)+len(sl.names.pattern)+len(sl.payload)) + MessageOverhead
}

// wake wakes the reader if it waits.
func (s *Subscription) wake() {
	if s.sleeping.Load() && s.sleeping.CompareAndSwap(true, false) {
		select {
		case s.notify <- struct{}{}:
		default:
		}
	}
}

// killLocked ends the subscription with err, drops its queue and wakes its
// reader and any waiting publisher. The first terminal error stays.
func (s *Subscription) killLocked(err error) {
	if s.ended {
		return
	}
	s.err, s.ended = err, true
	s.dead.Store(true)
	// The reader may still be reading its claimed slots: drop the
	// segments to the garbage collector without clearing them.
	s.wseg, s.qseg = nil, nil
	s.first.Store(nil)
	select { // wake the reader whether or not it sleeps yet
	case s.notify <- struct{}{}:
	default:
	}
	if s.room != nil {
		close(s.room)
		s.room = nil
	}
}

// terminate is killLocked taking the lock.
func (s *Subscription) terminate(err error) {
	s.mu.Lock()
	s.killLocked(err)
	s.mu.Unlock()
}

// Messages returns an iterator over the subscription's messages: it yields
// each message with a nil error, and stops after yielding the first error
// ([ErrSlowConsumer], [ErrClosed], or ctx.Err()) or when the loop breaks.
// The same rules as [Subscription.Next] apply.
func (s *Subscription) Messages(ctx context.Context) iter.Seq2[Message, error] {
	return func(yield func(Message, error) bool) {
		for {
			m, err := s.Next(ctx)
			if !yield(m, err) || err != nil {
				return
			}
		}
	}
}

// Close ends the subscription: it leaves every channel and pattern, drops
// its queue, and makes Next return [ErrClosed] (or [ErrSlowConsumer] if the
// broker had already closed it). Close is idempotent and always returns nil.
func (s *Subscription) Close() error {
	h := s.h
	h.mu.Lock()
	h.detachLocked(s)
	s.terminate(ErrClosed)
	h.mu.Unlock()
	return nil
}

// Subscribe subscribes to channels and returns one confirmation per
// argument, in order. Subscribing to a channel already subscribed confirms
// it again with the count unchanged. It returns the subscription's terminal
// error once it has ended.
func (s *Subscription) Subscribe(channels ...string) ([]Confirmation, error) {
	return s.add("subscribe", channels, false)
}

// PSubscribe subscribes to glob patterns (Redis syntax, see package
// [github.com/brookmq/brook/pattern]) and returns one confirmation per
// argument, like [Subscription.Subscribe].
func (s *Subscription) PSubscribe(patterns ...string) ([]Confirmation, error) {
	return s.add("psubscribe", patterns, true)
}

// Unsubscribe leaves channels, or every channel if none is given, and
// returns one confirmation per argument (channels not subscribed are
// confirmed too, with the count unchanged) or, with no arguments, one per
// channel removed in sorted order; if there was none, a single confirmation
// with Name "".
func (s *Subscription) Unsubscribe(channels ...string) ([]Confirmation, error) {
	return s.remove("unsubscribe", channels, false)
}

// PUnsubscribe leaves patterns, or every pattern if none is given, like
// [Subscription.Unsubscribe].
func (s *Subscription) PUnsubscribe(patterns ...string) ([]Confirmation, error) {
	return s.remove("punsubscribe", patterns, true)
}

// checkLocked returns the error that forbids changing the subscription.
// hub.mu is held.
func (s *Subscription) checkLocked() error {
	if s.h.closed {
		return ErrClosed
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

func (s *Subscription) countLocked() int { return len(s.chanPos) + len(s.patPos) }

func (s *Subscription) add(kind string, names []string, pat bool) ([]Confirmation, error) {
	h := s.h
	h.mu.Lock()
	defer h.mu.Unlock()
	if err := s.checkLocked(); err != nil {
		return nil, err
	}
	out := make([]Confirmation, len(names))
	for i, name := range names {
		h.addLocked(s, name, pat)
		out[i] = Confirmation{Kind: kind, Name: name, Count: s.countLocked()}
	}
	return out, nil
}

func (s *Subscription) remove(kind string, names []string, pat bool) ([]Confirmation, error) {
	h := s.h
	h.mu.Lock()
	defer h.mu.Unlock()
	if err := s.checkLocked(); err != nil {
		return nil, err
	}
	if len(names) == 0 {
		pos := s.chanPos
		if pat {
			pos = s.patPos
		}
		for name := range pos {
			names = append(names, name)
		}
		if len(names) == 0 {
			return []Confirmation{{Kind: kind, Count: s.countLocked()}}, nil
		}
		sort.Strings(names)
	}
	out := make([]Confirmation, len(names))
	for i, name := range names {
		h.removeLocked(s, name, pat)
		out[i] = Confirmation{Kind: kind, Name: name, Count: s.countLocked()}
	}
	return out, nil
}
