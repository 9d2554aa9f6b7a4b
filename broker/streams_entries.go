package broker

import (
	"context"
	"iter"

	"github.com/brookmq/brook/stream"
)

// AddOptions are the options of [Broker.XAdd]. The zero value adds with an
// automatic ID, creates the key if missing and trims nothing.
type AddOptions struct {
	ID         stream.AddID // "*" (zero), "ms-*" or an explicit ID
	NoMkStream bool         // NOMKSTREAM: a missing key gives ErrNoStream
	Trim       stream.Trim  // MAXLEN/MINID, applied after the append
}

// XAdd appends an entry to key's stream, creating the key unless
// o.NoMkStream, trims as o.Trim says, wakes blocked readers of key and
// returns the new entry's ID. ID errors are the stream package's
// ([stream.ErrIDZero], [stream.ErrIDTooSmall], [stream.ErrExhausted],
// [stream.ErrTooLarge]); a missing key with NoMkStream is [ErrNoStream]; an
// entry over the broker's [Limits] is [ErrEntryTooLarge]. Each of these is
// found before anything changes: the stream is left as it was, as it is
// for a ctx that has already ended. A ctx that ends while XAdd waits for the
// disk makes it return ctx's error with the entry already added: the outcome
// is unknown, the entry may be durable (see "Cancellation" in the package
// documentation); retry with the same explicit ID to find out.
func (b *Broker) XAdd(ctx context.Context, key string, fields []stream.Field, o AddOptions) (stream.ID, error) {
	if err := ctx.Err(); err != nil {
		return stream.ID{}, err
	}
	if err := b.checkEntry(key, fields); err != nil {
		return stream.ID{}, err
	}
	// Only "*" reads the clock, and outside the lock: the stream keeps IDs
	// increasing even if a later reading wins the lock first.
	var now uint64
	if o.ID == (stream.AddID{}) {
		now = b.nowMs()
	}
	st, err := b.reg.lock(key, !o.NoMkStream)
	if err != nil {
		return stream.ID{}, err
	}
	id, err := b.addLocked(st, fields, &o, now)
	pos := st.pos
	b.reg.unlockAndDrop(st)
	if err != nil {
		return stream.ID{}, err
	}
	if b.dur != nil {
		if err := b.dur.wait(ctx, pos); err != nil {
			return stream.ID{}, err
		}
	}
	return id, nil
}

// addLocked is XAdd under st.mu. A placeholder state (missing key) gets a
// new stream only if the append succeeds, as Redis creates nothing on error.
func (b *Broker) addLocked(st *streamState, fields []stream.Field, o *AddOptions, now uint64) (stream.ID, error) {
	s := st.s
	if s == nil {
		if o.NoMkStream {
			return stream.ID{}, ErrNoStream
		}
		s = stream.New()
	}
	if err := b.writable(); err != nil {
		return stream.ID{}, err
	}
	id, err := s.NextID(o.ID, now)
	if err != nil {
		return stream.ID{}, err
	}
	if err := s.Append(id, fields); err != nil {
		return stream.ID{}, err
	}
	st.s = s
	var trimmed int64
	if o.Trim.Strategy != stream.TrimNone {
		trimmed = s.Trim(o.Trim)
	}
	if b.dur != nil {
		m := mutation{kind: opAdd, key: st.key, nowMs: now, id: id, fields: fields, trim: exactTrim(s, trimmed)}
		if err := b.logLocked(st, &m); err != nil {
			return stream.ID{}, err
		}
	}
	if len(st.waiters) > 0 {
		b.serveWaitersLocked(st)
	}
	return id, nil
}

// exactTrim describes the effect of a trim that removed n entries from the
// front of s as a trim that does not depend on block layout: MINID of the
// first surviving entry, or MAXLEN 0 when nothing survives. An approximate
// trim replayed on a differently packed stream (after a snapshot) would
// remove a different number of entries.
func exactTrim(s *stream.Stream, n int64) stream.Trim {
	if n == 0 {
		return stream.Trim{}
	}
	first, ok := s.FirstID()
	if !ok {
		return stream.Trim{Strategy: stream.TrimMaxLen}
	}
	return stream.Trim{Strategy: stream.TrimMinID, MinID: first}
}

