package main

import (
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
		for _, p := range cfg.patterns {
			if _, err := pc.SubscribeSync(p); err != nil {
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
