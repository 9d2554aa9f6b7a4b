package broker

// Pub/Sub: the hub (channel and pattern tables) and the Broker methods that
// publish and introspect. The subscription side is in subscription.go
// (delivery, limits, policies, membership) and subscription_queue.go (the
// queue and its reader).
//
// Locking: hub.mu guards the tables and every subscription's membership maps.
// Publish holds it for reading, so publishers run in parallel; (un)subscribing
// holds it for writing. Each subscription has its own small mutex that
// serializes its publishers, always taken after hub.mu; its reader takes no
// lock on the way of a message. Nothing blocks while hub.mu is held: a
// publisher that must wait for room (PolicyBlock) or remove a slow
// subscription does so after releasing it. No goroutine is started: the
// readers are the caller's.

import (
	"context"
	"errors"
	"math"
	"slices"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/brookmq/brook/pattern"
)

// ErrSlowConsumer is returned by [Subscription.Next], and by later attempts
// to subscribe or unsubscribe, after the broker closed the subscription
// because its queue went over the hard limit, or stayed over the soft limit
// for longer than the soft period, under [PolicyDisconnect].
var ErrSlowConsumer = errors.New("broker: subscription closed: slow consumer")

// SlowPolicy says what the broker does with a subscription whose queue is
// full. The zero value is [PolicyDisconnect], Redis's behaviour.
type SlowPolicy uint8

const (
	// PolicyDisconnect closes the subscription, drops its queue and makes its
	// reader get [ErrSlowConsumer] at once, when a message would take the
	// queue over the hard limit, or when the queue stays over the soft limit
	// for longer than the soft period (checked as messages arrive). The
	// publisher never waits.
	PolicyDisconnect SlowPolicy = iota
	// PolicyDropOldest drops the oldest queued messages to make room for a
	// new one, so the queue stays within the hard limit (a single message
	// larger than the limit is still queued alone). The soft limit is not
	// used. The publisher never waits.
	PolicyDropOldest
	// PolicyBlock makes the publisher wait, honouring its context, until the
	// message fits within the hard limit (or the queue is empty). Room is
	// made as the reader settles its count (see [PubSubOptions]): when it
	// asks for a message with none claimed, and every 32 messages or
	// 64 KiB it reads. The soft limit is not used. Only publishers
	// delivering to that subscription wait; they wait without holding any
	// broker lock.
	PolicyBlock
)

// String returns the policy's name.
func (p SlowPolicy) String() string {
	switch p {
	case PolicyDisconnect:
		return "disconnect"
	case PolicyDropOldest:
		return "drop-oldest"
	case PolicyBlock:
		return "block"
	}
	return "SlowPolicy(" + strconv.Itoa(int(p)) + ")"
}

// Default Pub/Sub limits, those of Redis's
// client-output-buffer-limit pubsub 32mb 8mb 60.
const (
	DefaultHardLimit  = 32 << 20
	DefaultSoftLimit  = 8 << 20
	DefaultSoftPeriod = 60 * time.Second
)

// PubSubOptions are the limits and policy of a subscription's queue. The
// zero value gives Redis's defaults. Queue size is counted in bytes: for each
// queued message the payload, channel and pattern lengths plus a fixed
// overhead of [MessageOverhead] bytes. A message counts from when it is
// queued until its reader has received it; the reader settles its count
// every 64 messages or 64 KiB and whenever it waits, so a limit may trip up
// to that much early.
type PubSubOptions struct {
	// HardLimit is the most bytes a subscription's queue may hold (see
	// [SlowPolicy]). Default 32 MiB; negative means no limit.
	HardLimit int64
	// SoftLimit is the queue size in bytes that a subscription may stay
	// over for at most SoftPeriod ([PolicyDisconnect] only). Default 8 MiB;
	// negative means no limit.
	SoftLimit int64
	// SoftPeriod is how long a queue may stay over SoftLimit. Default 60 s;
	// negative means zero.
	SoftPeriod time.Duration
	// Policy is what happens to a subscription whose queue is full.
	// Default PolicyDisconnect.
	Policy SlowPolicy
}

