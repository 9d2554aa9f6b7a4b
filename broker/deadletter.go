package broker

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/brookmq/brook/stream"
)

// DeadLetter is an entry of a dead-letter stream as [Worker] writes it:
// an entry of a source stream that failed too many times, moved there with
// what is known of its failure. [ParseDeadLetter] reads it back.
//
// In the stream the entry holds the metadata fields first, each named with
// the prefix "dead:" ("dead:stream", "dead:id", "dead:group",
// "dead:consumer", "dead:deliveries", "dead:error"), then the original
// fields in their order. The broker's [Limits] do not apply to it, but an
// entry whose fields and metadata together would not fit in one log record
// (about [MaxBatchBytes]) is moved without its fields (Error says so) and
// stays in the source stream even with [WorkerOptions].AckDelete.
type DeadLetter struct {
	ID         ID      // the dead-letter entry's own ID
	Stream     string  // the source stream's key
	Original   ID      // the entry's ID in the source stream
	Group      string  // the consumer group that gave up on it
	Consumer   string  // the consumer it was pending for when it was moved
	Deliveries uint64  // how many times the group delivered it
	Error      string  // the last error (with the stack for a panic)
	Fields     []Field // the original fields; none if they did not fit (see below)
}

// Names of the metadata fields of a dead-letter entry.
const (
	deadStream     = "dead:stream"
	deadID         = "dead:id"
	deadGroup      = "dead:group"
	deadConsumer   = "dead:consumer"
	deadDeliveries = "dead:deliveries"
	deadError      = "dead:error"
	deadMeta       = 6 // metadata fields before the original ones
)

// fields returns d as the fields of its dead-letter entry.
func (d DeadLetter) fields() []Field {
	out := make([]Field, 0, deadMeta+len(d.Fields))
	out = append(out,
		Field{Name: deadStream, Value: d.Stream},
		Field{Name: deadID, Value: d.Original.String()},
		Field{Name: deadGroup, Value: d.Group},
		Field{Name: deadConsumer, Value: d.Consumer},
		Field{Name: deadDeliveries, Value: strconv.FormatUint(d.Deliveries, 10)},
		Field{Name: deadError, Value: d.Error})
	return append(out, d.Fields...)
}

// ParseDeadLetter reads an entry of a dead-letter stream written by
// [Worker]. An entry without the metadata fields is [ErrInvalidArgument].
func ParseDeadLetter(e Entry) (DeadLetter, error) {
	bad := func(what string) (DeadLetter, error) {
		return DeadLetter{}, invalid("entry %v is not a dead letter: %s", e.ID, what)
	}
	names := [deadMeta]string{deadStream, deadID, deadGroup, deadConsumer, deadDeliveries, deadError}
	if len(e.Fields) < deadMeta {
		return bad("too few fields")
	}
	for i, name := range names {
		if e.Fields[i].Name != name {
			return bad("no field " + name)
		}
	}
	orig, err := ParseID(e.Fields[1].Value)
	if err != nil {
		return bad("bad " + deadID)
	}
	n, err := strconv.ParseUint(e.Fields[4].Value, 10, 64)
	if err != nil {
		return bad("bad " + deadDeliveries)
	}
	return DeadLetter{ID: e.ID, Stream: e.Fields[0].Value, Original: orig, Group: e.Fields[2].Value,
		Consumer: e.Fields[3].Value, Deliveries: n, Error: e.Fields[5].Value, Fields: e.Fields[deadMeta:]}, nil
}

// deadLetter is the second key of an opDeadLetter mutation: the dead-letter
// stream and the resolved ID of the entry added to it. st is the key's
// state, locked by whoever applies the mutation (live: [Broker.deadLetter];
// replay: [replayer.replayDeadLetter]); it is not logged.
type deadLetter struct {
	key string
	id  stream.ID
	st  *streamState
}

// applyDeadLetter applies an opDeadLetter mutation: if m.id is pending in
// m.group for m.consumer, it appends the dead-letter entry (m.fields, or
// m.fieldList in replay) to m.dead.key with the ID m.dead.id, creating the
// key, and acknowledges m.id in the source group; otherwise nothing
// changes. Both keys are locked. Called by [apply] only.
func applyDeadLetter(st *streamState, m *mutation, e *effect) error {
	if m.opArgs == nil || m.dead == nil || m.dead.st == nil || m.dead.st == st {
		return fmt.Errorf("%w: dead-letter move without a second key", ErrCorrupt)
	}
	ps, err := st.stream().PendingRange(m.group, 0, stream.PendingQuery{Start: m.id, End: m.id, Count: 1,
		Consumer: m.consumer, ByConsumer: true})
	if err != nil || len(ps) == 0 {
		return err // not pending for m.consumer (any more): nothing to move
	}
	dst := m.dead.st
	created := dst.stream() == nil
	if created {
		dst.create()
	}
	if err := appendDeadFields(dst.stream(), m); err != nil {
		if created {
			dst.drop()
		}
		return err
	}
	e.n = st.stream().Ack(m.group, m.id)
	e.changed = true
	return nil
}

