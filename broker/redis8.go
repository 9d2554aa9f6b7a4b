package broker

import (
	"context"
	"errors"

	"github.com/brookmq/brook/stream"
)

// The stream commands of Redis 8.2 to 8.8: XNACK, XACKDEL, XDELEX, and the
// reference modes of trimming. XREADGROUP's CLAIM is an option of
// [Broker.XReadGroup] ([GroupReadOptions].ClaimMinIdle).

// NackMode is XNACK's mode (Redis 8.8): what happens to the delivery count
// of the entries given back. The zero value is [NackSilent].
type NackMode = stream.NackMode

// NACK modes (Redis 8.8).
const (
	NackSilent = stream.NackSilent // SILENT: the delivery count drops by one (not below 0)
	NackFail   = stream.NackFail   // FAIL: the delivery count stays
	NackFatal  = stream.NackFatal  // FATAL: the count becomes 9223372036854775807
)

// NackOptions are the options of [Broker.XNack]. The zero value gives back
// pending entries in SILENT mode.
type NackOptions = stream.NackOptions

// RefMode says what a deletion does about consumer groups that still
// reference an entry (Redis 8.2): [KeepRef] (the zero value, Redis 7's
// behaviour), [DelRef] or [Acked]. It is taken by [Broker.XAckDel],
// [Broker.XDelEx] and [Trim].Ref.
type RefMode = stream.RefMode

// Reference modes (Redis 8.2).
const (
	KeepRef = stream.KeepRef // KEEPREF: delete; groups keep the ID pending (dangling)
	DelRef  = stream.DelRef  // DELREF: delete and remove the ID from every group's pending list
	Acked   = stream.Acked   // ACKED: delete only entries no group still references
)

// Per-ID results of [Broker.XAckDel] and [Broker.XDelEx] (Redis 8.2).
const (
	RefNotFound = stream.RefNotFound // -1: not pending in the group (XAckDel), not in the stream (XDelEx)
	RefDeleted  = stream.RefDeleted  // 1: deleted (XAckDel: acknowledged and deleted)
	RefKept     = stream.RefKept     // 2: Acked only: kept, a group still references it
)

// RefOptions are the options of [Broker.XAckDel] and [Broker.XDelEx]. The
// zero value is KEEPREF.
type RefOptions struct {
	Ref RefMode // KEEPREF (zero), DELREF or ACKED
}

func checkRef(r RefMode) error {
	if !r.Valid() {
		return invalid("unknown reference mode %d", r)
	}
	return nil
}

// XNack gives pending entries of group back (XNACK, Redis 8.8): each of ids
// pending in the group leaves its consumer, with no owner and delivery time
// 0, and joins the group's NACK zone (at its tail, again if it was there),
// where [Broker.XReadGroup] with ClaimMinIdle, [Broker.XClaim] and
// [Broker.XAutoClaim] find it whatever their minimum idle time; a plain
// Undelivered read never redelivers it. Its delivery count drops by one
// (not below 0) for NackSilent, stays for NackFail, becomes
// 9223372036854775807 for NackFatal, or is set to *o.RetryCount. An ID not pending is skipped,
// unless o.Force and the entry is in the stream: it then becomes a NACKed
// entry with count 0 (9223372036854775807 for NackFatal, or *o.RetryCount).
// It returns how many IDs it processed (an ID listed twice counts twice).
// Consumers are not created or touched. Blocked XReadGroup calls with
// ClaimMinIdle are woken.
//
// A missing key is [ErrNoStream], a missing group [ErrNoGroup], an unknown
// o.Mode [ErrInvalidArgument].
func (b *Broker) XNack(ctx context.Context, key, group string, ids []ID, o NackOptions) (int64, error) {
	if !o.Mode.Valid() {
		return 0, invalid("unknown NACK mode %d", o.Mode)
	}
	var e effect
	err := b.update(ctx, key, func(t tx) (err error) {
		if e, err = t.apply(&mutation{kind: opNack, key: key, opArgs: &opArgs{group: group, ids: ids, nack: o}}); err != nil {
			return err
		}
		if e.n > 0 {
			b.serveAfterNack(t.st)
		}
		return nil
	})
	return e.n, err
}

// XAckDel acknowledges ids in group and deletes them from the stream
// (XACKDEL, Redis 8.2), one result per ID: [RefNotFound] for an ID not
// pending in the group (nothing deleted; an ID listed twice is not pending
// the second time), [RefDeleted] for one acknowledged and deleted (also when
// the entry was already gone), [RefKept] with o.Ref Acked for one
// acknowledged but kept because a group still references it (another
// group's pending list holds it, or its last-delivered-id is below it).
// With DelRef the ID also leaves every other group's pending list; with
// KeepRef (the zero value) other groups keep it pending. Deletion is as
// XDEL's (max-deleted-entry-id). A missing key or group gives RefNotFound
// for every ID, no error, as Redis does. An unknown o.Ref is
// [ErrInvalidArgument].
func (b *Broker) XAckDel(ctx context.Context, key, group string, ids []ID, o RefOptions) ([]int, error) {
	if err := checkRef(o.Ref); err != nil {
		return nil, err
	}
	var e effect
	err := b.update(ctx, key, func(t tx) (err error) {
		e, err = t.apply(&mutation{kind: opAckDel, key: key, opArgs: &opArgs{group: group, ids: ids, ref: o.Ref}})
		return err
	})
	return b.codesOrMissing(ctx, e.codes, len(ids), err)
}

// XDelEx deletes entries by ID (XDELEX, Redis 8.2), one result per ID:
// [RefDeleted] if it was deleted, [RefNotFound] if it is not in the stream,
// [RefKept] with o.Ref Acked if a group still references it (pending there,
// or not yet read: even an ID no longer in the stream). With DelRef the ID
// also leaves every group's pending list, even when it is no longer in the
// stream; with KeepRef (the zero value) it is XDEL. A missing key gives
// RefNotFound for every ID, no error. An unknown o.Ref is
// [ErrInvalidArgument].
func (b *Broker) XDelEx(ctx context.Context, key string, ids []ID, o RefOptions) ([]int, error) {
	if err := checkRef(o.Ref); err != nil {
		return nil, err
	}
	var e effect
	err := b.update(ctx, key, func(t tx) (err error) {
		e, err = t.apply(&mutation{kind: opDeleteEx, key: key, opArgs: &opArgs{ids: ids, ref: o.Ref}})
		return err
	})
	return b.codesOrMissing(ctx, e.codes, len(ids), err)
}

// codesOrMissing is the reply of XAckDel and XDelEx: for a missing key, n
// times RefNotFound once the DEL it observed is durable.
func (b *Broker) codesOrMissing(ctx context.Context, codes []int, n int, err error) ([]int, error) {
	if errors.Is(err, ErrNoStream) {
		codes = make([]int, n)
		for i := range codes {
			codes[i] = RefNotFound
		}
		return codes, b.jr.wait(ctx, b.reg.delPos.Load())
	}
	if err != nil {
		return nil, err
	}
	return codes, nil
}
