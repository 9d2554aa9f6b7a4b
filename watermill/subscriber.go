package watermill

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/brookmq/brook/broker"
)

// Defaults of [SubscriberConfig].
const (
	DefaultGroup        = "watermill"
	DefaultReadCount    = 10
	DefaultBlockTime    = time.Second
	DefaultClaimMinIdle = time.Minute
)

// ReleasedConsumer is the consumer that holds the entries a subscription
// released when it ended without acknowledging them (see the package
// documentation). Do not use it as a consumer name.
const ReleasedConsumer = "_watermill.released"

// SubscriberConfig configures a [Subscriber]. The zero value works: every
// subscription joins the consumer group "watermill" (created at the beginning
// of the stream) under a consumer name of its own, so the subscriptions of one
// topic share its messages.
type SubscriberConfig struct {
	// Group is the consumer group every subscription reads with, or with
	// FanOut the prefix of each subscription's own group. Default (""):
	// [DefaultGroup].
	Group string
	// FanOut gives each subscription a consumer group of its own, named
	// Group + "." + a new UUID, so every subscription receives every
	// message; the group is destroyed when the subscription ends. Default
	// false: all subscriptions share Group and each message goes to one of
	// them (load balancing).
	FanOut bool
	// Consumer is the consumer name of every subscription. A stable name
	// lets a restarted subscriber receive first the entries it had read and
	// not acknowledged; two subscriptions of one topic and group must not
	// share it. Default (""): a new UUID per subscription, and the consumer
	// is deleted from the group when the subscription ends.
	Consumer string
	// Start is where a group created by the subscriber starts: the zero
	// value is the beginning of the stream, so messages published before
	// the first subscription are delivered; [broker.Latest] skips them.
	// A group that exists already is left where it is.
	Start broker.Position
	// ReadCount is how many entries a subscription reads at once. They
	// become pending for its consumer when read and are handed out one at a
	// time. Default (0): [DefaultReadCount].
	ReadCount int
	// BlockTime is how long a read waits for new entries before the
	// subscription looks again for entries to claim. Default (0):
	// [DefaultBlockTime].
	BlockTime time.Duration
	// ClaimMinIdle is how long an entry must stay pending, unacknowledged,
	// for another consumer of the group before a subscription claims it
	// (XAUTOCLAIM), so that a crashed consumer's entries are not stuck.
	// Released entries are claimed at once whatever it is. Idle time counts
	// from the read, so entries read ahead (ReadCount) age while they wait
	// their turn: keep ReadCount times the handling time of a message well
	// below it, or a slow subscription's entries are delivered twice.
	// Default (0): [DefaultClaimMinIdle].
	ClaimMinIdle time.Duration
	// NackDelay is how long a subscription waits before redelivering a
	// message that was nacked. Default (0): redelivered at once.
	NackDelay time.Duration
	// Logger receives the errors that end a subscription. Default (nil):
	// no logging.
	Logger watermill.LoggerAdapter
}

func (c SubscriberConfig) withDefaults() (SubscriberConfig, error) {
	if c.ReadCount < 0 || c.BlockTime < 0 || c.ClaimMinIdle < 0 || c.NackDelay < 0 {
		return c, fmt.Errorf("brook watermill: negative count or duration in %+v", c)
	}
	if c.Group == "" {
		c.Group = DefaultGroup
	}
	if c.Consumer == ReleasedConsumer {
		return c, fmt.Errorf("brook watermill: consumer name %q is reserved", c.Consumer)
	}
	if c.ReadCount == 0 {
		c.ReadCount = DefaultReadCount
	}
	if c.BlockTime == 0 {
		c.BlockTime = DefaultBlockTime
	}
	if c.ClaimMinIdle == 0 {
		c.ClaimMinIdle = DefaultClaimMinIdle
	}
	if c.Logger == nil {
		c.Logger = watermill.NopLogger{}
	}
	return c, nil
}

// Subscriber reads Watermill messages from brook streams with consumer groups.
// It does not own the broker: closing it leaves the broker open. It is safe
// for concurrent use.
type Subscriber struct {
	b      *broker.Broker
	cfg    SubscriberConfig
	ctx    context.Context // ended by Close; every subscription's context derives from it
	cancel context.CancelFunc

	mu     sync.Mutex // guards closed, and wg.Add against Close's wg.Wait
	closed bool
	wg     sync.WaitGroup // one per running subscription
}

