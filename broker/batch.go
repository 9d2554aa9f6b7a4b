package broker

import (
	"context"
	"errors"
	"fmt"

	"github.com/brookmq/brook/stream"
)

// ErrBatchTooLarge is returned by [Broker.XAddBatch] when the batch would
// not fit in one log record (more than [MaxBatchBytes] bytes of keys, field
// names and values): split it. Nothing is added.
var ErrBatchTooLarge = errors.New("broker: batch too large")

// MaxBatchBytes bounds the encoded size of one [Broker.XAddBatch] batch: it
// is logged as one record, and the log refuses records over 64 MiB. The
// estimate counts the key, every name and value, 32 bytes per entry, 20 per
// field and 128 for the record header.
const MaxBatchBytes = 64<<20 - 64<<10

// XAddBatch appends entries to key's stream, in order, as consecutive XAdd
// calls with the same options would, but under one lock of the stream, as
// one log record, and with one wait for the disk: the Go counterpart of
// pipelining many XADDs. It returns the new IDs, one per entry.
//
// IDs: o.ID resolves the first entry's ID as XAdd would; "*" and "ms-*" then
// give each next entry the ID after the previous one ("ms-*" within the same
// millisecond). An explicit ID fits a batch of one entry only: later entries
// would repeat it ([stream.ErrIDTooSmall]). o.Trim is applied once, after the
// last entry (the same entries survive as trimming after each one).
//
// The batch is all or nothing. Every input error (an ID error as for XAdd,
// [ErrNoStream] for a missing key with o.NoMkStream, [ErrEntryTooLarge] for
// an entry over the [Limits], [ErrBatchTooLarge]) is found before the first
// entry is added, so it leaves the stream as it was. The batch is one log
// record: after a crash recovery finds all the entries or none. What
// remains: if the log refuses the record (it is poisoned by a write or
// fsync error), the entries are already applied in memory; the key then
// refuses every later call with that error and no snapshot is taken, so
// nobody sees them and reopening the broker finds none of them. On a
// durable broker XAddBatch returns once the whole batch is durable under
// the fsync policy, and blocked readers of key see the entries together.
// An empty batch does nothing and returns no IDs. A ctx that has already
// ended adds nothing; one that ends while XAddBatch waits for the disk makes
// it return ctx's error with the whole batch added: the outcome is unknown
// (see "Cancellation" in the package documentation).
func (b *Broker) XAddBatch(ctx context.Context, key string, entries [][]Field, o AddOptions) ([]ID, error) {
	if len(entries) == 0 {
		return nil, nil
	}
	for i, fields := range entries {
		if err := b.checkEntry(key, fields); err != nil {
			return nil, fmt.Errorf("entry %d: %w", i, err)
		}
	}
	if n := batchBytes(key, entries); n > MaxBatchBytes {
		return nil, fmt.Errorf("%w: about %d bytes, limit %d", ErrBatchTooLarge, n, MaxBatchBytes)
	}
	if err := checkTrim(o.Trim); err != nil {
		return nil, err
	}
	if o.Idempotency != (Idempotency{}) {
		return nil, invalid("XAddBatch does not take Idempotency")
	}
	var now uint64
	if o.ID == (AddID{}) { // only "*" reads the clock, outside the lock (see XAdd)
		now = b.nowMs()
	}
	var ids []ID
	err := b.upsert(ctx, key, func(t tx) (err error) {
		ids, err = t.addBatch(entries, &o, now)
		return err
	})
	if err != nil {
		return nil, err
	}
	return ids, nil
}

// batchBytes bounds from above the size of the log record of a batch.
func batchBytes(key string, entries [][]Field) int {
	data, nFields := 0, 0
	for _, fields := range entries {
		data += fieldBytes(fields)
		nFields += len(fields)
	}
	return recordBytes(key, data, len(entries), nFields)
}

// addBatch is XAddBatch in its transaction. Everything that can refuse the
// batch is checked before the first change: the entries' limits and the
// record size (by XAddBatch), the key, the log's state and every ID. After
// that appending cannot fail (its only errors are about IDs). Should it fail
// anyway, the entries appended before it are neither shown nor logged: the
// stream is marked failed like one whose log append failed (see
// [journal.record]), so they are never visible nor durable.
func (t tx) addBatch(entries [][]Field, o *AddOptions, now uint64) ([]ID, error) {
	if err := newStreamUnless(t.st, o.NoMkStream); err != nil {
		return nil, err
	}
	s := t.st.stream()
	ids, err := batchIDs(s, o.ID, now, len(entries))
	if err != nil {
		return nil, err
	}
	batch := make([]Entry, len(entries))
	for i, fields := range entries {
		batch[i] = Entry{ID: ids[i], Fields: fields}
	}
	before := s.Len()
	m := mutation{kind: opAddBatch, key: t.st.key, nowMs: now, trim: o.Trim, opArgs: &opArgs{batch: batch}}
	t.retainLocked(&m)
	if _, err := t.apply(&m); err != nil {
		if s.Len() != before {
			t.st.applied = true // keep what was applied, refused from now on
			return nil, t.st.logFailure("batch refused after some entries were applied: %w", err)
		}
		return nil, err
	}
	t.b.sweeper.noteLocked(t.st)
	if len(t.st.waitList()) > 0 {
		t.b.serveWaitersLocked(t.st)
	}
	return ids, nil
}

// batchIDs resolves the IDs of n entries added to s with spec, as n
// consecutive XADDs would, without changing s.
func batchIDs(s *stream.Stream, spec stream.AddID, now uint64, n int) ([]stream.ID, error) {
	first, err := s.NextID(spec, now)
	if err != nil {
		return nil, err
	}
	ids := make([]stream.ID, n)
	ids[0] = first
	for i := 1; i < n; i++ {
		prev := ids[i-1]
		switch spec {
		case stream.AutoID():
			next, ok := prev.Next()
			if !ok {
				return nil, stream.ErrExhausted
			}
			ids[i] = next
		case stream.PartialID(prev.Ms):
			if prev.Seq == ^uint64(0) {
				return nil, stream.ErrTooLarge
			}
			ids[i] = stream.ID{Ms: prev.Ms, Seq: prev.Seq + 1}
		default: // explicit: the second XADD would repeat the first ID
			return nil, stream.ErrIDTooSmall
		}
	}
	return ids, nil
}
