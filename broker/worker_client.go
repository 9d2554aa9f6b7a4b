package broker

import (
	"context"
	"strings"
	"time"

	"github.com/brookmq/brook/stream"
)

// Nacker is the optional interface of a [Client] that has XNACK (Redis
// 8.8): *[Broker] implements it. A [Worker] whose client has it hands back
// with it the entries it will not finish when it stops.
type Nacker interface {
	XNack(ctx context.Context, key, group string, ids []ID, o NackOptions) (int64, error)
}

// DeadLetterMover is the optional interface of a [Client] that moves an
// entry to a dead-letter stream and acknowledges it in one step: *[Broker]
// (one logged mutation of both keys) and package
// github.com/brookmq/brook/redis (one Lua script, both keys in one
// Cluster hash slot) implement it. A [Worker] whose client has it
// dead-letters with it.
type DeadLetterMover interface {
	// MoveDeadLetter moves the entry d.Original of d.Stream, if it is
	// pending in d.Group for d.Consumer, to the stream deadKey as d
	// describes it ([DeadLetter.EntryFields], a new ID), and acknowledges
	// it, atomically: it reports whether it moved the entry and returns
	// the dead-letter entry's ID. An entry not pending for d.Consumer (any
	// more) is left alone (false, nil). The source key and group must
	// exist ([ErrNoStream], [ErrNoGroup]); deadKey is created if missing.
	// A deadKey the implementation cannot move to from d.Stream (the
	// source key itself; on a Redis Cluster, another hash slot) is
	// [ErrInvalidArgument]. With the zero Original nothing is pending, so
	// nothing moves: the call only checks the keys and the group, as a
	// Worker does when it starts.
	MoveDeadLetter(ctx context.Context, deadKey string, d DeadLetter) (ID, bool, error)
}

var (
	_ Nacker          = (*Broker)(nil)
	_ DeadLetterMover = (*Broker)(nil)
)

// MoveDeadLetter is [DeadLetterMover.MoveDeadLetter]: one mutation, one
// log record, after a crash the entry is either still pending or moved and
// acknowledged. The broker's [Limits] do not apply to the dead letter; one
// that would not fit in a log record is [ErrEntryTooLarge].
func (b *Broker) MoveDeadLetter(ctx context.Context, deadKey string, d DeadLetter) (ID, bool, error) {
	return b.deadLetter(ctx, deadKey, d)
}

// EntryFields returns d as the fields of its entry in a dead-letter stream:
// the metadata fields, then d.Fields (see [DeadLetter]). [ParseDeadLetter]
// reads them back. Implementations of [DeadLetterMover] write these.
func (d DeadLetter) EntryFields() []Field { return d.fields() }

// defaultDeadKey is the default dead-letter key of key: key + ":dead", or,
// when tag is set and key has no hash tag (and no "{" that would spoil
// one), "{key}:dead", in key's Redis Cluster hash slot.
func defaultDeadKey(key string, tag bool) string {
	if tag && !strings.Contains(key, "{") {
		return "{" + key + "}:dead"
	}
	return key + ":dead"
}

// checkExisting is Run's first step: the key and the group must exist,
// and the dead-letter key must be one the client can move entries to.
func (w *Worker) checkExisting(ctx context.Context) error {
	if w.b != nil {
		return w.b.viewExisting(ctx, w.key, func(s *stream.Stream) error {
			if !s.HasGroup(w.group) {
				return ErrNoGroup
			}
			return nil
		})
	}
	if _, err := w.c.XPending(ctx, w.key, w.group); err != nil {
		return err
	}
	if w.mover != nil {
		_, _, err := w.mover.MoveDeadLetter(ctx, w.o.DeadLetterKey,
			DeadLetter{Stream: w.key, Group: w.group, Consumer: w.consumer})
		return err
	}
	return nil
}

// moveDead moves dl to the dead-letter stream: in one step with the
// broker or a DeadLetterMover, else XADD then XACK.
func (w *Worker) moveDead(ctx context.Context, dl DeadLetter) (ID, bool, error) {
	switch {
	case w.b != nil:
		return w.b.deadLetter(ctx, w.o.DeadLetterKey, dl)
	case w.mover != nil:
		return w.mover.MoveDeadLetter(ctx, w.o.DeadLetterKey, dl)
	}
	id, err := w.c.XAdd(ctx, w.o.DeadLetterKey, dl.fields(), AddOptions{})
	if err != nil {
		return ID{}, false, err
	}
	if _, err := w.c.XAck(ctx, w.key, w.group, dl.Original); err != nil {
		return id, true, err
	}
	return id, true, nil
}

// releaseNow hands entries back to the group at once on a client without
// XNACK: XCLAIM JUSTID to this consumer with an idle time of ReclaimIdle,
// so that the next reclaim of any worker of the group takes them. For
// NackSilent (never started) RETRYCOUNT also takes back this worker's
// delivery, as XNACK SILENT does; one XCLAIM per delivery count.
func (w *Worker) releaseNow(ctx context.Context, ds []delivery, mode NackMode) {
	for len(ds) > 0 {
		n := ds[0].deliveries
		var ids []ID
		rest := ds[:0:0]
		for _, d := range ds {
			if d.deliveries == n || mode != NackSilent {
				ids = append(ids, d.ID)
			} else {
				rest = append(rest, d)
			}
		}
		o := ClaimOptions{JustID: true, Idle: w.o.ReclaimIdle}
		if mode == NackSilent {
			count := n - 1 // deliveries >= 1
			o.RetryCount = &count
		}
		if _, err := w.c.XClaim(ctx, w.key, w.group, w.consumer, ids, o); err != nil {
			w.o.Logf("broker: worker %s/%s/%s: release: %v", w.key, w.group, w.consumer, err)
		}
		ds = rest
	}
	w.scheduleClaim(w.clock())
}

// clientStats fills st's group figures from XPENDING, on a client other
// than the broker.
func (w *Worker) clientStats(st WorkerStats) WorkerStats {
	sum, err := w.c.XPending(context.Background(), w.key, w.group)
	if err != nil || sum.Count == 0 {
		return st
	}
	st.Pending = sum.Count
	if oldest := time.UnixMilli(int64(sum.Min.Ms)); w.clock().After(oldest) {
		st.OldestPending = w.clock().Sub(oldest)
	}
	return st
}
