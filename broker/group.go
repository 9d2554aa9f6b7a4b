package broker

import (
	"context"
	"time"

	"github.com/brookmq/brook/stream"
)

// GroupCreateOptions are the options of [Broker.XGroupCreate]. The zero
// value starts the group at the beginning of an existing key.
type GroupCreateOptions struct {
	Start       Position // After(id) (zero: After(0-0)) or Latest() ("$")
	MkStream    bool     // MKSTREAM: create an empty stream if key is missing
	EntriesRead *int64   // ENTRIESREAD; nil: unknown
}

// XGroupCreate creates a consumer group (XGROUP CREATE). A missing key is
// [ErrNoStream] unless o.MkStream; a name in use is [ErrGroupExists]; a
// Start other than After or Latest, or EntriesRead below -1, is
// [ErrInvalidArgument].
//
// Like every call that changes a stream or a group (XGroupSetID,
// XGroupDestroy, XGroupCreateConsumer, XGroupDelConsumer, XAck, XClaim,
// XAutoClaim too), it changes nothing if ctx has already ended, and if ctx
// ends while it waits for the disk it returns ctx's error with the change
// already applied: see "Cancellation" in the package documentation.
func (b *Broker) XGroupCreate(ctx context.Context, key, group string, o GroupCreateOptions) error {
	entriesRead, err := groupStart(o.Start, o.EntriesRead)
	if err != nil {
		return err
	}
	return b.upsert(ctx, key, func(t tx) error {
		if t.st.stream() == nil {
			if !o.MkStream {
				return ErrNoStream
			}
			if _, err := t.apply(&mutation{kind: opCreateStream, key: key}); err != nil {
				return err
			}
		}
		m := mutation{kind: opGroupCreate, key: key, id: startID(t.st.stream(), o.Start), opArgs: &opArgs{group: group, entriesRead: entriesRead}}
		_, err := t.apply(&m)
		return err
	})
}

// GroupSetIDOptions are the options of [Broker.XGroupSetID].
type GroupSetIDOptions struct {
	Start       Position // After(id) (zero: After(0-0)) or Latest() ("$")
	EntriesRead *int64   // ENTRIESREAD; nil: unknown
}

// XGroupSetID moves a group's last-delivered-id to o.Start and sets its
// entries-read (XGROUP SETID). A missing key is [ErrNoStream], a missing
// group [ErrNoGroup]; invalid options are [ErrInvalidArgument].
func (b *Broker) XGroupSetID(ctx context.Context, key, group string, o GroupSetIDOptions) error {
	entriesRead, err := groupStart(o.Start, o.EntriesRead)
	if err != nil {
		return err
	}
	return b.update(ctx, key, func(t tx) error {
		m := mutation{kind: opGroupSetID, key: key, id: startID(t.st.stream(), o.Start), opArgs: &opArgs{group: group, entriesRead: entriesRead}}
		_, err := t.apply(&m)
		return err
	})
}

// groupStart validates a group's start position and entries-read and
// returns the latter as the engine takes it.
func groupStart(p Position, entriesRead *int64) (int64, error) {
	if p.kind != posAfter && p.kind != posLatest {
		return 0, invalid("a group starts After an ID or at Latest, not at %q", p)
	}
	if entriesRead == nil {
		return stream.EntriesReadUnknown, nil
	}
	if *entriesRead < stream.EntriesReadUnknown {
		return 0, ErrEntriesRead
	}
	return *entriesRead, nil
}

// startID resolves a group start position on s.
func startID(s *stream.Stream, p Position) ID {
	if p.kind == posLatest {
		return s.LastID()
	}
	return p.id
}

