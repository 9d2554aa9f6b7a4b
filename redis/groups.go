package brookredis

import (
	"context"
	"time"

	"github.com/brookmq/brook/broker"
)

// The Position forms, as Position.String writes them; any other string is
// After(id).
const (
	posLatest      = "$"
	posLastEntry   = "+"
	posUndelivered = ">"
)

// isAfter reports whether p is After(id).
func isAfter(p broker.Position) bool {
	switch p.String() {
	case posLatest, posLastEntry, posUndelivered:
		return false
	}
	return true
}

// groupStart validates a group's start and entries-read and appends them.
func groupStart(args []any, p broker.Position, entriesRead *int64) ([]any, error) {
	if s := p.String(); s != posLatest && !isAfter(p) {
		return nil, invalid("a group starts After an ID or at Latest, not at %q", s)
	}
	args = append(args, p.String())
	if entriesRead != nil {
		if *entriesRead < -1 {
			return nil, broker.ErrEntriesRead
		}
		args = append(args, "entriesread", *entriesRead)
	}
	return args, nil
}

// XGroupCreate is XGROUP CREATE.
func (c *Client) XGroupCreate(ctx context.Context, key, group string, o broker.GroupCreateOptions) error {
	args, err := groupStart([]any{"xgroup", "create", key, group}, o.Start, o.EntriesRead)
	if err != nil {
		return err
	}
	if o.MkStream {
		args = append(args, "mkstream")
	}
	_, err = c.do(ctx, 2, args...)
	return err
}

// XGroupSetID is XGROUP SETID.
func (c *Client) XGroupSetID(ctx context.Context, key, group string, o broker.GroupSetIDOptions) error {
	args, err := groupStart([]any{"xgroup", "setid", key, group}, o.Start, o.EntriesRead)
	if err != nil {
		return err
	}
	_, err = c.do(ctx, 2, args...)
	return err
}

// XGroupDestroy is XGROUP DESTROY.
func (c *Client) XGroupDestroy(ctx context.Context, key, group string) (bool, error) {
	n, err := c.doInt(ctx, 2, "xgroup", "destroy", key, group)
	return n > 0, err
}

// XGroupCreateConsumer is XGROUP CREATECONSUMER.
func (c *Client) XGroupCreateConsumer(ctx context.Context, key, group, consumer string) (bool, error) {
	n, err := c.doInt(ctx, 2, "xgroup", "createconsumer", key, group, consumer)
	return n > 0, err
}

// XGroupDelConsumer is XGROUP DELCONSUMER.
func (c *Client) XGroupDelConsumer(ctx context.Context, key, group, consumer string) (int64, error) {
	return c.doInt(ctx, 2, "xgroup", "delconsumer", key, group, consumer)
}

// XAck is XACK; no ids acknowledges nothing.
func (c *Client) XAck(ctx context.Context, key, group string, ids ...broker.ID) (int64, error) {
	if len(ids) == 0 {
		return 0, c.check(ctx)
	}
	return c.doInt(ctx, 1, append([]any{"xack", key, group}, idArgs(ids)...)...)
}

// XPending is XPENDING's summary form.
func (c *Client) XPending(ctx context.Context, key, group string) (broker.PendingSummary, error) {
	v, err := c.do(ctx, 1, "xpending", key, group)
	if err != nil {
		return broker.PendingSummary{}, c.noGroup(ctx, err, key)
	}
	a, err := toArray(v)
	if err != nil || len(a) != 4 {
		return broker.PendingSummary{}, errReply(v)
	}
	var s broker.PendingSummary
	if s.Count, err = toInt(a[0]); err != nil {
		return s, err
	}
	if s.Min, err = toIDOrZero(a[1]); err != nil {
		return s, err
	}
	if s.Max, err = toIDOrZero(a[2]); err != nil {
		return s, err
	}
	consumers, err := toArray(a[3])
	if err != nil {
		return s, err
	}
	for _, cc := range consumers {
		pair, err := toArray(cc)
		if err != nil || len(pair) != 2 {
			return s, errReply(cc)
		}
		name, ok := pair[0].(string)
		n, err := toInt(pair[1])
		if !ok || err != nil {
			return s, errReply(cc)
		}
		s.Consumers = append(s.Consumers, broker.ConsumerCount{Consumer: name, Count: n})
	}
	return s, nil
}

// noLimit stands for "no limit" where Redis needs a COUNT.
const noLimit = 1 << 62

