package main

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/pubsub/gochannel"
	"github.com/brookmq/brook/broker"
	brookwm "github.com/brookmq/brook/watermill"
)

// wmTopic is the topic of the Watermill API workload.
const wmTopic = "bench.orders"

// wmWindow bounds the messages published and not yet acked in the Watermill
// API workload, for both backends: GoChannel starts two goroutines per
// message published, so a publisher far ahead of its subscriber would hold
// millions of them.
const wmWindow = 1024

// wmBackend is a Watermill Pub/Sub under the Watermill API workload.
type wmBackend interface {
	name() string
	// open returns a fresh Publisher and Subscriber sharing one Pub/Sub,
	// and the function that closes them and what they run on.
	open() (message.Publisher, message.Subscriber, func() error, error)
}

// brookWM is brook's Watermill backend on an in-memory broker, with the
// Subscriber's defaults (one consumer group, ReadCount 10).
type brookWM struct{}

func (brookWM) name() string { return "brook" }

func (brookWM) open() (message.Publisher, message.Subscriber, func() error, error) {
	b, err := broker.New(broker.Options{})
	if err != nil {
		return nil, nil, nil, err
	}
	pub, err := brookwm.NewPublisher(b, brookwm.PublisherConfig{})
	if err != nil {
		b.Close()
		return nil, nil, nil, err
	}
	sub, err := brookwm.NewSubscriber(b, brookwm.SubscriberConfig{})
	if err != nil {
		b.Close()
		return nil, nil, nil, err
	}
	return pub, sub, func() error { return errors.Join(sub.Close(), pub.Close(), b.Close()) }, nil
}

// goChannelWM is Watermill's GoChannel, output buffer as in the fan-out
// workload.
type goChannelWM struct{}

func (goChannelWM) name() string { return "Watermill" }

func (goChannelWM) open() (message.Publisher, message.Subscriber, func() error, error) {
	gc := gochannel.NewGoChannel(gochannel.Config{OutputChannelBuffer: watermillBuffer}, watermill.NopLogger{})
	return gc, gc, gc.Close, nil
}

// wmRate publishes n messages of payload bytes to a fresh backend, batch per
// Publish call, while one subscription receives and acks them; it returns
// messages per second from the first Publish to the last Ack.
func wmRate(ctx context.Context, be wmBackend, n, batch, payload int) (float64, error) {
	pub, sub, closeAll, err := be.open()
	if err != nil {
		return 0, err
	}
	subCtx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer func() {
		// Closing ends the subscription, which closes msgs and ends the
		// consumer below.
		cancel()
		_ = closeAll()
		wg.Wait()
	}()
	msgs, err := sub.Subscribe(subCtx, wmTopic)
	if err != nil {
		return 0, fmt.Errorf("subscribe: %w", err)
	}
	var acked atomic.Int64
	done := make(chan struct{})
	wg.Go(func() {
		for m := range msgs {
			m.Ack()
			if acked.Add(1) == int64(n) {
				close(done)
			}
		}
	})

	body := make([]byte, payload)
	start := time.Now()
	for sent := 0; sent < n; {
		k := min(batch, n-sent)
		if err := waitFor(ctx, func() bool { return int64(sent+k)-acked.Load() <= wmWindow }); err != nil {
			return 0, fmt.Errorf("window: %w after %d acks of %d sent", err, acked.Load(), sent)
		}
		ms := make([]*message.Message, k)
		for i := range ms {
			ms[i] = message.NewMessage(strconv.Itoa(sent+i), body)
		}
		if err := pub.Publish(wmTopic, ms...); err != nil {
			return 0, err
		}
		sent += k
	}
	select {
	case <-done:
	case <-time.After(drainGrace):
		return 0, fmt.Errorf("%w: %d of %d acked", errNotDrained, acked.Load(), n)
	case <-ctx.Done():
		return 0, ctx.Err()
	}
	return float64(n) / time.Since(start).Seconds(), nil
}

// runWatermill: brook's Watermill backend next to GoChannel, through
// Watermill's Publisher and Subscriber, one row per messages per Publish.
func runWatermill(e *env) error {
	var bes []wmBackend
	for _, be := range []wmBackend{brookWM{}, goChannelWM{}} {
		if e.wants(be.name()) {
			bes = append(bes, be)
		}
	}
	n := e.size.wmMessages
	t := e.res.table("watermill", fmt.Sprintf("Watermill API: publish %d messages (64 B) and consume them through a Subscriber, Ack each: messages/s (brook = brook's Watermill backend, in memory; Watermill = GoChannel)", n), "messages per Publish", perSec)
	for _, batch := range e.size.wmBatches {
		row := strconv.Itoa(batch)
		err := e.record("watermill batch="+row, names(bes), func(i int) (string, error) {
			r, err := wmRate(e.ctx, bes[i], n, batch, 64)
			if err != nil {
				return "", err
			}
			t.add(row, bes[i].name(), r)
			return format(perSec, r) + " messages/s", nil
		}, func(i int, err error) { t.fail(row, bes[i].name(), err) })
		if err != nil {
			return err
		}
	}
	return nil
}
