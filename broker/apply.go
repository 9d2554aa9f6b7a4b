package broker

import (
	"fmt"

	"github.com/brookmq/brook/stream"
)

// effect is what applying a mutation did: the reply values of the call that
// made it, and whether the stream changed (only changes are logged).
type effect struct {
	changed bool
	n       int64                 // entries deleted, trimmed or acked; pending entries dropped
	ok      bool                  // group destroyed, consumer created
	entries []stream.Entry        // delivered or claimed
	next    stream.ID             // opAutoClaim: the cursor
	deleted []stream.ID           // opAutoClaim: pending entries whose stream entry is gone
	claimed []stream.ClaimedEntry // opReadClaim: claimed, then new entries
	codes   []int                 // opAckDel, opDeleteEx: one result per ID
}

// apply applies m to st.stream() and says in *e what it did: the one place where a
// mutation changes a stream.
// Live calls reach it through [tx.apply], which logs what changed; recovery
// calls it with the mutations read back from the log, so replay cannot drift
// from live behaviour. A key that m creates (opAdd, opAddBatch,
// opCreateStream) gets its stream here if it has none. An error changes
// nothing, except for a batch refused midway (see [Broker.XAddBatch]).
//
// A trim is normalised in m to its exact effect (see exactTrim) once it is
// applied, so the logged record does not depend on the block layout.
// st.mu is held.
func apply(st *streamState, m *mutation, e *effect) error {
	if st.stream() == nil {
		switch m.kind {
		case opAdd, opAddBatch, opCreateStream:
			st.create()
		default:
			return ErrNoStream
		}
	}
	s := st.stream()
	var err error
	switch m.kind {
	case opAdd, opAddBatch:
		if err = appendLogged(s, m); err == nil {
			e.changed = true
			afterAppend(s, m)
		}
	case opTrim:
		e.n = trimExact(s, &m.trim)
		e.changed = e.n > 0
	case opDelete:
		e.n = s.Delete(m.ids...)
		e.changed = e.n > 0
	case opCreateStream:
		e.changed = true
	case opDeleteKey:
		st.drop()
		e.changed = true
	case opGroupCreate:
		err = s.CreateGroup(m.group, m.id, m.entriesRead)
		e.changed = err == nil
	case opGroupSetID:
		err = s.SetGroupID(m.group, m.id, m.entriesRead)
		e.changed = err == nil
	case opGroupDestroy:
		e.ok = s.DestroyGroup(m.group)
		e.changed = e.ok
	case opConsumerCreate:
		e.ok, err = s.CreateConsumer(m.group, m.consumer, m.nowMs)
		e.changed = e.ok
	case opConsumerDelete:
		e.n, err = s.DeleteConsumer(m.group, m.consumer)
		e.changed = err == nil
	case opReadNew:
		e.entries, err = s.ReadGroupNew(m.group, m.consumer, m.nowMs, m.count, m.noAck)
		e.changed = len(e.entries) > 0
	case opReadHistory:
		e.entries, err = s.ReadGroupHistory(m.group, m.consumer, m.nowMs, m.id, m.count)
		e.changed = len(e.entries) > 0
	case opAck:
		e.n = s.Ack(m.group, m.ids...)
		e.changed = e.n > 0
	case opClaim:
		e.entries, err = s.Claim(m.group, m.consumer, m.nowMs, m.minIdleMs, m.ids, m.claim)
		e.changed = err == nil
	case opDeadLetter:
		err = applyDeadLetter(st, m, e)
	case opAutoClaim:
		e.next, e.entries, e.deleted, err = s.AutoClaim(m.group, m.consumer, m.nowMs, m.minIdleMs, m.id, m.count, m.justID)
		e.changed = err == nil
	case opNack, opReadClaim, opAckDel, opDeleteEx:
		err = applyR8(s, m, e)
	case opIdmpConfig, opRetention, opIdmpExpire, opIdmpDuplicate:
		applyPolicy(s, m, e)
	default:
		err = fmt.Errorf("%w: unknown mutation kind %d", ErrCorrupt, m.kind)
	}
	if err != nil {
		e.changed = false
		return err
	}
	if freesAcked(m) && st.stream() != nil && st.stream().RetainAcked() > 0 {
		e.changed = true
	}
	return nil
}

// freesAcked reports whether m may stop every consumer group referencing
// the oldest entries, which a stream with the Acked retention bound then
// removes (see [Retention].Acked) in the same mutation: replay runs the
// same mutation on the same state, so it removes the same entries and no
// record of its own is needed. An acknowledgement or a NOACK read, a group
// or consumer removed (with its pending entries), a group's ID moved, and
// a deletion (a pending ID whose entry is gone references nothing). The
// effect's reply values are the operation's own; appends and opRetention
// apply the bound with the others (stream.Stream.Retain).
func freesAcked(m *mutation) bool {
	switch m.kind {
	case opAck, opAckDel, opDeadLetter, opGroupDestroy, opConsumerDelete, opGroupSetID,
		opDelete, opDeleteEx, opTrim:
		return true
	case opReadNew, opReadClaim:
		return m.noAck
	}
	return false
}

// trimExact trims s as *t says and rewrites *t as the exact effect: MINID of
// the first surviving entry, or MAXLEN 0 when nothing survives, or no trim
// when nothing was removed. An approximate trim replayed on a differently
// packed stream (after a snapshot) would remove a different number of
// entries; the exact form removes the same ones on any layout.
func trimExact(s *stream.Stream, t *stream.Trim) int64 {
	if t.Strategy == stream.TrimNone {
		return 0
	}
	n := s.Trim(*t)
	exactEffect(s, t, n)
	return n
}

// exactEffect rewrites *t as the exact effect of trimming that removed n
// entries from s (see trimExact).
func exactEffect(s *stream.Stream, t *stream.Trim, n int64) {
	switch first, ok := s.FirstID(); {
	case n == 0:
		*t = stream.Trim{}
	case t.Ref != stream.KeepRef:
		// DELREF and ACKED trim entry by entry whatever the block layout
		// (Redis 8.2), and ACKED may leave gaps: the rule is logged as
		// given, and replay on the same state removes the same entries.
	case !ok:
		*t = stream.Trim{Strategy: stream.TrimMaxLen}
	default:
		*t = stream.Trim{Strategy: stream.TrimMinID, MinID: first}
	}
}
