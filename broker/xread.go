package broker

import (
	"context"
	"math"
	"time"

	"github.com/brookmq/brook/stream"
)

// ReadStream is one stream of [Broker.XRead] or [Broker.XReadGroup] and
// where to read it from.
type ReadStream struct {
	Key string
	// From is where the read starts. XRead takes After(id) (the zero value:
	// from the beginning), Latest() ("$") and LastEntry() ("+");
	// XReadGroup takes Undelivered() (">") and After(id) (the consumer's own
	// pending entries after id).
	From Position
}

// BlockForever as a Block option waits until data arrives or ctx ends
// (Redis's BLOCK 0).
const BlockForever time.Duration = math.MaxInt64

// ReadOptions are the options of [Broker.XRead]. The zero value reads
// everything available and does not wait.
type ReadOptions struct {
	Count int           // COUNT: at most this many entries per stream; 0: no limit
	Block time.Duration // BLOCK: with nothing to read, wait up to this long (0: do not wait)
}

// StreamEntries is the part of a read reply that comes from one stream.
type StreamEntries struct {
	Key     string
	Entries []Entry
	// Delivery is set only by an [Broker.XReadGroup] with ClaimMinIdle
	// (Redis 8.4), parallel to Entries: how long each claimed entry had
	// been idle and how many deliveries it had before this one; zero for a
	// new entry. Other reads leave it nil.
	Delivery []DeliveryInfo
}

// DeliveryInfo is what XREADGROUP CLAIM (Redis 8.4) reports with each
// entry: zero for a new entry.
type DeliveryInfo struct {
	// Idle is the time since the entry's last delivery; for an entry given
	// back with XNACK (delivery time 0), the time since the Unix epoch, as
	// Redis reports it.
	Idle       time.Duration
	Deliveries uint64 // delivery count before this delivery
}

// XRead returns, for each listed stream that has some, the entries after
// the given position (XREAD). Streams without data are left out; with none
// at all the result is nil.
//
// Waiting, the same for XRead and XReadGroup: with o.Block > 0 and nothing
// to read, the call waits until an entry arrives on one of the streams (the
// reply then holds that stream) or the Block time passes, which returns a
// nil result and a nil error, as Redis replies nil to an expired BLOCK. If
// ctx ends first, the call returns ctx's error: an ended context is always
// an error, an expired Block never is. A key may be missing: it is read as
// empty, and a blocked read waits for it to be created.
//
// A negative Count or Block, or a Position XRead does not take, is
// [ErrInvalidArgument].
func (b *Broker) XRead(ctx context.Context, streams []ReadStream, o ReadOptions) ([]StreamEntries, error) {
	if err := checkRead(o.Count, o.Block); err != nil {
		return nil, err
	}
	specs := make([]waitSpec, len(streams))
	var out []StreamEntries
	var pos uint64
	for i, rs := range streams {
		if rs.From.kind == posUndelivered {
			return nil, invalid("XRead takes After, Latest or LastEntry, not %q", rs.From)
		}
		entries, after, p, err := b.readOne(rs, limit(o.Count))
		if err != nil {
			return nil, err
		}
		specs[i] = waitSpec{key: rs.Key, after: after}
		pos = max(pos, p)
		if len(entries) > 0 {
			out = append(out, StreamEntries{Key: rs.Key, Entries: entries})
		}
	}
	if out != nil || o.Block == 0 {
		// Visibility rule: the reply waits for the last mutation it could see.
		if err := b.jr.wait(ctx, pos); err != nil {
			return nil, err
		}
		return out, nil
	}
	return b.block(ctx, newWaiter(specs, limit(o.Count)), o.Block)
}

// checkRead validates the options common to XRead and XReadGroup.
func checkRead(count int, block time.Duration) error {
	if err := checkCount("Count", count); err != nil {
		return err
	}
	if block < 0 {
		return invalid("negative Block %v", block)
	}
	return nil
}

// readOne is the non-blocking read of one stream. It returns the entries,
// the resolved position to block after ("$" becomes the last ID) and the log
// position of what it observed.
func (b *Broker) readOne(rs ReadStream, count int) ([]Entry, ID, uint64, error) {
	var entries []Entry
	var after ID
	var pos uint64
	st, err := b.reg.lock(rs.Key, false)
	switch {
	case err == ErrNoStream:
		if rs.From.kind == posAfter {
			after = rs.From.id
		}
		return nil, after, b.reg.delPos.Load(), nil
	case err != nil:
		return nil, ID{}, 0, err
	}
	s := st.stream()
	switch rs.From.kind {
	case posLastEntry:
		entries = s.RevRange(stream.MaxID, stream.MinID, 1)
		after = s.LastID()
	case posLatest:
		after = s.LastID()
	default:
		after = rs.From.id
		if start, ok := after.Next(); ok {
			entries = s.Range(start, stream.MaxID, count)
		}
	}
	pos = st.pos
	st.mu.Unlock()
	return entries, after, pos, nil
}