// SubscriptionOptions configure one subscription.
type SubscriptionOptions struct {
	// Limits override the broker's [Options.PubSub] field by field: zero
	// fields inherit the broker's values (so a zero Policy inherits too).
	Limits PubSubOptions
}

// limits are resolved PubSubOptions: no zero or negative sentinels left.
type limits struct {
	hard, soft int64 // bytes; math.MaxInt64 = unlimited
	watch      int64 // min(hard, soft)
	period     time.Duration
	policy     SlowPolicy
}

// check validates o: a known Policy.
func (o PubSubOptions) check() error {
	switch o.Policy {
	case PolicyDisconnect, PolicyDropOldest, PolicyBlock:
		return nil
	}
	return invalid("unknown %v", o.Policy)
}

// inherit fills o's zero fields from def.
func (o PubSubOptions) inherit(def PubSubOptions) PubSubOptions {
	if o.HardLimit == 0 {
		o.HardLimit = def.HardLimit
	}
	if o.SoftLimit == 0 {
		o.SoftLimit = def.SoftLimit
	}
	if o.SoftPeriod == 0 {
		o.SoftPeriod = def.SoftPeriod
	}
	if o.Policy == PolicyDisconnect {
		o.Policy = def.Policy
	}
	return o
}

// resolve turns options (zero = default, negative = unlimited) into limits.
func (o PubSubOptions) resolve() limits {
	o = o.inherit(PubSubOptions{
		HardLimit:  DefaultHardLimit,
		SoftLimit:  DefaultSoftLimit,
		SoftPeriod: DefaultSoftPeriod,
	})
	l := limits{hard: o.HardLimit, soft: o.SoftLimit, period: max(o.SoftPeriod, 0), policy: o.Policy}
	if l.hard < 0 {
		l.hard = math.MaxInt64
	}
	if l.soft < 0 {
		l.soft = math.MaxInt64
	}
	if l.policy > PolicyBlock {
		l.policy = PolicyDisconnect
	}
	if l.policy != PolicyDisconnect {
		l.soft = math.MaxInt64 // only PolicyDisconnect has a soft limit
	}
	l.watch = min(l.hard, l.soft)
	return l
}

// hub is the Pub/Sub state of a broker. It is 128 bytes, so allocated
// 128-byte aligned: the first cache line, which every Publish writes (the
// read lock) and reads, is shared with no other object.
type hub struct {
	mu       sync.RWMutex
	closed   bool
	channels map[string]*topic // active channels
	patterns map[string]*topic // active patterns
	index    *pattern.Index    // the keys of patterns
	patGen   uint64            // bumped when the set of patterns changes

	defaults PubSubOptions              // of new subscriptions; guarded by mu
	subs     map[*Subscription]struct{} // every open subscription
	patLog   *patLog                    // the last changes of the set of patterns
	last     atomic.Pointer[topic]      // the channel topic last published to, or nil (see channelLocked)
	_        [8]byte
}

func newHub(o PubSubOptions) *hub {
	return &hub{
		defaults: o,
		channels: make(map[string]*topic),
		patterns: make(map[string]*topic),
		index:    pattern.NewIndex(),
		subs:     make(map[*Subscription]struct{}),
		patLog:   new(patLog),
	}
}

// topic is an active channel or pattern: its subscriptions, never empty.
type topic struct {
	names   names                     // channel or pattern, the other empty
	subs    []*Subscription           // in no order
	last    atomic.Pointer[names]     // patterns: the names of the last delivery
	matched atomic.Pointer[matchMemo] // channels: the patterns matching it
	pat     *pattern.Pattern          // patterns: compiled, as the index holds it
	one     [1]*Subscription          // subs starts as one[:0:1]: the first subscriber costs no allocation
}

