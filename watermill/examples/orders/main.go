// Command orders runs order workers through a Watermill router on a durable
// brook broker.
//
//	cd watermill && go run ./examples/orders [-dir DIR] [-n N]
//
// A producer publishes N orders to the topic "orders"; a router handler
// processes them with two of Watermill's middlewares: Retry, which retries
// the orders that fail transiently (every order whose number ends in 3 fails
// once, in 7 twice), and PoisonQueue, which moves the one order that fails
// permanently (the middle one, whose card is declined) to the topic
// "orders.poison" with Watermill's poison metadata (reason_poisoned,
// topic_poisoned, handler_poisoned, subscriber_poisoned). Both topics are
// streams of a broker opened on DIR (default: a temporary directory, removed
// at the end), so a second run on the same DIR finds the first run's orders
// and poisoned order still there. The program waits until the workers' group
// has acknowledged every order, prints what happened and exits.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/message/router/middleware"
	"github.com/brookmq/brook/broker"
	brookwm "github.com/brookmq/brook/watermill"
)

const (
	ordersTopic = "orders"
	poisonTopic = "orders.poison"
	workerGroup = "order-workers" // the consumer group of the handler's subscriber
	handlerName = "order-worker"
)

// errDeclined is the permanent failure: Retry does not retry it, PoisonQueue
// moves its order to the poison topic.
var errDeclined = errors.New("card declined")

// errTransient is a failure that goes away when tried again.
var errTransient = errors.New("payment service unavailable")

// transientFailures is how many times order number i fails before it
// succeeds: once if it ends in 3, twice if it ends in 7.
func transientFailures(i int) int {
	switch i % 10 {
	case 3:
		return 1
	case 7:
		return 2
	}
	return 0
}

// poisonedOrder is the number of the order that always fails: the middle one.
func poisonedOrder(n int) int { return n/2 + 1 }

// config is what a run needs; main fills it from the flags.
type config struct {
	dir    string    // the broker's data directory
	orders int       // N, numbered 1..N
	out    io.Writer // the report
}

// poisoned is one message read back from the poison stream.
type poisoned struct {
	entry             broker.ID
	uuid, order       string
	reason, topic     string
	handler, consumer string
}

// report is what a run observed.
type report struct {
	published []string       // the orders' UUIDs, in order
	processed map[string]int // UUID -> successful handlings
	attempts  map[string]int // UUID -> handler calls
	retries   int            // handler calls after a first failure (Retry's work)
	poisoned  []poisoned     // this run's messages in the poison stream
	pending   int64          // orders read by the group and not acknowledged at the end
	// The streams' lengths at the end, earlier runs on the same directory
	// included.
	ordersLen, poisonLen int64
}

func main() {
	dir := flag.String("dir", "", "the broker's data `directory` (default: a temporary one, removed at the end)")
	n := flag.Int("n", 100, "how many `orders` to publish")
	flag.Parse()
	if err := mainErr(*dir, *n); err != nil {
		fmt.Fprintln(os.Stderr, "orders:", err)
		os.Exit(1)
	}
}

