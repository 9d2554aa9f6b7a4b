package broker

import (
	"context"
	"errors"
)

// Client is what an application programs against when it should not care
// where its broker lives: [PubSub], [Streams] and Close. *[Broker] implements
// it (in memory with [New], durable with [Open]); so does package
// github.com/brookmq/brook/redis over a Redis server, Sentinel or Cluster.
// Moving an application from one to the other changes the line that makes
// the Client and nothing else.
//
// The methods are Broker's, with Broker's documentation and rules ("One rule
// per concept" in the package documentation): the same options, the same
// sentinels, the same Block and ctx semantics. What an implementation cannot
// keep identical is documented by that implementation. Package
// github.com/brookmq/brook/broker/brooktest is the behavioural suite every
// implementation passes.
//
// Introspection (Channels, NumSub, NumPat, XInfo*), XAddBatch, Range and the
// richer Subscription (subscribing and unsubscribing later, per-subscription
// limits) are not part of the contract: they are Broker's, or have no
// faithful Redis counterpart (on a Cluster, PUBSUB NUMSUB is per node).
type Client interface {
	PubSub
	Streams
	// Close releases the client. Afterwards every method returns
	// [ErrClosed] and every Receiver it made ends with ErrClosed.
	Close() error
}

// PubSub is the Pub/Sub half of a [Client].
type PubSub interface {
	// Publish delivers payload to the subscribers of channel and of the
	// patterns matching it and returns the number of deliveries (PUBLISH).
	// Messages from one publisher on one channel arrive in order.
	Publish(ctx context.Context, channel string, payload []byte) (int, error)

	// Listen returns a Receiver subscribed to channels and to glob patterns
	// (SUBSCRIBE and PSUBSCRIBE), active when Listen returns: a Publish that
	// starts afterwards counts and reaches it. At least one channel or
	// pattern is needed (ErrInvalidArgument).
	Listen(ctx context.Context, channels, patterns []string) (Receiver, error)
}

// Receiver is one subscription as a [Client] hands it out: *[Subscription]
// implements it. Next and Close follow Subscription's rules: Next returns
// the next message, ctx's error when ctx ends, and ErrClosed after Close (or
// after the Client's Close); Next must not be called concurrently with
// itself; Close is idempotent.
type Receiver interface {
	Next(ctx context.Context) (Message, error)
	Close() error
}

// Streams is the Streams half of a [Client]: Broker's stream methods,
// each named after its Redis command.
type Streams interface {
	XAdd(ctx context.Context, key string, fields []Field, o AddOptions) (ID, error)
	XRange(ctx context.Context, key string, start, end ID, count int) ([]Entry, error)
	XRevRange(ctx context.Context, key string, end, start ID, count int) ([]Entry, error)
	XLen(ctx context.Context, key string) (int64, error)
	XDel(ctx context.Context, key string, ids ...ID) (int64, error)
	XTrim(ctx context.Context, key string, t Trim) (int64, error)
	Del(ctx context.Context, keys ...string) (int64, error)

	XRead(ctx context.Context, streams []ReadStream, o ReadOptions) ([]StreamEntries, error)
	XReadGroup(ctx context.Context, group, consumer string, streams []ReadStream, o GroupReadOptions) ([]StreamEntries, error)

	XGroupCreate(ctx context.Context, key, group string, o GroupCreateOptions) error
	XGroupDestroy(ctx context.Context, key, group string) (bool, error)
	XGroupSetID(ctx context.Context, key, group string, o GroupSetIDOptions) error
	XGroupCreateConsumer(ctx context.Context, key, group, consumer string) (bool, error)
	XGroupDelConsumer(ctx context.Context, key, group, consumer string) (int64, error)

	XAck(ctx context.Context, key, group string, ids ...ID) (int64, error)
	XPending(ctx context.Context, key, group string) (PendingSummary, error)
	XPendingRange(ctx context.Context, key, group string, o PendingOptions) ([]Pending, error)
	XClaim(ctx context.Context, key, group, consumer string, ids []ID, o ClaimOptions) ([]Entry, error)
	XAutoClaim(ctx context.Context, key, group, consumer string, o AutoClaimOptions) (AutoClaimResult, error)
}

var _ Client = (*Broker)(nil)
var _ Receiver = (*Subscription)(nil)

// Listen is [PubSub.Listen] for a Broker: a subscription with the broker's
// default options (as [Broker.Subscribe] makes), subscribed to channels and
// patterns, returned as a [Receiver]. It exists so that *Broker is a
// [Client]; code that holds a *Broker can use Subscribe, PSubscribe or
// NewSubscription for the concrete *Subscription. Listen does not block:
// ctx is only checked, and one that has already ended returns its error.
// Without channels and patterns it is ErrInvalidArgument; after
// [Broker.Close] it is ErrClosed.
func (b *Broker) Listen(ctx context.Context, channels, patterns []string) (Receiver, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if len(channels) == 0 && len(patterns) == 0 {
		return nil, invalid("Listen needs a channel or a pattern")
	}
	s, _ := b.NewSubscription(SubscriptionOptions{}) // the defaults were checked by New
	var err error
	if len(channels) > 0 {
		_, err = s.Subscribe(channels...)
	}
	if err == nil && len(patterns) > 0 {
		_, err = s.PSubscribe(patterns...)
	}
	if err != nil {
		s.Close()
		if errors.Is(err, ErrClosed) {
			return nil, ErrClosed
		}
		return nil, err
	}
	return s, nil
}
