package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
)

// natsSubConns is the most connections the NATS subscribers are spread
// over (round robin), as components of one process would share a few.
const natsSubConns = 8

// natsServer is an embedded NATS server that does not listen: clients
// connect in-process.
type natsServer struct {
	s *server.Server
}

// startNATS starts an in-process NATS server. A non-empty storeDir enables
// JetStream with its file store there; syncAlways makes it fsync every
// write.
func startNATS(storeDir string, syncAlways bool) (*natsServer, error) {
	opts := &server.Options{
		DontListen: true,
		NoLog:      true,
		NoSigs:     true,
		MaxPayload: 8 << 20,
	}
	if storeDir != "" {
		opts.JetStream = true
		opts.StoreDir = storeDir
		opts.SyncAlways = syncAlways
	}
	s, err := server.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("nats: new server: %w", err)
	}
	go s.Start()
	if !s.ReadyForConnections(10 * time.Second) {
		s.Shutdown()
		s.WaitForShutdown()
		return nil, errors.New("nats: server not ready")
	}
	return &natsServer{s: s}, nil
}

func (n *natsServer) connect() (*nats.Conn, error) {
	nc, err := nats.Connect("", nats.InProcessServer(n.s), nats.MaxReconnects(0))
	if err != nil {
		return nil, fmt.Errorf("nats: connect: %w", err)
	}
	return nc, nil
}

func (n *natsServer) stop() {
	n.s.Shutdown()
	n.s.WaitForShutdown()
}

// natsPeer is core NATS (no JetStream) embedded in-process.
type natsPeer struct{}

func (natsPeer) name() string { return "NATS" }

type natsSession struct {
	srv   *natsServer
	conns []*nats.Conn
}

func (natsPeer) start(cfg pubsubConfig, sink *tracker) (pubsubSession, error) {
	srv, err := startNATS("", false)
	if err != nil {
		return nil, err
	}
	s := &natsSession{srv: srv}
	if err := s.subscribe(cfg, sink); err != nil {
		s.close()
		return nil, err
	}
	return s, nil
}

func (s *natsSession) subscribe(cfg pubsubConfig, sink *tracker) error {
	conns := make([]*nats.Conn, min(cfg.subscribers, natsSubConns))
	for i := range conns {
		nc, err := s.srv.connect()
		if err != nil {
			return err
		}
		conns[i] = nc
		s.conns = append(s.conns, nc)
	}
	for i := range cfg.subscribers {
		sub, err := conns[i%len(conns)].Subscribe(fanoutSubject, func(m *nats.Msg) { sink.deliver(i, m.Data) })
		if err != nil {
			return fmt.Errorf("nats: subscribe: %w", err)
		}
		if err := sub.SetPendingLimits(-1, -1); err != nil {
			return fmt.Errorf("nats: pending limits: %w", err)
		}
	}
	if len(cfg.patterns) > 0 {
		pc, err := s.srv.connect()
		if err != nil {
			return err
		}
		s.conns = append(s.conns, pc)
		// One shared channel for every pattern: SubscribeSync would make a
		// 64k-slot channel per subscription (5 GB for 10,000).
		never := make(chan *nats.Msg, 1)
		for _, p := range cfg.patterns {
			if _, err := pc.ChanSubscribe(p, never); err != nil {
				return fmt.Errorf("nats: subscribe %q: %w", p, err)
			}
		}
	}
	for _, nc := range s.conns {
		if err := nc.Flush(); err != nil {
			return fmt.Errorf("nats: flush: %w", err)
		}
	}
	return nil
}

func (s *natsSession) publisher() (publisher, error) {
	nc, err := s.srv.connect()
	if err != nil {
		return nil, err
	}
	s.conns = append(s.conns, nc)
	return natsPublisher{nc}, nil
}

func (s *natsSession) close() error {
	for _, nc := range s.conns {
		nc.Close()
	}
	s.srv.stop()
	return nil
}

// natsPublisher publishes on its own connection; the client's flusher
// sends buffered messages on its own, so flush has nothing to do.
type natsPublisher struct{ nc *nats.Conn }

func (p natsPublisher) publish(payload []byte) error { return p.nc.Publish(fanoutSubject, payload) }

