package broker

import (
	"context"
	"math"
	"time"

	"github.com/brookmq/brook/stream"
)

// GroupReadOptions are the options of [Broker.XReadGroup].
type GroupReadOptions struct {
	Count int           // COUNT: at most this many entries per stream; 0: no limit
	Block time.Duration // BLOCK: with only Undelivered streams and nothing new, wait up to this long
	NoAck bool          // NOACK: delivered entries are not added to the pending list
	// ClaimMinIdle is CLAIM min-idle-time (Redis 8.4); nil: no CLAIM. For
	// each Undelivered stream the read first claims, for consumer, the
	// group's pending entries idle for at least this long (and every entry
	// given back with [Broker.XNack], first, in the order they were given
	// back), oldest delivery first, then delivers new entries; Count caps
	// both together, NoAck applies to new entries only. Each StreamEntries
	// then has Delivery set. Ignored for After streams, and, as in Redis,
	// for every stream after the first After one.
	ClaimMinIdle *time.Duration
}

// XReadGroup reads as consumer of group (XREADGROUP), creating the consumer
// if needed. For an Undelivered stream it delivers new entries, advancing
// the group and adding them to the pending list; for an After(id) stream it
// returns the consumer's own pending entries after id (an entry deleted
// from the stream has nil Fields), and the stream is in the reply even with
// none. The result is nil when nothing is new and it does not wait; waiting
// with o.Block is as for [Broker.XRead], and blocked readers of one stream
// are served in arrival order.
//
// A call that names several streams reads them all under their locks at
// once: it delivers from every stream or changes nothing. Errors: a missing
// key is [ErrNoStream] and a missing group [ErrNoGroup], for any of the
// streams, before anything changes; a blocked read ends with
// [ErrStreamDeleted] or [ErrGroupDeleted] if its key or group goes; a
// negative Count or Block, or a Position other than Undelivered or After,
// is [ErrInvalidArgument].
//
// Delivering is a change: a ctx that has already ended delivers nothing,
// and neither does a blocked read whose ctx ends before it is served. But
// once entries are delivered, XReadGroup waits for the disk; if ctx ends
// then, it returns ctx's error and the entries stay pending for consumer
// (unless NoAck), exactly as when a Redis client's connection drops after
// the reply was sent: read them again with After(0-0) or claim them. See
// "Cancellation" in the package documentation.
func (b *Broker) XReadGroup(ctx context.Context, group, consumer string, streams []ReadStream, o GroupReadOptions) ([]StreamEntries, error) {
	if err := checkGroupRead(streams, &o); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	out, pos, err := b.groupReadAll(group, consumer, streams, &o)
	if err != nil {
		return nil, err
	}
	if out != nil || o.Block == 0 {
		// Visibility rule: the reply waits for the last mutation it could see.
		if err := b.jr.wait(ctx, pos); err != nil {
			return nil, err
		}
		return out, nil
	}
	specs := make([]waitSpec, len(streams))
	for i, rs := range streams {
		specs[i] = waitSpec{key: rs.Key}
	}
	w := newWaiter(specs, limit(o.Count))
	w.group, w.consumer, w.noAck = group, consumer, o.NoAck
	if o.ClaimMinIdle != nil {
		ms := durationMs(*o.ClaimMinIdle)
		w.claim = &ms
	}
	return b.block(ctx, w, o.Block)
}

func checkGroupRead(streams []ReadStream, o *GroupReadOptions) error {
	if err := checkRead(o.Count, o.Block); err != nil {
		return err
	}
	if o.ClaimMinIdle != nil && *o.ClaimMinIdle < 0 {
		return invalid("negative ClaimMinIdle %v", *o.ClaimMinIdle)
	}
	for _, rs := range streams {
		if k := rs.From.kind; k != posUndelivered && k != posAfter {
			return invalid("XReadGroup takes Undelivered or After, not %q", rs.From)
		}
	}
	return nil
}

