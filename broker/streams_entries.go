package broker

import (
	"context"
	"errors"
	"iter"

	"github.com/brookmq/brook/stream"
)

// AddOptions are the options of [Broker.XAdd] and [Broker.XAddBatch]. The
// zero value adds with an automatic ID, creates the key if missing and trims
// nothing.
type AddOptions struct {
	ID         AddID // AutoID ("*", the zero value), PartialID ("ms-*") or ExplicitID
	NoMkStream bool  // NOMKSTREAM: a missing key gives ErrNoStream
	Trim       Trim  // MAXLEN/MINID, applied after the append; Trim.Ref: KEEPREF|DELREF|ACKED (Redis 8.2)

	// Idempotency makes the append at most once per producer and
	// idempotent ID (IDMP, IDMPAUTO); the zero value appends every time.
	// XAdd only: XAddBatch refuses it.
	Idempotency Idempotency
}

// XAdd appends an entry to key's stream, creating the key unless
// o.NoMkStream, trims as o.Trim says, wakes blocked readers of key and
// returns the new entry's ID (XADD).
//
// Errors, each found before anything changes: [ErrNoFields] for an entry
// without fields; [ErrEntryTooLarge] for one over the broker's [Limits];
// [ErrInvalidArgument] for an invalid o.Trim; [ErrNoStream] for a missing
// key with o.NoMkStream; the ID errors [ErrIDZero], [ErrIDTooSmall],
// [ErrExhausted], [ErrSeqExhausted]; ctx's error if it has already ended.
//
// With o.Idempotency, an entry whose idempotent ID its producer already
// used on key (and the stream still tracks: see [Idempotency]) is a
// duplicate: XAdd appends nothing, trims nothing, counts it and returns the
// first entry's ID, even if that entry was deleted or trimmed since.
// A stream with a retention policy ([Broker.SetRetention]) is trimmed to it
// after every append, in the same logged change as o.Trim.
// A ctx that ends while XAdd waits for the disk makes it return ctx's error
// with the entry already added: the outcome is unknown (see "Cancellation"
// in the package documentation); retry with the same explicit ID to find out.
func (b *Broker) XAdd(ctx context.Context, key string, fields []Field, o AddOptions) (ID, error) {
	if err := b.checkEntry(key, fields); err != nil {
		return ID{}, err
	}
	if err := checkTrim(o.Trim); err != nil {
		return ID{}, err
	}
	pid, iid, err := o.Idempotency.resolve(o.ID, fields)
	if err != nil {
		return ID{}, err
	}
	// Only "*" reads the clock, and outside the lock: the stream keeps IDs
	// increasing even if a later reading wins the lock first.
	var now uint64
	if o.ID == (AddID{}) {
		now = b.nowMs()
	}
	var id ID
	err = b.upsert(ctx, key, func(t tx) (err error) {
		id, err = t.add(fields, &o, now, pid, iid)
		return err
	})
	if err != nil {
		return ID{}, err
	}
	return id, nil
}

// add is XAdd in its transaction: the append, or the duplicate of an
// idempotent one.
func (t tx) add(fields []Field, o *AddOptions, now uint64, pid, iid string) (ID, error) {
	if err := newStreamUnless(t.st, o.NoMkStream); err != nil {
		return ID{}, err
	}
	if pid != "" {
		if orig, dup := t.st.stream().IdmpLookup(pid, iid); dup {
			return orig, t.duplicate(pid, iid)
		}
	}
	id, err := t.st.stream().NextID(o.ID, now)
	if err != nil {
		return ID{}, err
	}
	// Field by field, and o.Trim only when set: copying the caller's
	// freshly written options with wide loads stalls on store forwarding
	// (measured: 5-8% of an in-memory XAdd).
	var m mutation
	m.kind, m.key, m.nowMs, m.id, m.fields = opAdd, t.st.key, now, id, fields
	if o.Trim.Strategy != TrimNone {
		m.trim = o.Trim
	}
	if pid != "" {
		m.idmpArgs = &idmpArgs{pid: pid, iid: iid}
	}
	t.retainLocked(&m)
	var e effect
	if err := t.applyTo(&m, &e); err != nil {
		return ID{}, err
	}
	t.b.sweeper.noteLocked(t.st)
	if len(t.st.waitList()) > 0 {
		t.b.serveWaitersLocked(t.st)
	}
	return id, nil
}