// matchMemo is the pattern topics whose pattern matches a channel topic's
// channel, valid while the hub's patGen is gen. Publishers on the channel
// read it under hub.mu's read lock and bring it up to date when it is stale
// (see hub.matchLocked); racing publishers compute the same result. It
// saves a publish on a channel with subscribers the pattern index's lookup
// and the pattern table's, so that a publish pays nothing per pattern
// subscribed, matching or not, as long as the set of patterns does not
// change; and when it changes, a publish pays for the changed patterns
// only, not for a new lookup.
type matchMemo struct {
	gen    atomic.Uint64 // only ever raised, by publishers finding no change to make
	topics []*topic      // nil if none matches; never modified
}

// patLogSize is the number of changes of the set of patterns the hub
// remembers. A memo more changes old than that is rebuilt from the index:
// testing the changed patterns one by one would cost more than the index's
// lookup, which does not grow with the number of patterns.
const patLogSize = 16

// patLog holds the last changes of the set of patterns: change g (the one
// that made patGen g) is at index g%patLogSize. It is written under hub.mu's
// write lock and read under its read lock.
type patLog [patLogSize]patChange

// patChange is one change of the set of patterns: the pattern topic t was
// added, or removed, and patGen became gen.
type patChange struct {
	gen   uint64
	t     *topic
	added bool
}

// logPatternLocked bumps patGen for the addition or removal of the pattern
// topic t, and records it. h.mu is held for writing.
func (h *hub) logPatternLocked(t *topic, added bool) {
	h.patGen++
	h.patLog[h.patGen%patLogSize] = patChange{gen: h.patGen, t: t, added: added}
}

// names are the channel and pattern of a delivery, shared by every message
// delivered the same way so that queue slots stay small. byPattern is set
// for a delivery by pattern (the pattern may be "").
type names struct {
	channel, pattern string
	byPattern        bool
}

// namesFor returns the names of a delivery of channel by the pattern t,
// reusing those of the previous delivery if it was on the same channel.
func (t *topic) namesFor(channel string) *names {
	if n := t.last.Load(); n != nil && n.channel == channel {
		return n
	}
	n := &names{channel: channel, pattern: t.names.pattern, byPattern: true}
	t.last.Store(n)
	return n
}

// close ends every subscription with ErrClosed and refuses further use.
func (h *hub) close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return
	}
	h.closed = true
	for s := range h.subs {
		s.chanPos, s.patPos = nil, nil
		s.terminate(ErrClosed)
	}
	clear(h.subs)
	clear(h.channels)
	clear(h.patterns)
	h.index = pattern.NewIndex()
	h.patGen++
	h.last.Store(nil)
}

// channelLocked returns the topic of channel, or nil if it has no
// subscription. It remembers the topic it found last, so that publishing on
// one channel in turn does not hash the channel's name every time: that
// lookup was a third of a publish to one subscriber. The remembered topic
// is forgotten, under the write lock, when it leaves the table. h.mu is
// held, for reading at least.
func (h *hub) channelLocked(channel string) *topic {
	if t := h.last.Load(); t != nil && t.names.channel == channel {
		return t
	}
	t := h.channels[channel]
	if t != nil {
		h.last.Store(t)
	}
	return t
}

// addLocked adds s to the list of key in m (channels if pat is false,
// patterns otherwise) and reports whether it was new. h.mu is held.
func (h *hub) addLocked(s *Subscription, key string, pat bool) bool {
	pos, m := s.chanPos, h.channels
	if pat {
		pos, m = s.patPos, h.patterns
	}
	if _, ok := pos[key]; ok {
		return false
	}
	t := m[key]
	if t == nil {
		t = &topic{names: names{channel: key}}
		t.subs = t.one[:0:1]
		if pat {
			t.names = names{pattern: key, byPattern: true}
			t.pat, _ = h.index.Insert(key)
			h.logPatternLocked(t, true)
		}
		m[key] = t
	}
	pos[key] = len(t.subs)
	t.subs = append(t.subs, s)
	return true
}