func mainErr(dir string, n int) error {
	if n < 1 {
		return errors.New("-n must be at least 1")
	}
	if dir == "" {
		tmp, err := os.MkdirTemp("", "brook-orders-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		dir = tmp
	}
	_, err := run(context.Background(), config{dir: dir, orders: n, out: os.Stdout})
	return err
}

// run opens the broker on cfg.dir, runs the producer and the router until
// every order is acknowledged, prints the report to cfg.out and closes
// everything.
func run(ctx context.Context, cfg config) (*report, error) {
	b, err := broker.Open(cfg.dir, broker.Options{})
	if err != nil {
		return nil, err
	}
	defer b.Close()
	pub, err := brookwm.NewPublisher(b, brookwm.PublisherConfig{})
	if err != nil {
		return nil, err
	}
	defer pub.Close()
	sub, err := brookwm.NewSubscriber(b, brookwm.SubscriberConfig{Group: workerGroup})
	if err != nil {
		return nil, err
	}
	defer sub.Close()

	rep := &report{processed: map[string]int{}, attempts: map[string]int{}}
	router, err := newRouter(pub, sub, rep, poisonedOrder(cfg.orders))
	if err != nil {
		return nil, err
	}
	runErr := make(chan error, 1)
	go func() { runErr <- router.Run(ctx) }()
	select {
	case <-router.Running(): // the handler subscribed: its group exists
	case err := <-runErr:
		return nil, fmt.Errorf("router: %w", err)
	}

	// The producer: one Publish per order, as orders come in one at a time.
	for i := 1; i <= cfg.orders; i++ {
		msg := message.NewMessage(watermill.NewUUID(), []byte(fmt.Sprintf(`{"order": %d, "total": %d}`, i, 10*i)))
		msg.Metadata.Set("order", strconv.Itoa(i))
		if err := pub.Publish(ordersTopic, msg); err != nil {
			_ = router.Close()
			return nil, err
		}
		rep.published = append(rep.published, msg.UUID)
	}

	waitErr := waitAcked(ctx, b)
	closeErr := router.Close() // stops the handler and closes the subscriber
	if err := errors.Join(waitErr, closeErr, <-runErr); err != nil {
		return nil, err
	}
	if err := rep.readBroker(ctx, b); err != nil {
		return nil, err
	}
	rep.print(cfg.out, cfg.dir)
	return rep, nil
}

// newRouter wires the handler and its middlewares: PoisonQueue outermost, so
// it sees the error Retry gives up with, then Retry.
func newRouter(pub message.Publisher, sub message.Subscriber, rep *report, poison int) (*message.Router, error) {
	router, err := message.NewRouter(message.RouterConfig{}, watermill.NopLogger{})
	if err != nil {
		return nil, err
	}
	pq, err := middleware.PoisonQueue(pub, poisonTopic)
	if err != nil {
		return nil, err
	}
	retry := middleware.Retry{
		MaxRetries:      3,
		InitialInterval: time.Millisecond,
		MaxInterval:     10 * time.Millisecond,
		Multiplier:      2,
		// A declined card stays declined: straight to the poison queue.
		ShouldRetry: func(p middleware.RetryParams) bool { return !errors.Is(p.Err, errDeclined) },
	}
	router.AddMiddleware(pq, retry.Middleware)

	var mu sync.Mutex // the router runs a handler call per message in a goroutine
	router.AddConsumerHandler(handlerName, ordersTopic, sub, func(msg *message.Message) error {
		order, err := strconv.Atoi(msg.Metadata.Get("order"))
		if err != nil {
			return fmt.Errorf("order without a number: %w", err)
		}
		mu.Lock()
		defer mu.Unlock()
		rep.attempts[msg.UUID]++
		tries := rep.attempts[msg.UUID]
		if tries > 1 {
			rep.retries++
		}
		switch {
		case order == poison:
			return fmt.Errorf("order %d: %w", order, errDeclined)
		case tries <= transientFailures(order):
			return fmt.Errorf("order %d, attempt %d: %w", order, tries, errTransient)
		}
		rep.processed[msg.UUID]++ // charge the card, ship the parcel...
		return nil
	})
	return router, nil
}

// waitAcked returns once the workers' group has read every order published
// and acknowledged all of them: its last delivered ID is the stream's last
// entry and nothing is pending. The router acknowledges a message after its
// handler (and the poison queue's Publish) returned, so this is when every
// order has been handled. It looks every few milliseconds; there is no call
// that blocks until a group drains.
func waitAcked(ctx context.Context, b *broker.Broker) error {
	last, err := b.XRevRange(ctx, ordersTopic, broker.MaxID, broker.MinID, 1)
	if err != nil || len(last) == 0 {
		return fmt.Errorf("last order: %v (%d entries)", err, len(last))
	}
	for {
		groups, err := b.XInfoGroups(ctx, ordersTopic)
		if err != nil {
			return err
		}
		for _, g := range groups {
			if g.Name == workerGroup && !g.LastDeliveredID.Less(last[0].ID) && g.Pending == 0 {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// readBroker reads back what the broker holds at the end: this run's
// messages in the poison stream, and the group's pending count.
func (r *report) readBroker(ctx context.Context, b *broker.Broker) error {
	ours := map[string]bool{}
	for _, u := range r.published {
		ours[u] = true
	}
	entries, err := b.XRange(ctx, poisonTopic, broker.MinID, broker.MaxID, 0)
	if err != nil {
		return err
	}
	for _, e := range entries {
		p := poisoned{entry: e.ID}
		for _, f := range e.Fields {
			switch f.Name {
			case "_uuid":
				p.uuid = f.Value
			case "_meta.order":
				p.order = f.Value
			case "_meta." + middleware.ReasonForPoisonedKey:
				p.reason = f.Value
			case "_meta." + middleware.PoisonedTopicKey:
				p.topic = f.Value
			case "_meta." + middleware.PoisonedHandlerKey:
				p.handler = f.Value
			case "_meta." + middleware.PoisonedSubscriberKey:
				p.consumer = f.Value
			}
		}
		if ours[p.uuid] {
			r.poisoned = append(r.poisoned, p)
		}
	}
	sum, err := b.XPending(ctx, ordersTopic, workerGroup)
	if err != nil {
		return err
	}
	r.pending = sum.Count
	if r.ordersLen, err = b.XLen(ctx, ordersTopic); err != nil {
		return err
	}
	r.poisonLen, err = b.XLen(ctx, poisonTopic)
	return err
}

func (r *report) print(w io.Writer, dir string) {
	retried := 0
	for _, n := range r.attempts {
		if n > 1 {
			retried++
		}
	}
	once, more := 0, 0
	for _, n := range r.processed {
		if n == 1 {
			once++
		} else {
			more++
		}
	}
	fmt.Fprintf(w, "published %d orders to %q (broker in %s)\n", len(r.published), ordersTopic, dir)
	fmt.Fprintf(w, "processed %d (%d exactly once, %d more than once)\n", len(r.processed), once, more)
	fmt.Fprintf(w, "retried   %d orders, %d retries (transient failures)\n", retried, r.retries)
	fmt.Fprintf(w, "poisoned  %d, in stream %q:\n", len(r.poisoned), poisonTopic)
	for _, p := range r.poisoned {
		fmt.Fprintf(w, "  entry %s: order %s %s\n", p.entry, p.order, p.uuid)
		fmt.Fprintf(w, "    %s=%q %s=%q\n", middleware.ReasonForPoisonedKey, p.reason, middleware.PoisonedTopicKey, p.topic)
		fmt.Fprintf(w, "    %s=%q %s=%q\n", middleware.PoisonedHandlerKey, p.handler, middleware.PoisonedSubscriberKey, p.consumer)
	}
	fmt.Fprintf(w, "pending   %d (unacknowledged orders)\n", r.pending)
	fmt.Fprintf(w, "on disk   %d entries in %q, %d in %q (this run and earlier ones on the directory)\n",
		r.ordersLen, ordersTopic, r.poisonLen, poisonTopic)
}
