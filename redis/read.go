package brookredis

import (
	"context"
	"math"
	"time"

	"github.com/brookmq/brook/broker"
	"github.com/redis/go-redis/v9"
)

// XRead is XREAD. LastEntry ("+", Redis 7.4) is emulated on Redis 7.0 by
// reading the last entry's ID first. On a Cluster the keys must share a hash
// slot (ErrInvalidArgument otherwise, before anything is sent).
func (c *Client) XRead(ctx context.Context, streams []broker.ReadStream, o broker.ReadOptions) ([]broker.StreamEntries, error) {
	if err := checkRead(streams, o.Count, o.Block); err != nil {
		return nil, err
	}
	keys, ids := make([]string, len(streams)), make([]string, len(streams))
	for i, s := range streams {
		keys[i], ids[i] = s.Key, s.From.String()
		if ids[i] == posUndelivered {
			return nil, invalid("XRead does not take %q", ids[i])
		}
	}
	if err := c.sameSlot(keys); err != nil {
		return nil, err
	}
	if err := c.check(ctx); err != nil {
		return nil, err
	}
	for i, id := range ids {
		// "+": after the entry before the last one, or "$" if there is none.
		// "$" is made an ID when the wait may take several commands, so that
		// the later ones miss nothing added in between.
		if id != posLastEntry && (id != posLatest || o.Block <= c.slice) {
			continue
		}
		last, err := c.lastID(ctx, keys[i])
		if err != nil {
			return nil, err
		}
		switch {
		case id == posLastEntry && last != (broker.ID{}):
			ids[i] = before(last).String()
		case o.Block > c.slice:
			ids[i] = last.String()
		default:
			ids[i] = posLatest
		}
	}
	build := func(blockMs int64) ([]any, int) {
		args := []any{"xread"}
		if o.Count > 0 {
			args = append(args, "count", o.Count)
		}
		if blockMs >= 0 {
			args = append(args, "block", blockMs)
		}
		args = append(args, "streams")
		pos := len(args)
		args = append(args, strArgs(keys)...)
		return append(args, strArgs(ids)...), pos
	}
	var v any
	var err error
	if o.Block == 0 {
		args, pos := build(-1)
		v, err = c.do(ctx, pos, args...)
	} else {
		v, err = c.blocking(ctx, keys[0], o.Block, build)
	}
	if err != nil {
		return nil, err
	}
	return toStreams(v, keys)
}

// XReadGroup is XREADGROUP. It waits only when every stream reads
// Undelivered, as Redis does. On a Cluster the keys must share a hash slot.
func (c *Client) XReadGroup(ctx context.Context, group, consumer string, streams []broker.ReadStream, o broker.GroupReadOptions) ([]broker.StreamEntries, error) {
	if err := checkRead(streams, o.Count, o.Block); err != nil {
		return nil, err
	}
	keys, ids := make([]string, len(streams)), make([]string, len(streams))
	history := false
	for i, s := range streams {
		keys[i], ids[i] = s.Key, s.From.String()
		switch {
		case isAfter(s.From):
			history = true
		case ids[i] != posUndelivered:
			return nil, invalid("XReadGroup does not take %q", ids[i])
		}
	}
	if err := c.sameSlot(keys); err != nil {
		return nil, err
	}
	build := func(blockMs int64) ([]any, int) {
		args := []any{"xreadgroup", "group", group, consumer}
		if o.Count > 0 {
			args = append(args, "count", o.Count)
		}
		if blockMs >= 0 {
			args = append(args, "block", blockMs)
		}
		if o.NoAck {
			args = append(args, "noack")
		}
		args = append(args, "streams")
		pos := len(args)
		args = append(args, strArgs(keys)...)
		return append(args, strArgs(ids)...), pos
	}
	var v any
	var err error
	if o.Block == 0 || history {
		args, pos := build(-1)
		v, err = c.do(ctx, pos, args...)
	} else {
		if err = c.check(ctx); err == nil {
			v, err = c.blocking(ctx, keys[0], o.Block, build)
		}
	}
	if err != nil {
		return nil, c.noGroup(ctx, err, keys...)
	}
	return toStreams(v, keys)
}

// checkRead validates what XRead and XReadGroup share.
func checkRead(streams []broker.ReadStream, count int, block time.Duration) error {
	if len(streams) == 0 {
		return invalid("no stream to read")
	}
	if err := checkCount(count); err != nil {
		return err
	}
	if block < 0 {
		return invalid("negative Block %v", block)
	}
	return nil
}

// lastID returns the ID of key's last entry, 0-0 if it has none. New entries
// are above it as they are above the last generated ID: nothing lies between.
func (c *Client) lastID(ctx context.Context, key string) (broker.ID, error) {
	v, err := c.do(ctx, 1, "xrevrange", key, "+", "-", "count", 1)
	if err != nil {
		return broker.ID{}, err
	}
	entries, err := toEntries(v)
	if err != nil || len(entries) == 0 {
		return broker.ID{}, err
	}
	return entries[0].ID, nil
}