// groupReadAll is the non-blocking pass of XReadGroup: with every named
// stream locked, it checks the keys and the group, then creates the
// consumer and reads each stream. It returns the reply and the log position
// of what it observed.
func (b *Broker) groupReadAll(group, consumer string, streams []ReadStream, o *GroupReadOptions) ([]StreamEntries, uint64, error) {
	keys := make([]string, len(streams))
	for i, rs := range streams {
		keys[i] = rs.Key
	}
	states, unlock, err := b.reg.lockAll(keys)
	if err != nil {
		return nil, 0, err
	}
	defer unlock()
	if err := b.jr.writable(); err != nil {
		return nil, 0, err
	}
	for _, st := range states {
		if !st.stream().HasGroup(group) {
			return nil, 0, ErrNoGroup
		}
	}
	now := b.nowMs()
	var out []StreamEntries
	var pos uint64
	claim := o.ClaimMinIdle
	for i, rs := range streams {
		t := tx{b: b, st: states[i]}
		if rs.From.kind == posAfter {
			claim = nil // Redis 8.4: an explicit ID drops CLAIM for the rest of the call
		}
		var se StreamEntries
		var err error
		if claim != nil {
			se, err = t.groupReadClaim(group, consumer, now, durationMs(*claim), o.Count, o.NoAck)
		} else {
			se.Entries, err = t.groupRead(group, consumer, rs.From, now, o.Count, o.NoAck)
		}
		if err != nil {
			return nil, 0, err
		}
		pos = max(pos, t.st.pos)
		if len(se.Entries) > 0 || rs.From.kind == posAfter {
			se.Key = rs.Key
			out = append(out, se)
		}
	}
	return out, pos, nil
}

// groupReadClaim creates consumer if missing and reads one stream as it
// with CLAIM minIdleMs.
func (t tx) groupReadClaim(group, consumer string, nowMs, minIdleMs uint64, count int, noAck bool) (StreamEntries, error) {
	key := t.st.key
	if _, err := t.apply(&mutation{kind: opConsumerCreate, key: key, nowMs: nowMs, opArgs: &opArgs{group: group, consumer: consumer}}); err != nil {
		return StreamEntries{}, err
	}
	m := mutation{kind: opReadClaim, key: key, nowMs: nowMs, opArgs: &opArgs{group: group, consumer: consumer, minIdleMs: minIdleMs, count: limit(count), noAck: noAck}}
	e, err := t.apply(&m)
	return claimedEntries(e.claimed), err
}

// claimedEntries splits the engine's claimed entries into Entries and
// Delivery.
func claimedEntries(cs []stream.ClaimedEntry) StreamEntries {
	if len(cs) == 0 {
		return StreamEntries{}
	}
	se := StreamEntries{Entries: make([]Entry, len(cs)), Delivery: make([]DeliveryInfo, len(cs))}
	for i, c := range cs {
		se.Entries[i] = c.Entry
		se.Delivery[i] = DeliveryInfo{Idle: msDuration(c.IdleMs), Deliveries: c.DeliveryCount}
	}
	return se
}

// msDuration converts milliseconds to a Duration, saturating.
func msDuration(ms uint64) time.Duration {
	if ms > uint64(math.MaxInt64/int64(time.Millisecond)) {
		return math.MaxInt64
	}
	return time.Duration(ms) * time.Millisecond
}

// groupRead creates consumer if missing and reads one stream as it.
func (t tx) groupRead(group, consumer string, from Position, nowMs uint64, count int, noAck bool) ([]Entry, error) {
	key := t.st.key
	if _, err := t.apply(&mutation{kind: opConsumerCreate, key: key, nowMs: nowMs, opArgs: &opArgs{group: group, consumer: consumer}}); err != nil {
		return nil, err
	}
	m := mutation{kind: opReadNew, key: key, nowMs: nowMs, opArgs: &opArgs{group: group, consumer: consumer, count: limit(count), noAck: noAck}}
	if from.kind == posAfter {
		m.kind, m.id, m.noAck = opReadHistory, from.id, false
	}
	e, err := t.apply(&m)
	return e.entries, err
}
