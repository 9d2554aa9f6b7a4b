package main

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"

	"github.com/brookmq/brook/broker"
	"github.com/brookmq/brook/stream"
	"github.com/brookmq/brook/wal"
)

// brookPeer is brook's in-memory broker.
type brookPeer struct{}

func (brookPeer) name() string { return "brook" }

type brookSession struct {
	b  *broker.Broker
	wg sync.WaitGroup
}

func (brookPeer) start(cfg pubsubConfig, sink *tracker) (pubsubSession, error) {
	b, err := broker.New(broker.Options{})
	if err != nil {
		return nil, err
	}
	s := &brookSession{b: b}
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

// brookStreams is brook's Streams: broker.New in memory, broker.Open with
// fsync always when durable.
type brookStreams struct{}

func (brookStreams) name() string { return "brook" }

type brookStore struct{ b *broker.Broker }

func (brookStreams) open(_ context.Context, mode storeMode, dir string) (streamStore, error) {
	if mode == memStore {
		b, err := broker.New(broker.Options{})
		return brookStore{b}, err
	}
	b, err := broker.Open(dir, broker.Options{Durability: broker.DurabilityOptions{Fsync: wal.FsyncAlways}})
	if err != nil {
		return nil, fmt.Errorf("brook: open: %w", err)
	}
	return brookStore{b}, nil
}

// brookFields returns entry i's fields.
func brookFields(i int) []stream.Field {
	u, p, a := entryValues(i)
	return []stream.Field{{Name: "user_id", Value: u}, {Name: "product", Value: p}, {Name: "amount", Value: a}}
}

func (s brookStore) add(ctx context.Context, i int) error {
	_, err := s.b.XAdd(ctx, streamKey, brookFields(i), broker.AddOptions{})
	return err
}

func (s brookStore) bulk(ctx context.Context, n int) error {
	for i := range n {
		id := stream.ExplicitID(stream.ID{Ms: entryMs(i)})
		if _, err := s.b.XAdd(ctx, streamKey, brookFields(i), broker.AddOptions{ID: id}); err != nil {
			return err
		}
	}
	return nil
}

func (s brookStore) group(ctx context.Context) (groupReader, error) {
	if err := s.b.XGroupCreate(ctx, streamKey, "g", broker.GroupCreateOptions{}); err != nil {
		return nil, err
	}
	return brookGroup(s), nil
}

func (s brookStore) close() error { return s.b.Close() }

type brookGroup struct{ b *broker.Broker }

func (g brookGroup) readAck(ctx context.Context, count int) (int, error) {
	res, err := g.b.XReadGroup(ctx, "g", "c", []broker.ReadStream{{Key: streamKey, From: broker.Undelivered()}}, broker.GroupReadOptions{Count: count})
	if err != nil || len(res) == 0 {
		return 0, err
	}
	ids := make([]stream.ID, len(res[0].Entries))
	for i, e := range res[0].Entries {
		ids[i] = e.ID
	}
	if _, err := g.b.XAck(ctx, streamKey, "g", ids...); err != nil {
		return 0, err
	}
	return len(ids), nil
}

// brookMemory measures brook's bytes per stream entry: the HeapAlloc delta
// after GC over n entries.
func brookMemory(ctx context.Context, n int) (float64, error) {
	b, err := broker.New(broker.Options{})
	if err != nil {
		return 0, err
	}
	defer b.Close()
	before := heapAfterGC()
	if err := (brookStore{b}).bulk(ctx, n); err != nil {
		return 0, err
	}
	after := heapAfterGC()
	runtime.KeepAlive(b)
	return (float64(after) - float64(before)) / float64(n), nil
}

// heapAfterGC collects garbage and returns HeapAlloc.
func heapAfterGC() uint64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}