func (natsPublisher) flush() error { return nil }

// jetStreamName is the JetStream stream holding streamKey.
const jetStreamName = "BENCH"

// jsStreams is NATS JetStream embedded in-process: memory storage in
// memory, file storage with the server's sync always when durable.
type jsStreams struct{}

func (jsStreams) name() string { return "JetStream" }

type jsStore struct {
	srv *natsServer
	nc  *nats.Conn
	js  nats.JetStreamContext
}

func (jsStreams) open(_ context.Context, mode storeMode, dir string) (streamStore, error) {
	return openJetStream(dir, mode == durableStore, mode == durableStore)
}

// openJetStream starts a server with JetStream in dir and creates the
// stream, on file storage if file, with every write fsynced if syncAlways.
func openJetStream(dir string, file, syncAlways bool) (*jsStore, error) {
	srv, err := startNATS(dir, syncAlways)
	if err != nil {
		return nil, err
	}
	s := &jsStore{srv: srv}
	if s.nc, err = srv.connect(); err != nil {
		s.close()
		return nil, err
	}
	if s.js, err = s.nc.JetStream(nats.PublishAsyncMaxPending(4096)); err != nil {
		s.close()
		return nil, fmt.Errorf("jetstream: context: %w", err)
	}
	storage := nats.MemoryStorage
	if file {
		storage = nats.FileStorage
	}
	if _, err := s.js.AddStream(&nats.StreamConfig{Name: jetStreamName, Subjects: []string{streamKey}, Storage: storage}); err != nil {
		s.close()
		return nil, fmt.Errorf("jetstream: add stream: %w", err)
	}
	return s, nil
}

func (s *jsStore) add(_ context.Context, i int) error {
	_, err := s.js.Publish(streamKey, entryBody(i))
	return err
}

func (s *jsStore) bulk(ctx context.Context, n int) error {
	for lo := 0; lo < n; lo += jsBulkBatch {
		for i := lo; i < min(lo+jsBulkBatch, n); i++ {
			if _, err := s.js.PublishAsync(streamKey, entryBody(i)); err != nil {
				return fmt.Errorf("jetstream: publish: %w", err)
			}
		}
		select {
		case <-s.js.PublishAsyncComplete():
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// jsBulkBatch is how many asynchronous publishes a bulk load has in flight
// before it waits for their acknowledgements.
const jsBulkBatch = 2000

func (s *jsStore) group(context.Context) (groupReader, error) {
	sub, err := s.js.PullSubscribe(streamKey, "g", nats.AckExplicit(), nats.DeliverAll(), nats.BindStream(jetStreamName))
	if err != nil {
		return nil, fmt.Errorf("jetstream: pull subscribe: %w", err)
	}
	return jsGroup{sub}, nil
}

func (s *jsStore) close() error {
	if s.nc != nil {
		s.nc.Close()
	}
	s.srv.stop()
	return nil
}

// jsGroup is a durable pull consumer: Fetch, then Ack each message.
type jsGroup struct{ sub *nats.Subscription }

func (g jsGroup) readAck(_ context.Context, count int) (int, error) {
	msgs, err := g.sub.Fetch(count, nats.MaxWait(5*time.Second))
	if err != nil {
		return 0, fmt.Errorf("jetstream: fetch: %w", err)
	}
	for _, m := range msgs {
		if err := m.Ack(); err != nil {
			return 0, fmt.Errorf("jetstream: ack: %w", err)
		}
	}
	return len(msgs), nil
}

// jsMemory measures JetStream's file store size per entry (the stream's
// State.Bytes) over n entries.
func jsMemory(ctx context.Context, dir string, n int) (float64, error) {
	s, err := openJetStream(dir, true, false)
	if err != nil {
		return 0, err
	}
	defer s.close()
	if err := s.bulk(ctx, n); err != nil {
		return 0, err
	}
	info, err := s.js.StreamInfo(jetStreamName)
	if err != nil {
		return 0, fmt.Errorf("jetstream: stream info: %w", err)
	}
	if info.State.Msgs != uint64(n) {
		return 0, fmt.Errorf("jetstream: stored %d of %d messages", info.State.Msgs, n)
	}
	return float64(info.State.Bytes) / float64(n), nil
}
