package main

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/brookmq/brook/broker"
)

// brookPeer is brook's in-memory broker.
type brookPeer struct{}

func (brookPeer) name() string { return "brook" }

type brookSession struct {
	b  *broker.Broker
	wg sync.WaitGroup
}

func (brookPeer) start(cfg pubsubConfig, sink *tracker) (pubsubSession, error) {
	s := &brookSession{b: broker.New(broker.Options{})}
	if len(cfg.patterns) > 0 {
		if _, err := s.b.PSubscribe(cfg.patterns...); err != nil {
			s.close()
			return nil, fmt.Errorf("brook: psubscribe: %w", err)
		}
	}
	for i := range cfg.subscribers {
		sub, err := s.b.Subscribe(fanoutSubject)
		if err != nil {
			s.close()
			return nil, fmt.Errorf("brook: subscribe: %w", err)
		}
		s.wg.Go(func() {
			ctx := context.Background()
			for {
				m, err := sub.Next(ctx)
				if err != nil {
					return // broker.ErrClosed at the end of the run
				}
				sink.deliver(i, m.Payload)
			}
		})
	}
	return s, nil
}

func (s *brookSession) publisher() (publisher, error) { return brookPublisher{s.b}, nil }

func (s *brookSession) close() error {
	err := s.b.Close()
	s.wg.Wait()
	return err
}

type brookPublisher struct{ b *broker.Broker }

func (p brookPublisher) publish(payload []byte) error {
	n, err := p.b.Publish(context.Background(), fanoutSubject, payload)
	if err == nil && n == 0 {
		err = errors.New("brook: publish reached no subscriber")
	}
	return err
}

func (brookPublisher) flush() error { return nil }
