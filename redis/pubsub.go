package brookredis

import (
	"context"
	"fmt"
	"sync"

	"github.com/brookmq/brook/broker"
	"github.com/redis/go-redis/v9"
)

// Publish is PUBLISH. On a Cluster it goes to the node that owns channel's
// hash slot, and Redis then counts only the receivers connected to that node
// (every receiver gets the message): see the package documentation.
func (c *Client) Publish(ctx context.Context, channel string, payload []byte) (int, error) {
	n, err := c.doInt(ctx, 1, "publish", channel, payload)
	return int(n), err
}

// Listen subscribes one go-redis PubSub connection to channels and patterns
// and waits for Redis's confirmations, so the Receiver is active when Listen
// returns. On a Cluster the connection goes to the node that owns the first
// channel's (or pattern's) hash slot.
func (c *Client) Listen(ctx context.Context, channels, patterns []string) (broker.Receiver, error) {
	if err := c.check(ctx); err != nil {
		return nil, err
	}
	if len(channels) == 0 && len(patterns) == 0 {
		return nil, invalid("Listen needs a channel or a pattern")
	}
	ps := c.rdb.Subscribe(ctx) // connects on the first (P)SUBSCRIBE
	r := &receiver{ps: ps, done: make(chan struct{})}
	if err := r.subscribe(ctx, channels, patterns); err != nil {
		ps.Close()
		if ctxErr := ctx.Err(); ctxErr != nil {
			return nil, ctxErr
		}
		return nil, mapError(err)
	}
	var opts []redis.ChannelOption
	if c.opts.ChannelSize > 0 {
		opts = append(opts, redis.WithChannelSize(c.opts.ChannelSize))
	}
	if c.opts.ChannelSendTimeout > 0 {
		opts = append(opts, redis.WithChannelSendTimeout(c.opts.ChannelSendTimeout))
	}
	r.ch = ps.Channel(opts...)
	r.forget = func() {
		c.mu.Lock()
		delete(c.receivers, r)
		c.mu.Unlock()
	}
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		r.close()
		return nil, broker.ErrClosed
	}
	c.receivers[r] = struct{}{}
	c.mu.Unlock()
	return r, nil
}

// receiver is a broker.Receiver over a go-redis PubSub and its channel.
type receiver struct {
	ps     *redis.PubSub
	ch     <-chan *redis.Message
	early  []*redis.Message // messages that came with the confirmations
	forget func()           // removes the receiver from its Client

	once sync.Once
	done chan struct{} // closed by close
}

// subscribe sends SUBSCRIBE and PSUBSCRIBE and reads one confirmation per
// name; messages that arrive meanwhile are kept for Next.
func (r *receiver) subscribe(ctx context.Context, channels, patterns []string) error {
	if len(channels) > 0 {
		if err := r.ps.Subscribe(ctx, channels...); err != nil {
			return err
		}
	}
	if len(patterns) > 0 {
		if err := r.ps.PSubscribe(ctx, patterns...); err != nil {
			return err
		}
	}
	for confirmed := 0; confirmed < len(channels)+len(patterns); {
		msg, err := r.ps.Receive(ctx)
		if err != nil {
			return err
		}
		switch m := msg.(type) {
		case *redis.Subscription:
			confirmed++
		case *redis.Message:
			r.early = append(r.early, m)
		case *redis.Pong:
		default:
			return fmt.Errorf("brookredis: unexpected %T while subscribing", msg)
		}
	}
	return nil
}

// Next returns the next message, ctx's error when ctx ends, and
// [broker.ErrClosed] after Close or the Client's Close.
func (r *receiver) Next(ctx context.Context) (broker.Message, error) {
	select {
	case <-r.done:
		return broker.Message{}, broker.ErrClosed
	default:
	}
	if len(r.early) > 0 {
		m := r.early[0]
		r.early = r.early[1:]
		return message(m), nil
	}
	select {
	case m, ok := <-r.ch:
		if !ok {
			return broker.Message{}, broker.ErrClosed
		}
		return message(m), nil
	case <-r.done:
		return broker.Message{}, broker.ErrClosed
	case <-ctx.Done():
		return broker.Message{}, ctx.Err()
	}
}

// Close closes the PubSub connection. It is idempotent and returns nil.
func (r *receiver) Close() error {
	r.close()
	if r.forget != nil {
		r.forget()
	}
	return nil
}

// close closes the PubSub and drains its channel: go-redis's reader may be
// waiting to hand it one more message (for up to ChannelSendTimeout), and only
// then sees the connection closed, closes the channel and ends.
func (r *receiver) close() {
	r.once.Do(func() {
		close(r.done)
		r.ps.Close()
		if r.ch != nil {
			go func() {
				for range r.ch {
				}
			}()
		}
	})
}

// message converts a go-redis message. Redis tells message from pmessage by
// the pattern, which go-redis leaves empty for the former: a pattern
// subscription to "" (which matches only the channel "") reads as a
// channel delivery.
func message(m *redis.Message) broker.Message {
	return broker.Message{
		Channel:   m.Channel,
		Pattern:   m.Pattern,
		ByPattern: m.Pattern != "",
		Payload:   []byte(m.Payload),
	}
}