// deadLetter moves the entry id, pending in group for consumer, to the
// stream deadKey as d describes it, and acknowledges it, in one mutation
// (one log record): after a crash it is either still pending or moved and
// acknowledged. It reports whether it moved the entry (false: it was not
// pending for consumer any more) and returns the dead-letter entry's ID.
// The source key must exist; deadKey is created if missing.
func (b *Broker) deadLetter(ctx context.Context, deadKey string, d DeadLetter) (ID, bool, error) {
	if deadKey == d.Stream {
		return ID{}, false, invalid("the dead-letter key is the source key %q", d.Stream)
	}
	fields := d.fields()
	// Only the log's bound applies: the broker's Limits are for what
	// producers add, and the entry was within them when it was added.
	// (Its record also names the source key, group and consumer.)
	if rec := recordBytes(deadKey+d.Stream+d.Group+d.Consumer, fieldBytes(fields), 1, len(fields)); rec > MaxBatchBytes {
		return ID{}, false, fmt.Errorf("%w: its log record would take about %d bytes, limit %d", ErrEntryTooLarge, rec, MaxBatchBytes)
	}
	if err := ctx.Err(); err != nil {
		return ID{}, false, err
	}
	now := b.nowMs()
	src, dst, unlock, err := b.reg.lockPair(d.Stream, deadKey)
	if err != nil {
		return ID{}, false, err
	}
	id, moved, err := b.deadLetterLocked(src, dst, now, d, fields)
	pos := src.pos
	unlock()
	if err != nil {
		return ID{}, false, err
	}
	return id, moved, b.jr.wait(ctx, pos)
}

// deadLetterLocked is deadLetter with both keys locked.
func (b *Broker) deadLetterLocked(src, dst *streamState, now uint64, d DeadLetter, fields []Field) (ID, bool, error) {
	if err := b.jr.writable(); err != nil {
		return ID{}, false, err
	}
	next := dst.stream()
	if next == nil {
		next = stream.New() // resolve the ID as on the key about to be created
	}
	id, err := next.NextID(AutoID(), now)
	if err != nil {
		return ID{}, false, err
	}
	m := mutation{kind: opDeadLetter, key: d.Stream, nowMs: now, id: d.Original, fields: fields, opArgs: &opArgs{group: d.Group, consumer: d.Consumer, dead: &deadLetter{key: dst.key, id: id, st: dst}}}
	var e effect
	if err := apply(src, &m, &e); err != nil || !e.changed {
		return ID{}, false, err
	}
	if err := b.jr.record(src, &m); err != nil {
		dst.setFailure(src.failure()) // dst holds the refused entry too
		return ID{}, false, err
	}
	dst.pos = src.pos
	if len(dst.waitList()) > 0 {
		b.serveWaitersLocked(dst)
	}
	return id, true, nil
}

// lockPair locks the states of the existing key src and of dst, which it
// creates as a placeholder if missing, in key order, never holding a
// stream's lock while it waits for the registry's (as [registry.lockAll]).
// unlock releases both and drops dst again if it is still an unused
// placeholder.
func (r *registry) lockPair(src, dst string) (s, d *streamState, unlock func(), err error) {
	if src == dst { // one state locked twice would deadlock
		return nil, nil, nil, invalid("the dead-letter key is the source key %q", src)
	}
	for {
		r.mu.RLock()
		closed, s := r.closed, r.m.get(src)
		r.mu.RUnlock()
		if closed {
			return nil, nil, nil, ErrClosed
		}
		if s == nil {
			return nil, nil, nil, ErrNoStream
		}
		d, err := r.insert(dst) // before any stream lock
		if err != nil {
			return nil, nil, nil, err
		}
		first, second := s, d
		if dst < src {
			first, second = d, s
		}
		first.mu.Lock()
		second.mu.Lock()
		unlock := func() {
			empty := d.stream() == nil && len(d.waitList()) == 0
			second.mu.Unlock()
			first.mu.Unlock()
			if empty {
				r.dropIfEmpty(d) // takes the registry's lock: no stream lock held
			}
		}
		switch {
		case s.dead || d.dead:
			unlock()
			continue
		case s.stream() == nil:
			unlock()
			return nil, nil, nil, ErrNoStream
		case s.failure() != nil || d.failure() != nil:
			unlock()
			return nil, nil, nil, errors.Join(s.failure(), d.failure())
		}
		return s, d, unlock, nil
	}
}

// replayDeadLetter replays an opDeadLetter mutation: it locks both keys as
// the live call does and applies m through [apply].
func (p *replayer) replayDeadLetter(m *mutation) error {
	p.done()
	if m.opArgs == nil || m.dead == nil {
		return fmt.Errorf("%w: dead-letter record without its key", ErrCorrupt)
	}
	src, dst, unlock, err := p.r.lockPair(m.key, m.dead.key)
	if err != nil {
		return fmt.Errorf("broker: replay %d on %q: %w", m.kind, m.key, err)
	}
	defer unlock()
	m.dead.st = dst
	if err := apply(src, m, &effect{}); err != nil {
		return fmt.Errorf("broker: replay %d on %q: %w", m.kind, m.key, err)
	}
	return nil
}

// deadLetterError caps an error text for a dead-letter entry.
func deadLetterError(err error) string {
	const most = 16 << 10
	s := err.Error()
	if len(s) > most {
		s = s[:most] + "\n[truncated]"
	}
	return strings.ToValidUTF8(s, "?")
}