// removeLocked removes s from the list of key and reports whether it was
// there. h.mu is held.
func (h *hub) removeLocked(s *Subscription, key string, pat bool) bool {
	pos, m := s.chanPos, h.channels
	if pat {
		pos, m = s.patPos, h.patterns
	}
	i, ok := pos[key]
	if !ok {
		return false
	}
	delete(pos, key)
	t := m[key]
	last := len(t.subs) - 1
	if i != last {
		moved := t.subs[last]
		t.subs[i] = moved
		if pat {
			moved.patPos[key] = i
		} else {
			moved.chanPos[key] = i
		}
	}
	t.subs[last] = nil
	t.subs = t.subs[:last]
	if last > 0 {
		return true
	}
	delete(m, key)
	if !pat && h.last.Load() == t {
		h.last.Store(nil)
	}
	if pat {
		h.index.Remove(key)
		h.logPatternLocked(t, false)
	}
	return true
}

// detach removes s from every table. It is a no-op if s is already gone.
func (h *hub) detach(s *Subscription) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.detachLocked(s)
}

func (h *hub) detachLocked(s *Subscription) {
	for ch := range s.chanPos {
		h.removeLocked(s, ch, false)
	}
	for p := range s.patPos {
		h.removeLocked(s, p, true)
	}
	delete(h.subs, s)
}

// NewSubscription returns a subscription with no channels or patterns yet.
// Zero options take the broker's defaults ([Options.PubSub]). A subscription
// made after [Broker.Close] is already closed: its calls return [ErrClosed].
// An unknown Policy is [ErrInvalidArgument].
func (b *Broker) NewSubscription(o SubscriptionOptions) (*Subscription, error) {
	if err := o.Limits.check(); err != nil {
		return nil, err
	}
	h := b.hub
	h.mu.Lock()
	defer h.mu.Unlock()
	s := newSubscription(h, b.clock, o.Limits.inherit(h.defaults).resolve())
	if h.closed {
		s.terminate(ErrClosed)
		return s, nil
	}
	h.subs[s] = struct{}{}
	return s, nil
}

// SetPubSubLimits replaces the broker's default Pub/Sub limits and policy
// ([Options.PubSub]), as Redis's CONFIG SET client-output-buffer-limit
// pubsub does. They apply to the subscriptions made afterwards; existing
// subscriptions keep the limits they were made with. Zero fields mean the
// package defaults, as in [Options]. An unknown Policy is
// [ErrInvalidArgument] and changes nothing; after [Broker.Close] it returns
// [ErrClosed].
func (b *Broker) SetPubSubLimits(o PubSubOptions) error {
	if err := o.check(); err != nil {
		return err
	}
	h := b.hub
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return ErrClosed
	}
	h.defaults = o
	return nil
}

// PubSubLimits returns the broker's default Pub/Sub limits and policy, those
// of a subscription made now with zero [SubscriptionOptions], with the
// package defaults filled in for zero fields: HardLimit and SoftLimit in
// bytes (negative: no limit), SoftPeriod (negative: zero).
func (b *Broker) PubSubLimits() PubSubOptions {
	h := b.hub
	h.mu.RLock()
	defer h.mu.RUnlock()
	return h.defaults.inherit(PubSubOptions{
		HardLimit:  DefaultHardLimit,
		SoftLimit:  DefaultSoftLimit,
		SoftPeriod: DefaultSoftPeriod,
	})
}

