package broker

import (
	"context"
	"errors"
	"time"

	"github.com/brookmq/brook/stream"
)

// GroupCreateOptions are the options of [Broker.XGroupCreate]. The zero
// value starts the group at 0-0 on an existing key.
type GroupCreateOptions struct {
	ID          stream.ID // last-delivered-id of the new group
	Latest      bool      // "$": the stream's last ID instead of ID
	MkStream    bool      // MKSTREAM: create an empty stream if key is missing
	EntriesRead *int64    // ENTRIESREAD; nil: unknown
}

// XGroupCreate creates a consumer group (XGROUP CREATE). A missing key is
// [ErrNoStream] unless o.MkStream; a name in use is [stream.ErrGroupExists].
//
// Like every call that changes a stream or a group (XGroupSetID,
// XGroupDestroy, XGroupCreateConsumer, XGroupDelConsumer, XAck, XClaim,
// XAutoClaim too), it changes nothing if ctx has already ended, and if ctx
// ends while it waits for the disk it returns ctx's error with the change
// already applied: see "Cancellation" in the package documentation.
func (b *Broker) XGroupCreate(ctx context.Context, key, group string, o GroupCreateOptions) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	st, err := b.reg.lock(key, o.MkStream)
	if err != nil {
		return err
	}
	err = b.groupCreateLocked(st, group, &o)
	pos := st.pos
	b.reg.unlockAndDrop(st)
	if err != nil {
		return err
	}
	return b.waitDurable(ctx, pos)
}

func (b *Broker) groupCreateLocked(st *streamState, group string, o *GroupCreateOptions) error {
	if err := b.writable(); err != nil {
		return err
	}
	if st.s == nil {
		if !o.MkStream {
			return ErrNoStream
		}
		st.s = stream.New()
		if b.dur != nil {
			if err := b.logLocked(st, &mutation{kind: opCreateStream, key: st.key}); err != nil {
				return err
			}
		}
	}
	last := o.ID
	if o.Latest {
		last = st.s.LastID()
	}
	entriesRead := stream.EntriesReadUnknown
	if o.EntriesRead != nil {
		entriesRead = *o.EntriesRead
	}
	if err := st.s.CreateGroup(group, last, entriesRead); err != nil {
		return err
	}
	if b.dur == nil {
		return nil
	}
	return b.logLocked(st, &mutation{kind: opGroupCreate, key: st.key, group: group, id: last, entriesRead: entriesRead})
}

// XGroupSetID moves a group's last-delivered-id to id, or to the stream's
// last ID if latest, and sets its entries-read (nil: unknown) (XGROUP SETID).
func (b *Broker) XGroupSetID(ctx context.Context, key, group string, id stream.ID, latest bool, entriesRead *int64) error {
	return b.writeLocked(ctx, key, func(st *streamState) error {
		if latest {
			id = st.s.LastID()
		}
		er := stream.EntriesReadUnknown
		if entriesRead != nil {
			er = *entriesRead
		}
		if err := st.s.SetGroupID(group, id, er); err != nil {
			return err
		}
		if b.dur == nil {
			return nil
		}
		return b.logLocked(st, &mutation{kind: opGroupSetID, key: st.key, group: group, id: id, entriesRead: er})
	})
}

// XGroupDestroy removes a group and its pending entries and reports whether
// it existed (XGROUP DESTROY). Its blocked readers return [ErrGroupDeleted].
func (b *Broker) XGroupDestroy(ctx context.Context, key, group string) (bool, error) {
	var ok bool
	err := b.writeLocked(ctx, key, func(st *streamState) error {
		if ok = st.s.DestroyGroup(group); !ok {
			return nil
		}
		st.failWaitersLocked(func(w *waiter) error {
			if w.group == group {
				return ErrGroupDeleted
			}
			return nil
		})
		if b.dur == nil {
			return nil
		}
		return b.logLocked(st, &mutation{kind: opGroupDestroy, key: st.key, group: group})
	})
	return ok, err
}

// XGroupCreateConsumer creates a consumer and reports whether it was new
// (XGROUP CREATECONSUMER).
func (b *Broker) XGroupCreateConsumer(ctx context.Context, key, group, consumer string) (bool, error) {
	var created bool
	err := b.writeLocked(ctx, key, func(st *streamState) (err error) {
		created, err = b.createConsumerLocked(st, group, consumer, b.nowMs())
		return err
	})
	return created, err
}

// createConsumerLocked creates consumer if missing and logs the creation.
func (b *Broker) createConsumerLocked(st *streamState, group, consumer string, nowMs uint64) (bool, error) {
	created, err := st.s.CreateConsumer(group, consumer, nowMs)
	if err != nil || !created || b.dur == nil {
		return created, err
	}
	return true, b.logLocked(st, &mutation{kind: opConsumerCreate, key: st.key, group: group, consumer: consumer, nowMs: nowMs})
}

// XGroupDelConsumer removes a consumer and returns how many pending entries
// it had; they are dropped from the group (XGROUP DELCONSUMER).
func (b *Broker) XGroupDelConsumer(ctx context.Context, key, group, consumer string) (int64, error) {
	var n int64
	err := b.writeLocked(ctx, key, func(st *streamState) (err error) {
		if n, err = st.s.DeleteConsumer(group, consumer); err != nil || b.dur == nil {
			return err
		}
		return b.logLocked(st, &mutation{kind: opConsumerDelete, key: st.key, group: group, consumer: consumer})
	})
	return n, err
}