// before returns the ID just below id (id is not 0-0).
func before(id broker.ID) broker.ID {
	if id.Seq > 0 {
		return broker.ID{Ms: id.Ms, Seq: id.Seq - 1}
	}
	return broker.ID{Ms: id.Ms - 1, Seq: math.MaxUint64}
}

// processor runs commands: a client or a dedicated connection.
type processor interface {
	Process(context.Context, redis.Cmder) error
}

// blocking runs a read that waits up to block (BlockForever: until data or
// ctx's end) and returns its reply, nil when block passed with nothing.
//
// go-redis bounds each reply by its ReadTimeout, so a long wait is a series of
// BLOCK commands of at most c.slice each. ctx's end reaches a waiting
// command through CLIENT UNBLOCK: the command runs on a connection of its
// own whose client ID is known, and when ctx ends another connection
// unblocks it; Redis then answers it as a timeout (nothing delivered),
// the connection goes back to the pool clean and no goroutine is left.
func (c *Client) blocking(ctx context.Context, key string, block time.Duration, build func(blockMs int64) ([]any, int)) (any, error) {
	var p processor = c.rdb
	if ctx.Done() != nil {
		conn, node, id, err := c.dedicated(ctx, key)
		if err != nil {
			return nil, err
		}
		if conn != nil {
			defer conn.Close()
			p = conn
			done, unblocked := make(chan struct{}), make(chan struct{})
			stop := context.AfterFunc(ctx, func() {
				defer close(unblocked)
				unblock(node, id, done)
			})
			defer func() {
				close(done)
				if !stop() {
					<-unblocked
				}
			}()
		}
	}
	forever := block == broker.BlockForever
	var end time.Time
	if !forever {
		end = time.Now().Add(block)
	}
	bctx := context.WithoutCancel(ctx) // ctx's end comes through CLIENT UNBLOCK
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		wait := c.slice
		if !forever {
			left := time.Until(end)
			if left <= 0 {
				return nil, nil
			}
			wait = min(wait, left)
		}
		ms := int64(0) // BLOCK 0: until data arrives
		if wait != broker.BlockForever {
			ms = max(int64((wait+time.Millisecond-1)/time.Millisecond), 1)
		}
		args, pos := build(ms)
		v, err := c.run(bctx, p, pos, args...)
		if ctxErr := ctx.Err(); ctxErr != nil {
			return nil, ctxErr
		}
		if err != nil || v != nil {
			return v, err
		}
		if !forever && !time.Now().Before(end) {
			return nil, nil
		}
	}
}

// dedicated returns a connection of its own to the node that holds key, the
// client of that node, and the connection's client ID. For a client that is
// neither a *redis.Client (single server, Sentinel) nor a *redis.ClusterClient
// it returns no connection: ctx is then checked between BLOCK commands only.
func (c *Client) dedicated(ctx context.Context, key string) (*redis.Conn, *redis.Client, int64, error) {
	var node *redis.Client
	switch r := c.rdb.(type) {
	case *redis.Client:
		node = r
	case *redis.ClusterClient:
		n, err := r.MasterForKey(ctx, key)
		if err != nil {
			return nil, nil, 0, c.callError(ctx, err)
		}
		node = n
	default:
		return nil, nil, 0, nil
	}
	if err := c.warm(ctx, node); err != nil {
		return nil, nil, 0, err
	}
	conn := node.Conn()
	id, err := conn.ClientID(ctx).Result()
	if err != nil {
		conn.Close()
		return nil, nil, 0, c.callError(ctx, err)
	}
	return conn, node, id, nil
}

// warm runs one command on node's own pool before the first Conn of node.
// go-redis v9.23 settles one option when it initialises a connection (its
// maintenance notifications fall back to disabled on a server without them),
// writing it under the client's lock while a Conn reads the same options
// under a lock of its own: a data race unless the write came first. It
// comes with the first connection and never again.
func (c *Client) warm(ctx context.Context, node *redis.Client) error {
	if _, ok := c.warmed.Load(node); ok {
		return nil
	}
	if err := node.Ping(ctx).Err(); err != nil {
		return c.callError(ctx, err)
	}
	c.warmed.Store(node, struct{}{})
	return nil
}

// callError maps err, or returns ctx's error if ctx has ended.
func (c *Client) callError(ctx context.Context, err error) error {
	if ctxErr := ctx.Err(); ctxErr != nil {
		return ctxErr
	}
	return mapError(err)
}

// unblock sends CLIENT UNBLOCK id through node until it unblocks the
// command or done is closed (the command returned): ctx may end before the
// command reached the server, when there is nothing to unblock yet, and
// UNBLOCK may fail (the pool exhausted by other waits): it is retried, with
// a growing pause, until the command returns, which it does within one BLOCK
// command (c.slice) in the worst case.
func unblock(node *redis.Client, id int64, done <-chan struct{}) {
	pause := time.Duration(0)
	retry := time.NewTimer(pause)
	defer retry.Stop()
	for {
		select {
		case <-done:
			return
		case <-retry.C:
		}
		n, err := node.ClientUnblock(context.Background(), id).Result()
		if err == nil && n == 1 {
			return
		}
		pause = min(max(2*pause, time.Millisecond), 50*time.Millisecond)
		retry.Reset(pause)
	}
}