// Subscribe returns a new subscription with the broker's default options,
// subscribed to channels.
func (b *Broker) Subscribe(channels ...string) (*Subscription, error) {
	s, _ := b.NewSubscription(SubscriptionOptions{}) // the defaults were checked by New
	if _, err := s.Subscribe(channels...); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// PSubscribe returns a new subscription with the broker's default options,
// subscribed to the glob patterns.
func (b *Broker) PSubscribe(patterns ...string) (*Subscription, error) {
	s, _ := b.NewSubscription(SubscriptionOptions{}) // the defaults were checked by New
	if _, err := s.PSubscribe(patterns...); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// Channels returns the active channels (those with at least one
// subscription) that match the glob pattern, sorted, like Redis's PUBSUB
// CHANNELS pattern. The pattern is always a glob with Redis's rules: ""
// matches only the channel "", and "*" every channel but "" (Redis's
// matcher never matches an empty name with "*"). PUBSUB CHANNELS without a
// pattern, which lists every channel, is Channels("*") plus "" when
// [Broker.NumSub] counts subscriptions to "".
func (b *Broker) Channels(pat string) []string {
	match := pattern.Compile(pat).Match
	h := b.hub
	h.mu.RLock()
	out := make([]string, 0, len(h.channels))
	for ch := range h.channels {
		if match(ch) {
			out = append(out, ch)
		}
	}
	h.mu.RUnlock()
	sort.Strings(out)
	return out
}

// NumSub returns the number of subscriptions of each channel, one count per
// argument, duplicates included. Pattern subscriptions are not counted. Like
// Redis's PUBSUB NUMSUB.
func (b *Broker) NumSub(channels ...string) []int {
	out := make([]int, len(channels))
	h := b.hub
	h.mu.RLock()
	for i, ch := range channels {
		if t := h.channels[ch]; t != nil {
			out[i] = len(t.subs)
		}
	}
	h.mu.RUnlock()
	return out
}

// NumPat returns the number of distinct patterns subscribed to (two
// subscriptions of one pattern count once). Like Redis's PUBSUB NUMPAT.
func (b *Broker) NumPat() int {
	h := b.hub
	h.mu.RLock()
	defer h.mu.RUnlock()
	return len(h.patterns)
}

// Publish delivers payload to every subscription of channel and to every
// subscription with a pattern matching channel, and returns the number of
// deliveries: a subscription matching by channel and by N patterns receives
// 1+N messages and counts 1+N, as in Redis. As in Redis too, a subscription
// that the broker closes as a slow consumer during this call counts every
// delivery of the call, including the one that went over its limit; later
// calls do not count it.
//
// Publish blocks only when a matching subscription uses [PolicyBlock] and
// its queue is full; it then waits for room until ctx ends and returns
// ctx.Err() with the number of deliveries made so far. Otherwise ctx is not
// consulted.
//
// The payload is shared by every subscription, never copied: neither the
// publisher nor the subscribers may modify it afterwards. Messages from one
// publisher (one goroutine calling Publish in turn) on one channel reach
// every subscription in the order published. Publish is safe for concurrent
// use. After [Broker.Close] it returns [ErrClosed].
func (b *Broker) Publish(ctx context.Context, channel string, payload []byte) (int, error) {
	h := b.hub
	var later deferred
	h.mu.RLock()
	if h.closed {
		h.mu.RUnlock()
		return 0, ErrClosed
	}
	n := 0
	base := int64(len(channel)+len(payload)) + MessageOverhead
	if t := h.channelLocked(channel); t != nil {
		sl := slot{payload: payload, names: &t.names}
		for _, s := range t.subs {
			n += s.deliver(sl, base, &later)
		}
		// The memo is checked here rather than in matchLocked, which the
		// compiler does not inline: with it current, a publish pays for
		// the patterns subscribed, matching or not, a load and a
		// comparison, not a call.
		var matched []*topic
		if m := t.matched.Load(); m != nil && m.gen.Load() == h.patGen {
			matched = m.topics
		} else if h.index.Len() > 0 {
			matched = h.matchLocked(t, m)
		}
		for _, pt := range matched {
			n += pt.deliverPattern(channel, payload, base, &later)
		}
	} else if h.index.Len() > 0 {
		h.index.Match(channel, func(p string) {
			n += h.patterns[p].deliverPattern(channel, payload, base, &later)
		})
	}
	h.mu.RUnlock()
	if later.empty() {
		return n, nil
	}
	return later.finish(ctx, h, n)
}

// matchLocked returns the pattern topics matching the channel of t, a
// channel topic whose memo old is stale or nil, and memoizes them in t for
// the current set of patterns. If old is recent enough, it is brought up to
// date by testing the patterns changed since against the channel only (see
// replayLocked); otherwise the topics come from the pattern index. h.mu is
// held, for reading at least.
func (h *hub) matchLocked(t *topic, old *matchMemo) []*topic {
	if old != nil {
		if topics, ok := h.replayLocked(t, old); ok {
			return topics
		}
	}
	m := &matchMemo{}
	m.gen.Store(h.patGen)
	h.index.Match(t.names.channel, func(p string) {
		m.topics = append(m.topics, h.patterns[p])
	})
	t.matched.Store(m)
	return m.topics
}

// replayLocked applies to m, the stale memo of the channel topic t, the
// changes of the set of patterns made since m's generation: an added
// pattern that matches the channel joins the topics, a removed one leaves
// them. It reports false if the log no longer holds every change since m.
// If the topics change, a new memo replaces m in t (one allocation); if not,
// m's generation is raised in place, so a publish after changes that do not
// concern its channel allocates nothing. h.mu is held, for reading at least.
func (h *hub) replayLocked(t *topic, m *matchMemo) ([]*topic, bool) {
	from := m.gen.Load()
	if h.patGen-from > patLogSize {
		return nil, false
	}
	topics, copied := m.topics, false
	for g := from + 1; g <= h.patGen; g++ {
		c := &h.patLog[g%patLogSize]
		if c.gen != g {
			return nil, false // a change that was not logged (Close)
		}
		i := slices.Index(topics, c.t)
		switch {
		case c.added && i < 0 && c.t.pat.Match(t.names.channel):
			if !copied {
				topics, copied = slices.Clip(topics), true // append copies
			}
			topics = append(topics, c.t)
		case !c.added && i >= 0:
			topics, copied = slices.Concat(topics[:i], topics[i+1:]), true
		}
	}
	if !copied {
		for g := from; g < h.patGen && !m.gen.CompareAndSwap(g, h.patGen); g = m.gen.Load() {
		}
		return topics, true
	}
	nm := &matchMemo{topics: topics}
	nm.gen.Store(h.patGen)
	t.matched.Store(nm)
	return topics, true
}

// deliverPattern delivers payload, published on channel, to the
// subscriptions of t, a pattern topic, and returns the number of
// deliveries; base is the message's size without the pattern.
func (t *topic) deliverPattern(channel string, payload []byte, base int64, later *deferred) int {
	sl := slot{payload: payload, names: t.namesFor(channel)}
	size := base + int64(len(t.names.pattern))
	n := 0
	for _, s := range t.subs {
		n += s.deliver(sl, size, later)
	}
	return n
}

// deferred collects the work a publisher does after releasing hub.mu:
// removing subscriptions it found too slow and waiting for room in full
// PolicyBlock queues. It is empty on the fast path.
type deferred struct {
	dead    []*Subscription
	waiting []pendingDelivery
}

type pendingDelivery struct {
	s    *Subscription
	sl   slot
	size int64
}

func (d *deferred) empty() bool { return len(d.dead) == 0 && len(d.waiting) == 0 }

// blocks reports whether s already has a delivery waiting in d; later
// deliveries of the same publish to s must wait behind it to keep order.
func (d *deferred) blocks(s *Subscription) bool {
	return slices.ContainsFunc(d.waiting, func(p pendingDelivery) bool { return p.s == s })
}

// finish removes dead subscriptions, then makes the waiting deliveries in
// order. n is the count so far.
func (d *deferred) finish(ctx context.Context, h *hub, n int) (int, error) {
	for _, s := range d.dead {
		h.detach(s)
	}
	for _, p := range d.waiting {
		ok, err := p.s.deliverWait(ctx, p.sl, p.size)
		if err != nil {
			return n, err
		}
		if ok {
			n++
		}
	}
	return n, nil
}
