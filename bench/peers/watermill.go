package main

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/pubsub/gochannel"
)

// watermillBuffer is the output channel buffer of each GoChannel subscriber.
const watermillBuffer = 1024

// watermillPeer is Watermill's in-process GoChannel Pub/Sub.
type watermillPeer struct{}

func (watermillPeer) name() string { return "Watermill" }

type watermillSession struct {
	gc     *gochannel.GoChannel
	cancel context.CancelFunc
	wg     sync.WaitGroup
	ids    atomic.Uint64
}

func (watermillPeer) start(cfg pubsubConfig, sink *tracker) (pubsubSession, error) {
	if len(cfg.patterns) > 0 {
		return nil, errUnsupported
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &watermillSession{
		gc:     gochannel.NewGoChannel(gochannel.Config{OutputChannelBuffer: watermillBuffer}, watermill.NopLogger{}),
		cancel: cancel,
	}
	for i := range cfg.subscribers {
		msgs, err := s.gc.Subscribe(ctx, fanoutSubject)
		if err != nil {
			s.close()
			return nil, fmt.Errorf("watermill: subscribe: %w", err)
		}
		s.wg.Go(func() {
			for m := range msgs {
				sink.deliver(i, m.Payload)
				m.Ack()
			}
		})
	}
	return s, nil
}

func (s *watermillSession) publisher() (publisher, error) { return watermillPublisher{s}, nil }

func (s *watermillSession) close() error {
	s.cancel()
	err := s.gc.Close()
	s.wg.Wait()
	return err
}

type watermillPublisher struct{ s *watermillSession }

// publish sends one message; Watermill needs a UUID per message, a counter
// is the cheapest unique one.
func (p watermillPublisher) publish(payload []byte) error {
	id := strconv.FormatUint(p.s.ids.Add(1), 10)
	return p.s.gc.Publish(fanoutSubject, message.NewMessage(id, payload))
}

func (watermillPublisher) flush() error { return nil }
