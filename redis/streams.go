package brookredis

import (
	"context"
	"fmt"

	"github.com/brookmq/brook/broker"
)

// XAdd is XADD. An entry without fields is [broker.ErrNoFields] and an
// invalid trim [broker.ErrInvalidArgument], found before anything is sent;
// NOMKSTREAM on a missing key is [broker.ErrNoStream]; the ID errors are
// mapped from Redis's replies.
func (c *Client) XAdd(ctx context.Context, key string, fields []broker.Field, o broker.AddOptions) (broker.ID, error) {
	if len(fields) == 0 {
		return broker.ID{}, broker.ErrNoFields
	}
	if err := checkTrim(o.Trim); err != nil {
		return broker.ID{}, err
	}
	args := make([]any, 0, 10+2*len(fields))
	args = append(args, "xadd", key)
	if o.NoMkStream {
		args = append(args, "nomkstream")
	}
	args = appendTrim(args, o.Trim)
	args = append(args, o.ID.String())
	for _, f := range fields {
		args = append(args, f.Name, f.Value)
	}
	v, err := c.do(ctx, 1, args...)
	if err != nil {
		return broker.ID{}, err
	}
	if v == nil {
		return broker.ID{}, fmt.Errorf("%w: %q (NOMKSTREAM)", broker.ErrNoStream, key)
	}
	return toID(v)
}

// checkTrim validates a trimming rule as the broker does.
func checkTrim(t broker.Trim) error {
	switch t.Strategy {
	case broker.TrimNone, broker.TrimMaxLen, broker.TrimMinID:
	default:
		return invalid("unknown trim strategy %d", t.Strategy)
	}
	if t.Strategy == broker.TrimMaxLen && t.MaxLen < 0 {
		return invalid("negative MaxLen %d", t.MaxLen)
	}
	return nil
}

// appendTrim appends MAXLEN|MINID [~] threshold [LIMIT n].
func appendTrim(args []any, t broker.Trim) []any {
	switch t.Strategy {
	case broker.TrimMaxLen:
		args = append(args, "maxlen")
	case broker.TrimMinID:
		args = append(args, "minid")
	default:
		return args
	}
	if t.Approx {
		args = append(args, "~")
	}
	if t.Strategy == broker.TrimMaxLen {
		args = append(args, t.MaxLen)
	} else {
		args = append(args, t.MinID.String())
	}
	if t.Approx && t.Limit != 0 {
		args = append(args, "limit", max(t.Limit, 0)) // negative: no cap, Redis's LIMIT 0
	}
	return args
}

// checkCount enforces the one rule for counts: 0 means no limit, a negative
// count is an error.
func checkCount(n int) error {
	if n < 0 {
		return invalid("negative count %d", n)
	}
	return nil
}

// XRange is XRANGE; a count of 0 sends no COUNT.
func (c *Client) XRange(ctx context.Context, key string, start, end broker.ID, count int) ([]broker.Entry, error) {
	return c.xrange(ctx, "xrange", key, start, end, count)
}

// XRevRange is XREVRANGE; a count of 0 sends no COUNT.
func (c *Client) XRevRange(ctx context.Context, key string, end, start broker.ID, count int) ([]broker.Entry, error) {
	return c.xrange(ctx, "xrevrange", key, end, start, count)
}

func (c *Client) xrange(ctx context.Context, cmd, key string, a, b broker.ID, count int) ([]broker.Entry, error) {
	if err := checkCount(count); err != nil {
		return nil, err
	}
	args := []any{cmd, key, a.String(), b.String()}
	if count > 0 {
		args = append(args, "count", count)
	}
	v, err := c.do(ctx, 1, args...)
	if err != nil {
		return nil, err
	}
	return toEntries(v)
}

// XLen is XLEN.
func (c *Client) XLen(ctx context.Context, key string) (int64, error) {
	return c.doInt(ctx, 1, "xlen", key)
}

// XDel is XDEL; no ids deletes nothing.
func (c *Client) XDel(ctx context.Context, key string, ids ...broker.ID) (int64, error) {
	if len(ids) == 0 {
		return 0, c.check(ctx)
	}
	return c.doInt(ctx, 1, append([]any{"xdel", key}, idArgs(ids)...)...)
}

// XTrim is XTRIM; the zero Trim removes nothing.
func (c *Client) XTrim(ctx context.Context, key string, t broker.Trim) (int64, error) {
	if err := checkTrim(t); err != nil {
		return 0, err
	}
	if t.Strategy == broker.TrimNone {
		return 0, c.check(ctx)
	}
	return c.doInt(ctx, 1, appendTrim([]any{"xtrim", key}, t)...)
}

// Del is DEL. On a Cluster, keys in different hash slots are deleted by one
// DEL per slot, so the call is not atomic across slots.
func (c *Client) Del(ctx context.Context, keys ...string) (int64, error) {
	if len(keys) == 0 {
		return 0, c.check(ctx)
	}
	if c.cluster == nil {
		return c.doInt(ctx, 1, append([]any{"del"}, strArgs(keys)...)...)
	}
	bySlot := make(map[int][]string)
	var order []int
	for _, k := range keys {
		s := slot(k)
		if _, ok := bySlot[s]; !ok {
			order = append(order, s)
		}
		bySlot[s] = append(bySlot[s], k)
	}
	var total int64
	for _, s := range order {
		n, err := c.doInt(ctx, 1, append([]any{"del"}, strArgs(bySlot[s])...)...)
		if err != nil {
			return total, err
		}
		total += n
	}
	return total, nil
}

// idArgs formats IDs as arguments.
func idArgs(ids []broker.ID) []any {
	out := make([]any, len(ids))
	for i, id := range ids {
		out[i] = id.String()
	}
	return out
}

// strArgs makes strings arguments.
func strArgs(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}