// duplicate counts an idempotent append that its producer made before.
// Apart from add, so that the hot path's frame holds none of its values.
//
//go:noinline
func (t tx) duplicate(pid, iid string) error {
	_, err := t.apply(&mutation{kind: opIdmpDuplicate, key: t.st.key, idmpArgs: &idmpArgs{pid: pid, iid: iid}})
	return err
}

// newStreamUnless gives a missing key an empty stream to resolve IDs
// against, unless noMkStream (then ErrNoStream). [Broker.upsert] drops it
// again if no mutation is applied.
func newStreamUnless(st *streamState, noMkStream bool) error {
	if st.stream() != nil {
		return nil
	}
	if noMkStream {
		return ErrNoStream
	}
	st.create()
	return nil
}

// XLen returns the number of entries of key's stream; 0 if key is missing.
func (b *Broker) XLen(ctx context.Context, key string) (int64, error) {
	var n int64
	err := b.view(ctx, key, func(s *stream.Stream) error {
		if s != nil {
			n = s.Len()
		}
		return nil
	})
	return n, err
}

// XRange returns up to count (0: no limit) entries with start <= ID <= end,
// oldest first (XRANGE; [MinID] and [MaxID] are "-" and "+"). A missing key,
// or start > end, gives no entries. A negative count is
// [ErrInvalidArgument].
func (b *Broker) XRange(ctx context.Context, key string, start, end ID, count int) ([]Entry, error) {
	if err := checkCount("count", count); err != nil {
		return nil, err
	}
	var out []Entry
	err := b.view(ctx, key, func(s *stream.Stream) error {
		if s != nil && !end.Less(start) {
			out = s.Range(start, end, limit(count))
		}
		return nil
	})
	return out, err
}

// XRevRange returns up to count (0: no limit) entries with
// start <= ID <= end, newest first (XREVRANGE takes end first). A negative
// count is [ErrInvalidArgument].
func (b *Broker) XRevRange(ctx context.Context, key string, end, start ID, count int) ([]Entry, error) {
	if err := checkCount("count", count); err != nil {
		return nil, err
	}
	var out []Entry
	err := b.view(ctx, key, func(s *stream.Stream) error {
		if s != nil && !end.Less(start) {
			out = s.RevRange(end, start, limit(count))
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
func (b *Broker) Range(ctx context.Context, key string, start, end ID) iter.Seq2[Entry, error] {
	return func(yield func(Entry, error) bool) {
		for {
			page, err := b.XRange(ctx, key, start, end, rangePage)
			if err != nil {
				yield(Entry{}, err)
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

// XDel deletes entries by ID and returns how many existed; 0 if key is
// missing (XDEL). If ctx ends while it waits for the disk, the change is
// already applied: see "Cancellation" in the package documentation.
func (b *Broker) XDel(ctx context.Context, key string, ids ...ID) (int64, error) {
	var e effect
	err := b.update(ctx, key, func(t tx) (err error) {
		e, err = t.apply(&mutation{kind: opDelete, key: key, opArgs: &opArgs{ids: ids}})
		return err
	})
	return b.countOrMissing(ctx, e.n, err)
}

// XTrim trims key's stream and returns how many entries it removed; 0 if
// key is missing (XTRIM). An invalid t is [ErrInvalidArgument]. If ctx ends
// while it waits for the disk, the change is already applied: see
// "Cancellation" in the package documentation.
func (b *Broker) XTrim(ctx context.Context, key string, t Trim) (int64, error) {
	if err := checkTrim(t); err != nil {
		return 0, err
	}
	var e effect
	err := b.update(ctx, key, func(tx tx) (err error) {
		e, err = tx.apply(&mutation{kind: opTrim, key: key, trim: t})
		return err
	})
	return b.countOrMissing(ctx, e.n, err)
}

// countOrMissing is the reply of a call that counts what it changed and
// reads a missing key as empty (XDEL, XTRIM, XACK): 0, once the DEL it
// observed is durable.
func (b *Broker) countOrMissing(ctx context.Context, n int64, err error) (int64, error) {
	if errors.Is(err, ErrNoStream) {
		return 0, b.jr.wait(ctx, b.reg.delPos.Load())
	}
	return n, err
}