// XGroupDestroy removes a group and its pending entries and reports whether
// it existed (XGROUP DESTROY). Its blocked readers return [ErrGroupDeleted].
// A missing key is [ErrNoStream].
func (b *Broker) XGroupDestroy(ctx context.Context, key, group string) (bool, error) {
	var e effect
	err := b.update(ctx, key, func(t tx) (err error) {
		if e, err = t.apply(&mutation{kind: opGroupDestroy, key: key, opArgs: &opArgs{group: group}}); err != nil || !e.ok {
			return err
		}
		t.st.failWaitersLocked(func(w *waiter) error {
			if w.group == group {
				return ErrGroupDeleted
			}
			return nil
		})
		return nil
	})
	return e.ok, err
}

// XGroupCreateConsumer creates a consumer and reports whether it was new
// (XGROUP CREATECONSUMER). A missing key is [ErrNoStream], a missing group
// [ErrNoGroup].
func (b *Broker) XGroupCreateConsumer(ctx context.Context, key, group, consumer string) (bool, error) {
	var e effect
	err := b.update(ctx, key, func(t tx) (err error) {
		e, err = t.apply(&mutation{kind: opConsumerCreate, key: key, nowMs: b.nowMs(), opArgs: &opArgs{group: group, consumer: consumer}})
		return err
	})
	return e.ok, err
}

// XGroupDelConsumer removes a consumer and returns how many pending entries
// it had; they are dropped from the group (XGROUP DELCONSUMER). A missing
// key is [ErrNoStream], a missing group [ErrNoGroup].
func (b *Broker) XGroupDelConsumer(ctx context.Context, key, group, consumer string) (int64, error) {
	var e effect
	err := b.update(ctx, key, func(t tx) (err error) {
		e, err = t.apply(&mutation{kind: opConsumerDelete, key: key, opArgs: &opArgs{group: group, consumer: consumer}})
		return err
	})
	return e.n, err
}

// XAck acknowledges ids in group and returns how many were pending (XACK).
// As in Redis, a missing key or group acknowledges nothing: 0, no error.
func (b *Broker) XAck(ctx context.Context, key, group string, ids ...ID) (int64, error) {
	var e effect
	err := b.update(ctx, key, func(t tx) (err error) {
		e, err = t.apply(&mutation{kind: opAck, key: key, opArgs: &opArgs{group: group, ids: ids}})
		return err
	})
	return b.countOrMissing(ctx, e.n, err)
}

// XPending is XPENDING's summary form. A missing key is [ErrNoStream], a
// missing group [ErrNoGroup].
func (b *Broker) XPending(ctx context.Context, key, group string) (PendingSummary, error) {
	var sum PendingSummary
	err := b.viewExisting(ctx, key, func(s *stream.Stream) (err error) {
		sum, err = s.PendingSummary(group)
		return err
	})
	return sum, err
}

// viewExisting is view on a key that must exist: a missing key is
// [ErrNoStream].
func (b *Broker) viewExisting(ctx context.Context, key string, f func(s *stream.Stream) error) error {
	return b.view(ctx, key, func(s *stream.Stream) error {
		if s == nil {
			return ErrNoStream
		}
		return f(s)
	})
}

// Pending is one pending entry: delivered to a consumer of a group and not
// yet acknowledged.
//
// An entry given back with [Broker.XNack] (Redis 8.8) has no consumer until
// it is claimed again: Nacked is set, Consumer is "", Delivered is the zero
// time and Idle is -1, as XPENDING prints it.
type Pending struct {
	ID         ID
	Consumer   string
	Delivered  time.Time     // its last delivery, on the broker clock
	Idle       time.Duration // since Delivered, when the call ran
	Deliveries uint64        // how many times it was delivered
	Nacked     bool          // given back with XNACK, owned by no consumer
}

// PendingOptions select pending entries for [Broker.XPendingRange]. The zero
// value selects every pending entry.
type PendingOptions struct {
	Start    ID            // inclusive; zero: from the first
	End      ID            // inclusive; zero: to the last
	Count    int           // at most this many; 0: no limit
	Consumer string        // only this consumer's entries; "": every consumer's
	MinIdle  time.Duration // IDLE: only entries idle for at least this long
}

