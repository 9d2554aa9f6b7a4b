package broker

import (
	"context"

	"github.com/brookmq/brook/stream"
)

// GroupReadStream is one stream of [Broker.XReadGroup] and what to read.
type GroupReadStream struct {
	Key   string
	After stream.ID // history: the consumer's own pending entries after this ID
	New   bool      // ">": entries never delivered to the group (After is ignored)
}

// GroupReadOptions are the options of [Broker.XReadGroup].
type GroupReadOptions struct {
	Count int  // COUNT: at most this many entries per stream; <= 0: no limit
	Block bool // BLOCK: with only ">" streams and nothing new, wait for data or ctx's end
	NoAck bool // NOACK: delivered entries are not added to the pending list
}

// XReadGroup reads as consumer of group (XREADGROUP), creating the consumer
// if needed. For a ">" stream it delivers new entries, advancing the group
// and adding them to the pending list; for a history stream it returns the
// consumer's own pending entries after After (an entry deleted from the
// stream has nil Fields), and the stream is in the reply even with none.
// The result is nil when ">" finds nothing and it does not block; blocked
// readers of one stream are served in arrival order. A missing key or group
// is [stream.ErrNoGroup]; a blocked read ends with [ErrStreamDeleted] or
// [ErrGroupDeleted] if its key or group goes, or ctx.Err().
//
// Delivering is a change: a ctx that has already ended delivers nothing,
// and neither does a blocked read whose ctx ends before it is served. But
// once entries are delivered, XReadGroup waits for the disk; if ctx ends
// then, it returns ctx's error and the entries stay pending for consumer
// (unless NoAck), exactly as when a Redis client's connection drops after
// the reply was sent: read them again with a history read (After 0-0) or
// claim them. See "Cancellation" in the package documentation.
func (b *Broker) XReadGroup(ctx context.Context, group, consumer string, streams []GroupReadStream, o GroupReadOptions) ([]StreamEntries, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	now := b.nowMs()
	if len(streams) > 1 {
		// Like Redis, check every key and group before changing anything.
		for _, gs := range streams {
			err := b.groupRead(ctx, gs.Key, false, func(st *streamState) error {
				_, err := st.s.Consumers(group, now)
				return err
			})
			if err != nil {
				return nil, err
			}
		}
	}
	var out []StreamEntries
	var pos uint64
	for _, gs := range streams {
		entries, p, err := b.groupReadOne(group, consumer, gs, now, &o)
		if err != nil {
			return nil, err
		}
		pos = max(pos, p)
		if len(entries) > 0 || !gs.New {
			out = append(out, StreamEntries{Key: gs.Key, Entries: entries})
		}
	}
	if out != nil || !o.Block {
		// Visibility rule: the reply waits for the last mutation it could see.
		if err := b.waitDurable(ctx, pos); err != nil {
			return nil, err
		}
		return out, nil
	}
	specs := make([]waitSpec, len(streams))
	for i, gs := range streams {
		specs[i] = waitSpec{key: gs.Key}
	}
	w := newWaiter(specs, o.Count)
	w.group, w.consumer, w.noAck = group, consumer, o.NoAck
	return b.block(ctx, w)
}

// groupReadOne is the non-blocking read of one stream by a group consumer.
func (b *Broker) groupReadOne(group, consumer string, gs GroupReadStream, nowMs uint64, o *GroupReadOptions) ([]stream.Entry, uint64, error) {
	st, err := b.reg.lock(gs.Key, false)
	if err != nil {
		if err == ErrNoStream {
			err = stream.ErrNoGroup
		}
		return nil, 0, err
	}
	entries, err := b.groupReadLocked(st, group, consumer, gs, nowMs, o)
	pos := st.pos
	st.mu.Unlock()
	return entries, pos, err
}

func (b *Broker) groupReadLocked(st *streamState, group, consumer string, gs GroupReadStream, nowMs uint64, o *GroupReadOptions) ([]stream.Entry, error) {
	if err := b.writable(); err != nil {
		return nil, err
	}
	if _, err := b.createConsumerLocked(st, group, consumer, nowMs); err != nil {
		return nil, err
	}
	if gs.New {
		return b.readNewLocked(st, group, consumer, nowMs, o.Count, o.NoAck)
	}
	entries, err := st.s.ReadGroupHistory(group, consumer, nowMs, gs.After, o.Count)
	if err != nil || len(entries) == 0 || b.dur == nil {
		return entries, err
	}
	return entries, b.logLocked(st, &mutation{kind: opReadHistory, key: st.key, group: group, consumer: consumer,
		nowMs: nowMs, id: gs.After, count: o.Count})
}

// readNewLocked delivers new entries to consumer and logs the delivery.
// st.mu is held and the log was checked writable.
func (b *Broker) readNewLocked(st *streamState, group, consumer string, nowMs uint64, count int, noAck bool) ([]stream.Entry, error) {
	entries, err := st.s.ReadGroupNew(group, consumer, nowMs, count, noAck)
	if err != nil || len(entries) == 0 || b.dur == nil {
		return entries, err
	}
	return entries, b.logLocked(st, &mutation{kind: opReadNew, key: st.key, group: group, consumer: consumer,
		nowMs: nowMs, count: count, noAck: noAck})
}
