package main

import "sync"

// rawChanCap is the buffer of each raw channel.
const rawChanCap = 1024

// rawPeer is the physical limit of in-process fan-out: one sender looping
// over N buffered channels, each drained by its own goroutine.
type rawPeer struct{}

func (rawPeer) name() string { return "raw chan" }

type rawSession struct {
	chans []chan []byte
	wg    sync.WaitGroup
}

func (rawPeer) start(cfg pubsubConfig, sink *tracker) (pubsubSession, error) {
	if len(cfg.patterns) > 0 {
		return nil, errUnsupported
	}
	s := &rawSession{chans: make([]chan []byte, cfg.subscribers)}
	for i := range s.chans {
		ch := make(chan []byte, rawChanCap)
		s.chans[i] = ch
		s.wg.Go(func() {
			for p := range ch {
				sink.deliver(i, p)
			}
		})
	}
	return s, nil
}

func (s *rawSession) publisher() (publisher, error) { return rawPublisher{s.chans}, nil }

func (s *rawSession) close() error {
	for _, ch := range s.chans {
		close(ch)
	}
	s.wg.Wait()
	return nil
}

type rawPublisher struct{ chans []chan []byte }

func (p rawPublisher) publish(payload []byte) error {
	for _, ch := range p.chans {
		ch <- payload
	}
	return nil
}

func (rawPublisher) flush() error { return nil }