var (
	_ message.Subscriber           = (*Subscriber)(nil)
	_ message.SubscribeInitializer = (*Subscriber)(nil)
)

// NewSubscriber returns a subscriber on b. A negative count or duration in
// cfg is an error.
func NewSubscriber(b *broker.Broker, cfg SubscriberConfig) (*Subscriber, error) {
	if b == nil {
		return nil, errors.New("brook watermill: nil broker")
	}
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Subscriber{b: b, cfg: cfg, ctx: ctx, cancel: cancel}, nil
}

// Subscribe starts a subscription of topic and returns its channel of
// messages. It creates the stream and the consumer group if they are missing
// before it returns, so every message published afterwards is delivered.
// Messages are handed out one at a time: the next one comes after the
// previous one was acked (XACK) or nacked (it is then delivered again first).
// The channel is closed when ctx ends, [Subscriber.Close] is called, the
// broker closes or a broker error ends the subscription (logged). The entries
// it had read and not acknowledged are then released to the group's other
// consumers. After Close, Subscribe returns [ErrClosed].
func (s *Subscriber) Subscribe(ctx context.Context, topic string) (<-chan *message.Message, error) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil, ErrClosed
	}
	s.wg.Add(1)
	s.mu.Unlock()

	sub := s.newSubscription(topic)
	ctx, cancel := context.WithCancel(ctx)
	stop := context.AfterFunc(s.ctx, cancel)
	if err := s.ensureGroup(ctx, topic, sub.group); err != nil {
		stop()
		cancel()
		s.wg.Done()
		if s.ctx.Err() != nil {
			return nil, ErrClosed // Close came while the group was created
		}
		return nil, err
	}
	go func() {
		defer s.wg.Done()
		defer cancel()
		defer stop()
		sub.run(ctx)
	}()
	return sub.out, nil
}

// SubscribeInitialize creates topic's stream and the consumer group, if they
// are missing, without subscribing. With FanOut it does nothing, as each
// subscription creates its own group. After Close it returns [ErrClosed].
func (s *Subscriber) SubscribeInitialize(topic string) error {
	s.mu.Lock()
	closed := s.closed
	s.mu.Unlock()
	if closed {
		return ErrClosed
	}
	if s.cfg.FanOut {
		return nil
	}
	return s.ensureGroup(s.ctx, topic, s.cfg.Group)
}

// Close ends every subscription, waits until their goroutines have returned
// (each releases its unacknowledged entries first), and makes later
// Subscribe calls return [ErrClosed]. It is idempotent and returns nil.
func (s *Subscriber) Close() error {
	s.mu.Lock()
	s.closed = true
	s.cancel()
	s.mu.Unlock()
	s.wg.Wait()
	return nil
}

// ensureGroup creates group on topic at the configured start, creating the
// stream too if needed; an existing group is left as it is.
func (s *Subscriber) ensureGroup(ctx context.Context, topic, group string) error {
	err := s.b.XGroupCreate(ctx, topic, group, broker.GroupCreateOptions{Start: s.cfg.Start, MkStream: true})
	if err != nil && !errors.Is(err, broker.ErrGroupExists) {
		return fmt.Errorf("brook watermill: create group %q on %q: %w", group, topic, err)
	}
	return nil
}

func (s *Subscriber) newSubscription(topic string) *subscription {
	sub := &subscription{
		b:        s.b,
		cfg:      s.cfg,
		topic:    topic,
		group:    s.cfg.Group,
		consumer: s.cfg.Consumer,
		out:      make(chan *message.Message),
	}
	if s.cfg.FanOut {
		sub.group += "." + watermill.NewUUID()
		sub.ephemeral = true
	}
	if sub.consumer == "" {
		sub.consumer = watermill.NewUUID()
		sub.generated = true
	}
	sub.log = s.cfg.Logger.With(watermill.LogFields{
		"topic": topic, "group": sub.group, "consumer": sub.consumer,
	})
	return sub
}