// XLen returns the number of entries of key's stream; 0 if key is missing.
func (b *Broker) XLen(ctx context.Context, key string) (int64, error) {
	var n int64
	err := b.readLocked(ctx, key, func(s *stream.Stream) error {
		if s != nil {
			n = s.Len()
		}
		return nil
	})
	return n, err
}

// XRange returns up to count (<= 0: all) entries with start <= ID <= end,
// oldest first. A missing key, or start > end, gives no entries.
func (b *Broker) XRange(ctx context.Context, key string, start, end stream.ID, count int) ([]stream.Entry, error) {
	var out []stream.Entry
	err := b.readLocked(ctx, key, func(s *stream.Stream) error {
		if s != nil && !end.Less(start) {
			out = s.Range(start, end, count)
		}
		return nil
	})
	return out, err
}

// XRevRange returns up to count (<= 0: all) entries with start <= ID <= end,
// newest first (XREVRANGE takes end first).
func (b *Broker) XRevRange(ctx context.Context, key string, end, start stream.ID, count int) ([]stream.Entry, error) {
	var out []stream.Entry
	err := b.readLocked(ctx, key, func(s *stream.Stream) error {
		if s != nil && !end.Less(start) {
			out = s.RevRange(end, start, count)
		}
		return nil
	})
	return out, err
}

// rangePage is how many entries [Broker.Range] reads under one lock.
const rangePage = 256

// Range iterates over the entries with start <= ID <= end, oldest first,
// reading them a page at a time so the stream's lock is never held while the
// caller's loop body runs. Entries appended behind the cursor while iterating
// are seen; a read error is yielded once and ends the iteration.
func (b *Broker) Range(ctx context.Context, key string, start, end stream.ID) iter.Seq2[stream.Entry, error] {
	return func(yield func(stream.Entry, error) bool) {
		for {
			page, err := b.XRange(ctx, key, start, end, rangePage)
			if err != nil {
				yield(stream.Entry{}, err)
				return
			}
			for _, e := range page {
				if !yield(e, nil) {
					return
				}
			}
			if len(page) < rangePage {
				return
			}
			next, ok := page[len(page)-1].ID.Next()
			if !ok {
				return
			}
			start = next
		}
	}
}

// XDel deletes entries by ID and returns how many existed; 0 if key is missing.
// If ctx ends while it waits for the disk, the change is already applied:
// see "Cancellation" in the package documentation.
func (b *Broker) XDel(ctx context.Context, key string, ids ...stream.ID) (int64, error) {
	var n int64
	err := b.writeLocked(ctx, key, func(st *streamState) error {
		n = st.s.Delete(ids...)
		if n == 0 || b.dur == nil {
			return nil
		}
		return b.logLocked(st, &mutation{kind: opDelete, key: st.key, ids: ids})
	})
	if err == ErrNoStream {
		return 0, b.waitDurable(ctx, b.reg.delPos.Load())
	}
	return n, err
}

// XTrim trims key's stream and returns how many entries it removed; 0 if key
// is missing.
// If ctx ends while it waits for the disk, the change is already applied:
// see "Cancellation" in the package documentation.
func (b *Broker) XTrim(ctx context.Context, key string, t stream.Trim) (int64, error) {
	var n int64
	err := b.writeLocked(ctx, key, func(st *streamState) error {
		n = st.s.Trim(t)
		if n == 0 || b.dur == nil {
			return nil
		}
		return b.logLocked(st, &mutation{kind: opTrim, key: st.key, trim: exactTrim(st.s, n)})
	})
	if err == ErrNoStream {
		return 0, b.waitDurable(ctx, b.reg.delPos.Load())
	}
	return n, err
}
