package brookredis

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/brookmq/brook/broker"
	"github.com/redis/go-redis/v9"
)

// Options configure a Client. The zero value works.
type Options struct {
	// ChannelSize is the number of messages go-redis buffers for each
	// [broker.Receiver] between the connection and Next. Default (0): 100,
	// go-redis's own default. See "Pub/Sub" in the package documentation for
	// what happens when it is full.
	ChannelSize int

	// ChannelSendTimeout is how long go-redis waits for room in a full
	// Receiver buffer before it drops the message (and logs it). Default
	// (0): one minute, go-redis's own default.
	ChannelSendTimeout time.Duration

	// Clock gives the local time from which [broker.Pending.Delivered] is
	// computed (Redis reports idle times, not instants). Default: time.Now.
	Clock func() time.Time
}

// Client is a [broker.Client] over a go-redis client: a single server,
// Sentinel (failover) or Cluster. It is safe for concurrent use.
type Client struct {
	rdb     redis.UniversalClient
	cluster *redis.ClusterClient // rdb, when it is a Cluster client
	opts    Options
	slice   time.Duration // longest BLOCK of one command, under the read timeout
	warmed  sync.Map      // *redis.Client -> struct{}: see Client.warm

	mu        sync.Mutex
	closed    bool
	receivers map[*receiver]struct{}
}

var _ broker.Client = (*Client)(nil)

// New returns a Client over rdb. The Client owns rdb: [Client.Close]
// closes it.
func New(rdb redis.UniversalClient, opts Options) *Client {
	if opts.Clock == nil {
		opts.Clock = time.Now
	}
	c := &Client{rdb: rdb, opts: opts, receivers: make(map[*receiver]struct{})}
	readTimeout := 3 * time.Second // go-redis's default
	switch r := rdb.(type) {
	case *redis.ClusterClient:
		c.cluster = r
		readTimeout = r.Options().ReadTimeout
	case *redis.Client:
		readTimeout = r.Options().ReadTimeout
	}
	c.slice = blockSlice(readTimeout)
	return c
}

// blockSlice returns the longest BLOCK one command may ask for so that the
// server answers before go-redis's read deadline (ReadTimeout) passes: half
// of ReadTimeout, or ReadTimeout less one second when that is longer. Redis
// checks BLOCK timeouts hz times a second (10 by default), so an expiry can
// come about 100 ms late: ReadTimeout should be above 300 ms.
func blockSlice(readTimeout time.Duration) time.Duration {
	switch {
	case readTimeout < 0: // -1, -2: no deadline
		return broker.BlockForever
	case readTimeout == 0:
		readTimeout = 3 * time.Second
	}
	return readTimeout - min(readTimeout/2, time.Second)
}

// Close closes every Receiver the Client made and the go-redis client.
// Afterwards every method returns [broker.ErrClosed]. It is idempotent.
func (c *Client) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	rs := c.receivers
	c.receivers = nil
	c.mu.Unlock()
	for r := range rs {
		r.close()
	}
	return c.rdb.Close()
}

// check returns ErrClosed after Close and ctx's error once it has ended.
func (c *Client) check(ctx context.Context) error {
	c.mu.Lock()
	closed := c.closed
	c.mu.Unlock()
	if closed {
		return broker.ErrClosed
	}
	return ctx.Err()
}

// do runs a command whose first key is args[keyPos] (0: none) and returns its
// reply: nil for Redis's nil, and errors mapped to the broker's sentinels.
func (c *Client) do(ctx context.Context, keyPos int, args ...any) (any, error) {
	if err := c.check(ctx); err != nil {
		return nil, err
	}
	return c.run(ctx, c.rdb, keyPos, args...)
}

// run runs a command on p without the closed check.
func (c *Client) run(ctx context.Context, p processor, keyPos int, args ...any) (any, error) {
	cmd := redis.NewCmd(ctx, args...)
	if keyPos > 0 {
		cmd.SetFirstKeyPos(int8(keyPos))
	}
	_ = p.Process(ctx, cmd)
	v, err := cmd.Result()
	if errors.Is(err, redis.Nil) {
		return nil, nil
	}
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return nil, ctxErr
		}
		return nil, mapError(err)
	}
	return v, nil
}

// doInt runs a command replying an integer.
func (c *Client) doInt(ctx context.Context, keyPos int, args ...any) (int64, error) {
	v, err := c.do(ctx, keyPos, args...)
	if err != nil {
		return 0, err
	}
	return toInt(v)
}

// exists reports whether key exists.
func (c *Client) exists(ctx context.Context, key string) (bool, error) {
	n, err := c.doInt(ctx, 1, "exists", key)
	return n > 0, err
}

// noGroup refines ErrNoGroup from a NOGROUP reply, which Redis gives for a
// missing key and for a missing group alike: ErrNoStream if one of keys is
// missing.
func (c *Client) noGroup(ctx context.Context, err error, keys ...string) error {
	if !errors.Is(err, broker.ErrNoGroup) || errors.Is(err, broker.ErrGroupDeleted) {
		return err
	}
	for _, k := range keys {
		ok, xerr := c.exists(ctx, k)
		if xerr != nil {
			return xerr
		}
		if !ok {
			return fmt.Errorf("%w: %q", broker.ErrNoStream, k)
		}
	}
	return err
}

// invalid returns ErrInvalidArgument with the reason.
func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{broker.ErrInvalidArgument}, args...)...)
}