// XPendingRange is XPENDING's extended form: the pending entries o selects,
// by ID. A missing key is [ErrNoStream], a missing group [ErrNoGroup], a
// negative Count or MinIdle [ErrInvalidArgument].
func (b *Broker) XPendingRange(ctx context.Context, key, group string, o PendingOptions) ([]Pending, error) {
	if err := checkCount("Count", o.Count); err != nil {
		return nil, err
	}
	if o.MinIdle < 0 {
		return nil, invalid("negative MinIdle %v", o.MinIdle)
	}
	q := stream.PendingQuery{Start: o.Start, End: o.End, Count: limit(o.Count), Consumer: o.Consumer, MinIdleMs: durationMs(o.MinIdle)}
	if q.End == (ID{}) {
		q.End = MaxID
	}
	var out []Pending
	err := b.viewExisting(ctx, key, func(s *stream.Stream) error {
		now := b.nowMs()
		ps, err := s.PendingRange(group, now, q)
		out = pendingOf(ps, now)
		return err
	})
	return out, err
}

// pendingOf converts the engine's pending records, idle times as of nowMs.
func pendingOf(ps []stream.Pending, nowMs uint64) []Pending {
	if ps == nil {
		return nil
	}
	out := make([]Pending, len(ps))
	for i, p := range ps {
		if p.Nacked {
			out[i] = Pending{ID: p.ID, Idle: -1, Deliveries: p.DeliveryCount, Nacked: true}
			continue
		}
		out[i] = Pending{ID: p.ID, Consumer: p.Consumer, Delivered: timeOf(p.DeliveryMs),
			Idle: idleSince(nowMs, p.DeliveryMs), Deliveries: p.DeliveryCount}
	}
	return out
}

// idleSince is the time from ms to nowMs, never negative.
func idleSince(nowMs, ms uint64) time.Duration {
	if ms >= nowMs {
		return 0
	}
	return time.Duration(nowMs-ms) * time.Millisecond
}

// ClaimOptions are the options of [Broker.XClaim]. The zero value claims the
// entries idle for any time and counts a delivery, as XCLAIM does with no
// option.
type ClaimOptions struct {
	MinIdle    time.Duration // claim only entries idle for at least this long
	Idle       time.Duration // IDLE: make the claimed entries this idle (0: delivered now)
	Time       time.Time     // TIME: their last delivery instead (wins over Idle); zero: unset
	RetryCount *uint64       // RETRYCOUNT: set their delivery count; nil: add one (unless JustID)
	Force      bool          // FORCE: claim IDs in the stream that are not pending
	JustID     bool          // JUSTID: return IDs only, do not count a delivery
	LastID     ID            // LASTID: raise the group's last-delivered-id to this (zero: no change)
}

// XClaim gives consumer the pending entries among ids that have been idle
// for at least o.MinIdle (XCLAIM), creating the consumer if needed, and
// returns them (IDs only with o.JustID). A missing key is [ErrNoStream], a
// missing group [ErrNoGroup], a negative duration [ErrInvalidArgument].
func (b *Broker) XClaim(ctx context.Context, key, group, consumer string, ids []ID, o ClaimOptions) ([]Entry, error) {
	if o.MinIdle < 0 || o.Idle < 0 {
		return nil, invalid("negative MinIdle or Idle")
	}
	var e effect
	err := b.update(ctx, key, func(t tx) (err error) {
		m := mutation{kind: opClaim, key: key, nowMs: b.nowMs(), opArgs: &opArgs{group: group, consumer: consumer, minIdleMs: durationMs(o.MinIdle), ids: ids, claim: o.engine()}}
		e, err = t.apply(&m)
		return err
	})
	return e.entries, err
}

