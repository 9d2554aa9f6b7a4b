package broker

import (
	"context"

	"github.com/brookmq/brook/stream"
)

// ReadStream is one stream of [Broker.XRead] and where to read from.
type ReadStream struct {
	Key       string
	After     stream.ID // entries with a greater ID are returned
	Latest    bool      // "$": after the stream's last ID at the time of the call
	LastEntry bool      // "+": the stream's last entry (when blocking on an empty stream: like "$")
}

// ReadOptions are the options of [Broker.XRead]. The zero value reads
// everything available and does not block.
type ReadOptions struct {
	Count int  // COUNT: at most this many entries per stream; <= 0: no limit
	Block bool // BLOCK: wait until data arrives or ctx ends (ctx carries the timeout)
}

// StreamEntries is the part of a read reply that comes from one stream.
type StreamEntries struct {
	Key     string
	Entries []stream.Entry
}

// XRead returns, for each listed stream that has some, the entries after the
// given position (XREAD). Streams without data are left out; with none at
// all the result is nil. With o.Block and nothing available it waits until
// an entry arrives on one of the streams (the reply then holds that stream)
// or ctx ends (ctx.Err() is returned: a BLOCK timeout is a ctx deadline).
// A key may be missing: it is read as empty, and a blocked read waits for it
// to be created.
func (b *Broker) XRead(ctx context.Context, streams []ReadStream, o ReadOptions) ([]StreamEntries, error) {
	specs := make([]waitSpec, len(streams))
	var out []StreamEntries
	var pos uint64
	for i, rs := range streams {
		entries, after, p, err := b.readOne(rs, o.Count)
		if err != nil {
			return nil, err
		}
		specs[i] = waitSpec{key: rs.Key, after: after}
		pos = max(pos, p)
		if len(entries) > 0 {
			out = append(out, StreamEntries{Key: rs.Key, Entries: entries})
		}
	}
	if out != nil || !o.Block {
		// Visibility rule: the reply waits for the last mutation it could see.
		if err := b.waitDurable(ctx, pos); err != nil {
			return nil, err
		}
		return out, nil
	}
	return b.block(ctx, newWaiter(specs, o.Count))
}

// readOne is the non-blocking read of one stream. It returns the entries,
// the resolved position to block after ("$" becomes the last ID) and the log
// position of what it observed.
func (b *Broker) readOne(rs ReadStream, count int) ([]stream.Entry, stream.ID, uint64, error) {
	st, err := b.reg.lock(rs.Key, false)
	if err == ErrNoStream {
		after := rs.After
		if rs.Latest || rs.LastEntry {
			after = stream.ID{}
		}
		return nil, after, b.reg.delPos.Load(), nil
	}
	if err != nil {
		return nil, stream.ID{}, 0, err
	}
	s := st.s
	var entries []stream.Entry
	after := rs.After
	switch {
	case rs.LastEntry:
		entries = s.RevRange(stream.MaxID, stream.MinID, 1)
		after = s.LastID()
	case rs.Latest:
		after = s.LastID()
	default:
		if start, ok := after.Next(); ok {
			entries = s.Range(start, stream.MaxID, count)
		}
	}
	pos := st.pos
	st.mu.Unlock()
	return entries, after, pos, nil
}
