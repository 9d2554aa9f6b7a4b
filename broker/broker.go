package broker

import (
	"errors"
	"sync"
	"time"
)

// ErrClosed is returned by every method called after [Broker.Close].
var ErrClosed = errors.New("broker: closed")

// Options configure a broker. The zero value works: an in-memory broker with
// Redis's default Pub/Sub output-buffer limits and the wall clock.
type Options struct {
	// Clock returns the current time. Default: time.Now. Stream IDs ("*"),
	// delivery times, idle times, retention ages and IDMP expiry come from
	// it. The broker's sweeper sleeps on a real timer until the next
	// deadline as this clock measures it, so a clock that does not follow
	// the wall clock gets its age trimming and expiry late or at append time.
	Clock func() time.Time

	// PubSub holds the default limits and policy of every subscription.
	PubSub PubSubOptions

	// Limits bound what one stream entry may hold (checked by XAdd and
	// XAddBatch before anything changes). The zero value gives the defaults.
	Limits Limits

	// Durability configures the write-ahead log of a broker made by [Open].
	// Ignored by [New].
	Durability DurabilityOptions
}

// Broker is an in-process message broker: Redis-style Pub/Sub and Streams.
// It is safe for concurrent use.
type Broker struct {
	opts   Options
	clock  func() time.Time
	limits Limits // opts.Limits, defaults filled in

	hub *hub      // Pub/Sub (pubsub.go)
	reg *registry // named streams, locking, blocking reads (streams.go)
	jr  journal   // records changes: nothing in memory, the log when durable (journal.go)

	sweeper *sweeper // retention MaxAge and IDMP expiry (sweeper.go)

	closeOnce sync.Once
	closeErr  error
}

// New returns an in-memory broker. Nothing it holds survives the process.
// Invalid options (an unknown [SlowPolicy]) are [ErrInvalidArgument].
func New(opts Options) (*Broker, error) {
	if err := opts.check(); err != nil {
		return nil, err
	}
	return newBroker(opts), nil
}

// Open returns a broker whose streams are durable in dir, recovering what a
// previous run left there. dir is created (0700) if missing and locked for
// the life of the broker. Pub/Sub is never persisted.
//
// Invalid options are [ErrInvalidArgument]; a directory held by another
// broker is [ErrLocked]; data that cannot be recovered without loss is
// [ErrCorrupt] (see [DurabilityOptions].Repair) or [ErrFormatVersion].
func Open(dir string, opts Options) (*Broker, error) {
	if err := opts.check(); err != nil {
		return nil, err
	}
	if err := opts.Durability.check(); err != nil {
		return nil, err
	}
	b := newBroker(opts)
	d, err := openDurable(dir, b)
	if err != nil {
		b.Close()
		return nil, err
	}
	b.jr = journal{d: d}
	b.sweeper.scheduleAll()
	return b, nil
}

// check validates the options that New and Open share.
func (o Options) check() error {
	return o.PubSub.check()
}

func newBroker(opts Options) *Broker {
	b := &Broker{opts: opts, clock: opts.Clock, limits: opts.Limits.resolved()}
	if b.clock == nil {
		b.clock = time.Now
	}
	b.hub = newHub(opts.PubSub)
	b.reg = newRegistry(b)
	b.sweeper = newSweeper(b)
	return b
}

// nowMs is the broker clock in Unix milliseconds. A reading before 1970
// counts as 0: converted as is it would wrap to a huge value and make every
// later automatic ID exhaust the stream.
func (b *Broker) nowMs() uint64 {
	return uint64(max(b.clock().UnixMilli(), 0))
}

// Close stops the broker: subscriptions end with [ErrClosed], blocked readers
// return [ErrClosed], a durable broker writes a final snapshot and closes its
// log. Close returns once every goroutine the broker started has ended. It is
// idempotent.
func (b *Broker) Close() error {
	b.closeOnce.Do(func() {
		b.sweeper.close() // first: it may be changing a stream
		b.hub.close()
		b.reg.close()
		b.closeErr = b.jr.close()
	})
	return b.closeErr
}