// engine converts o to the engine's form.
func (o ClaimOptions) engine() stream.ClaimOptions {
	c := stream.ClaimOptions{RetryCount: o.RetryCount, Force: o.Force, JustID: o.JustID}
	if !o.Time.IsZero() {
		ms := msOf(o.Time)
		c.TimeMs = &ms
	} else if o.Idle > 0 {
		ms := durationMs(o.Idle)
		c.IdleMs = &ms
	}
	if o.LastID != (ID{}) {
		c.LastID = &o.LastID
	}
	return c
}

// AutoClaimOptions are the options of [Broker.XAutoClaim]. The zero value
// claims every pending entry, scanning from the first.
type AutoClaimOptions struct {
	MinIdle time.Duration // claim only entries idle for at least this long
	Start   ID            // scan pending entries from this ID
	Count   int           // claim at most this many; 0: no limit (XAUTOCLAIM's default is 100)
	JustID  bool          // JUSTID: return IDs only, do not count a delivery
}

// AutoClaimResult is [Broker.XAutoClaim]'s reply.
type AutoClaimResult struct {
	Next    ID      // the cursor to continue from; 0-0 when the scan is complete
	Claimed []Entry // the claimed entries (IDs only with JustID)
	Deleted []ID    // pending entries whose stream entry was deleted: dropped from the group
}

// XAutoClaim scans group's pending entries from o.Start and gives consumer
// up to o.Count of those idle for at least o.MinIdle (XAUTOCLAIM), creating
// the consumer if needed. As in Redis, the scan looks at no more than ten
// times Count pending entries. A missing key is [ErrNoStream], a missing
// group [ErrNoGroup], a negative Count or MinIdle [ErrInvalidArgument].
func (b *Broker) XAutoClaim(ctx context.Context, key, group, consumer string, o AutoClaimOptions) (AutoClaimResult, error) {
	if err := checkCount("Count", o.Count); err != nil {
		return AutoClaimResult{}, err
	}
	if o.MinIdle < 0 {
		return AutoClaimResult{}, invalid("negative MinIdle %v", o.MinIdle)
	}
	var e effect
	err := b.update(ctx, key, func(t tx) (err error) {
		m := mutation{kind: opAutoClaim, key: key, nowMs: b.nowMs(), id: o.Start, opArgs: &opArgs{group: group, consumer: consumer, minIdleMs: durationMs(o.MinIdle), count: limit(o.Count), justID: o.JustID}}
		e, err = t.apply(&m)
		return err
	})
	if err != nil {
		return AutoClaimResult{}, err
	}
	return AutoClaimResult{Next: e.next, Claimed: e.entries, Deleted: e.deleted}, nil
}

// XInfoGroups is XINFO GROUPS. A missing key is [ErrNoStream].
func (b *Broker) XInfoGroups(ctx context.Context, key string) ([]GroupInfo, error) {
	var out []GroupInfo
	err := b.viewExisting(ctx, key, func(s *stream.Stream) error {
		out = s.Groups()
		return nil
	})
	return out, err
}

// ConsumerInfo is one consumer of XINFO CONSUMERS's reply.
type ConsumerInfo struct {
	Name     string
	Pending  int64         // entries pending for it
	Idle     time.Duration // since its last attempted interaction (seen-time)
	Inactive time.Duration // since its last successful one (active-time); negative: never
}

// XInfoConsumers is XINFO CONSUMERS, times measured on the broker clock. A
// missing key is [ErrNoStream], a missing group [ErrNoGroup].
func (b *Broker) XInfoConsumers(ctx context.Context, key, group string) ([]ConsumerInfo, error) {
	var out []ConsumerInfo
	err := b.viewExisting(ctx, key, func(s *stream.Stream) error {
		cs, err := s.Consumers(group, b.nowMs())
		if err != nil {
			return err
		}
		out = make([]ConsumerInfo, len(cs))
		for i, c := range cs {
			out[i] = ConsumerInfo{Name: c.Name, Pending: c.Pending, Idle: time.Duration(c.IdleMs) * time.Millisecond,
				Inactive: time.Duration(c.InactiveMs) * time.Millisecond}
		}
		return nil
	})
	return out, err
}