// XPendingRange is XPENDING's extended form. Redis reports idle times:
// Delivered is the local clock (Options.Clock) minus the idle time.
func (c *Client) XPendingRange(ctx context.Context, key, group string, o broker.PendingOptions) ([]broker.Pending, error) {
	if err := checkCount(o.Count); err != nil {
		return nil, err
	}
	if o.MinIdle < 0 {
		return nil, invalid("negative MinIdle %v", o.MinIdle)
	}
	args := []any{"xpending", key, group}
	if o.MinIdle > 0 {
		args = append(args, "idle", o.MinIdle.Milliseconds())
	}
	start, end := "-", "+"
	if o.Start != (broker.ID{}) {
		start = o.Start.String()
	}
	if o.End != (broker.ID{}) {
		end = o.End.String()
	}
	count := int64(o.Count)
	if count == 0 {
		count = noLimit
	}
	args = append(args, start, end, count)
	if o.Consumer != "" {
		args = append(args, o.Consumer)
	}
	v, err := c.do(ctx, 1, args...)
	if err != nil {
		return nil, c.noGroup(ctx, err, key)
	}
	rows, err := toArray(v)
	if err != nil {
		return nil, err
	}
	now := c.opts.Clock()
	out := make([]broker.Pending, 0, len(rows))
	for _, row := range rows {
		r, err := toArray(row)
		if err != nil || len(r) != 4 {
			return nil, errReply(row)
		}
		id, err1 := toID(r[0])
		consumer, ok := r[1].(string)
		idle, err2 := toInt(r[2])
		n, err3 := toInt(r[3])
		if err1 != nil || !ok || err2 != nil || err3 != nil {
			return nil, errReply(row)
		}
		d := time.Duration(idle) * time.Millisecond
		out = append(out, broker.Pending{ID: id, Consumer: consumer, Delivered: now.Add(-d), Idle: d, Deliveries: uint64(n)})
	}
	return out, nil
}

// XClaim is XCLAIM. Time wins over Idle, as in the broker (only one of
// TIME and IDLE is sent). No ids claims nothing.
func (c *Client) XClaim(ctx context.Context, key, group, consumer string, ids []broker.ID, o broker.ClaimOptions) ([]broker.Entry, error) {
	if o.MinIdle < 0 || o.Idle < 0 {
		return nil, invalid("negative duration (MinIdle %v, Idle %v)", o.MinIdle, o.Idle)
	}
	if len(ids) == 0 {
		return nil, c.check(ctx)
	}
	args := append([]any{"xclaim", key, group, consumer, o.MinIdle.Milliseconds()}, idArgs(ids)...)
	switch {
	case !o.Time.IsZero():
		args = append(args, "time", max(o.Time.UnixMilli(), 0))
	case o.Idle > 0:
		args = append(args, "idle", o.Idle.Milliseconds())
	}
	if o.RetryCount != nil {
		args = append(args, "retrycount", *o.RetryCount)
	}
	if o.Force {
		args = append(args, "force")
	}
	if o.JustID {
		args = append(args, "justid")
	}
	if o.LastID != (broker.ID{}) {
		args = append(args, "lastid", o.LastID.String())
	}
	v, err := c.do(ctx, 1, args...)
	if err != nil {
		return nil, c.noGroup(ctx, err, key)
	}
	if o.JustID {
		return toIDEntries(v)
	}
	return toEntries(v)
}

// autoClaimChunk is the COUNT of each XAUTOCLAIM when AutoClaimOptions.Count
// is 0 (no limit): Redis 7.0 allocates COUNT slots per call, so "no limit"
// is a loop over the cursor rather than one huge COUNT.
const autoClaimChunk = 1000

// XAutoClaim is XAUTOCLAIM. With Count 0 it repeats XAUTOCLAIM from the
// returned cursor until the scan is complete: not atomic, unlike the broker's.
func (c *Client) XAutoClaim(ctx context.Context, key, group, consumer string, o broker.AutoClaimOptions) (broker.AutoClaimResult, error) {
	if err := checkCount(o.Count); err != nil {
		return broker.AutoClaimResult{}, err
	}
	if o.MinIdle < 0 {
		return broker.AutoClaimResult{}, invalid("negative MinIdle %v", o.MinIdle)
	}
	var res broker.AutoClaimResult
	cursor := o.Start
	for {
		count := o.Count
		if count == 0 {
			count = autoClaimChunk
		}
		args := []any{"xautoclaim", key, group, consumer, o.MinIdle.Milliseconds(), cursor.String(), "count", count}
		if o.JustID {
			args = append(args, "justid")
		}
		v, err := c.do(ctx, 1, args...)
		if err != nil {
			return broker.AutoClaimResult{}, c.noGroup(ctx, err, key)
		}
		a, err := toArray(v)
		if err != nil || len(a) != 3 {
			return broker.AutoClaimResult{}, errReply(v)
		}
		if cursor, err = toID(a[0]); err != nil {
			return broker.AutoClaimResult{}, err
		}
		var claimed, deleted []broker.Entry
		if o.JustID {
			claimed, err = toIDEntries(a[1])
		} else {
			claimed, err = toEntries(a[1])
		}
		if err == nil {
			deleted, err = toIDEntries(a[2])
		}
		if err != nil {
			return broker.AutoClaimResult{}, err
		}
		res.Claimed = append(res.Claimed, claimed...)
		for _, d := range deleted {
			res.Deleted = append(res.Deleted, d.ID)
		}
		res.Next = cursor
		if o.Count > 0 || cursor == (broker.ID{}) {
			return res, nil
		}
	}
}