// XAck acknowledges ids in group and returns how many were pending (XACK).
// A missing key or group acknowledges nothing.
func (b *Broker) XAck(ctx context.Context, key, group string, ids ...stream.ID) (int64, error) {
	var n int64
	err := b.writeLocked(ctx, key, func(st *streamState) error {
		if n = st.s.Ack(group, ids...); n == 0 || b.dur == nil {
			return nil
		}
		return b.logLocked(st, &mutation{kind: opAck, key: st.key, group: group, ids: ids})
	})
	if err == ErrNoStream {
		return 0, b.waitDurable(ctx, b.reg.delPos.Load())
	}
	return n, err
}

// groupRead is onStream for commands that name a group: on a missing key
// Redis answers NOGROUP, so [stream.ErrNoGroup] replaces ErrNoStream.
func (b *Broker) groupRead(ctx context.Context, key string, write bool, f func(st *streamState) error) error {
	err := b.onStream(ctx, key, write, f)
	if errors.Is(err, ErrNoStream) {
		return stream.ErrNoGroup
	}
	return err
}

// XPending is XPENDING's summary form. A missing key or group is
// [stream.ErrNoGroup].
func (b *Broker) XPending(ctx context.Context, key, group string) (stream.PendingSummary, error) {
	var sum stream.PendingSummary
	err := b.groupRead(ctx, key, false, func(st *streamState) (err error) {
		sum, err = st.s.PendingSummary(group)
		return err
	})
	return sum, err
}

// XPendingRange is XPENDING's extended form: the pending entries q selects.
// Each carries the time of its last delivery ([stream.Pending].DeliveryMs,
// Unix ms on the broker clock), not an idle time: the caller computes idle
// as now minus DeliveryMs with the same clock. q.MinIdleMs, if set, is
// measured against the broker clock when the call runs.
func (b *Broker) XPendingRange(ctx context.Context, key, group string, q stream.PendingQuery) ([]stream.Pending, error) {
	var out []stream.Pending
	err := b.groupRead(ctx, key, false, func(st *streamState) (err error) {
		out, err = st.s.PendingRange(group, b.nowMs(), q)
		return err
	})
	return out, err
}

// XClaim gives consumer the pending entries among ids that have been idle
// for at least minIdle (XCLAIM), and returns them (IDs only with o.JustID).
func (b *Broker) XClaim(ctx context.Context, key, group, consumer string, minIdle time.Duration, ids []stream.ID, o stream.ClaimOptions) ([]stream.Entry, error) {
	var out []stream.Entry
	minIdleMs := durationMs(minIdle)
	err := b.groupRead(ctx, key, true, func(st *streamState) (err error) {
		now := b.nowMs()
		if out, err = st.s.Claim(group, consumer, now, minIdleMs, ids, o); err != nil || b.dur == nil {
			return err
		}
		return b.logLocked(st, &mutation{kind: opClaim, key: st.key, group: group, consumer: consumer,
			nowMs: now, minIdleMs: minIdleMs, ids: ids, claim: o})
	})
	return out, err
}

// XAutoClaim scans group's pending entries from start and gives consumer up
// to count of those idle for at least minIdle (XAUTOCLAIM). It returns the
// cursor to continue from (0-0 when the scan is complete), the claimed
// entries and the IDs of pending entries whose stream entry was deleted
// (dropped from the pending list).
func (b *Broker) XAutoClaim(ctx context.Context, key, group, consumer string, minIdle time.Duration, start stream.ID, count int, justID bool) (next stream.ID, claimed []stream.Entry, deleted []stream.ID, err error) {
	minIdleMs := durationMs(minIdle)
	err = b.groupRead(ctx, key, true, func(st *streamState) (err error) {
		now := b.nowMs()
		next, claimed, deleted, err = st.s.AutoClaim(group, consumer, now, minIdleMs, start, count, justID)
		if err != nil || b.dur == nil {
			return err
		}
		return b.logLocked(st, &mutation{kind: opAutoClaim, key: st.key, group: group, consumer: consumer,
			nowMs: now, minIdleMs: minIdleMs, id: start, count: count, justID: justID})
	})
	if err != nil {
		return stream.ID{}, nil, nil, err
	}
	return next, claimed, deleted, nil
}

// durationMs converts a non-negative duration to whole milliseconds.
func durationMs(d time.Duration) uint64 {
	if d <= 0 {
		return 0
	}
	return uint64(d / time.Millisecond)
}

// XInfoGroups is XINFO GROUPS. A missing key is [ErrNoStream].
func (b *Broker) XInfoGroups(ctx context.Context, key string) ([]stream.GroupInfo, error) {
	var out []stream.GroupInfo
	err := b.onStream(ctx, key, false, func(st *streamState) error {
		out = st.s.Groups()
		return nil
	})
	return out, err
}

// XInfoConsumers is XINFO CONSUMERS, idle times measured on the broker
// clock. A missing key is [ErrNoStream], a missing group [stream.ErrNoGroup].
func (b *Broker) XInfoConsumers(ctx context.Context, key, group string) ([]stream.ConsumerInfo, error) {
	var out []stream.ConsumerInfo
	err := b.onStream(ctx, key, false, func(st *streamState) (err error) {
		out, err = st.s.Consumers(group, b.nowMs())
		return err
	})
	return out, err
}
