package watermill

import (
	"errors"
	"fmt"
	"sync"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/brookmq/brook/broker"
)

// ErrClosed is returned by [Publisher.Publish] after [Publisher.Close] and by
// [Subscriber.Subscribe] and [Subscriber.SubscribeInitialize] after
// [Subscriber.Close].
var ErrClosed = errors.New("brook watermill: closed")

// PublisherConfig configures a [Publisher]. The zero value appends without
// trimming.
type PublisherConfig struct {
	// Trim is applied to the topic's stream after each Publish call (MAXLEN
	// or MINID, as XADD's trimming options). Default (zero): no trimming.
	// Trimming can remove entries that consumer groups have not read yet.
	Trim broker.Trim
}

// Publisher appends Watermill messages to brook streams, one stream per
// topic. It does not own the broker: closing it leaves the broker open.
// It is safe for concurrent use.
type Publisher struct {
	b   *broker.Broker
	cfg PublisherConfig

	mu     sync.RWMutex // guards closed; Publish holds it shared while it appends
	closed bool
}

var _ message.Publisher = (*Publisher)(nil)

// NewPublisher returns a publisher on b.
func NewPublisher(b *broker.Broker, cfg PublisherConfig) (*Publisher, error) {
	if b == nil {
		return nil, errors.New("brook watermill: nil broker")
	}
	return &Publisher{b: b, cfg: cfg}, nil
}

// Publish appends msgs, in order, to the stream named topic, creating it if
// needed. The messages are appended together with [broker.Broker.XAddBatch]:
// all or none, and on a durable broker Publish returns once they are durable
// under its fsync policy. A batch too large for one log record
// ([broker.ErrBatchTooLarge]) is appended one message at a time instead.
// The context of the first message bounds the call (see "Cancellation" in
// the broker's documentation for what an error then means).
// After [Publisher.Close] it returns [ErrClosed].
func (p *Publisher) Publish(topic string, msgs ...*message.Message) error {
	p.mu.RLock()
	defer p.mu.RUnlock()
	if p.closed {
		return ErrClosed
	}
	if len(msgs) == 0 {
		return nil
	}
	ctx := msgs[0].Context()
	batch := make([][]broker.Field, len(msgs))
	for i, m := range msgs {
		batch[i] = encode(m)
	}
	o := broker.AddOptions{Trim: p.cfg.Trim}
	_, err := p.b.XAddBatch(ctx, topic, batch, o)
	if errors.Is(err, broker.ErrBatchTooLarge) {
		for _, fields := range batch {
			if _, err = p.b.XAdd(ctx, topic, fields, o); err != nil {
				break
			}
		}
	}
	if err != nil {
		return fmt.Errorf("brook watermill: publish to %q: %w", topic, err)
	}
	return nil
}

// Close makes later Publish calls return [ErrClosed]. It waits for the Publish
// calls in progress to return. It is idempotent and always returns nil.
func (p *Publisher) Close() error {
	p.mu.Lock()
	p.closed = true
	p.mu.Unlock()
	return nil
}
