package bench_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/brookmq/brook/broker"
)

// window is how many messages a subscriber may lag behind the publisher, on
// both systems: the capacity of a raw channel, and a brook subscription's
// hard limit (PolicyBlock) in messages.
const window = 1024

// channel is the Pub/Sub channel of every workload.
const channel = "bench"

// mode is how a rig's messages are published and timed.
type mode uint8

const (
	// flood: one publisher sends as fast as flow control allows; one message
	// in sampleEvery is timed.
	flood mode = iota
	// probe: one message at a time, each timed; the publisher waits until
	// every reader has it.
	probe
	// parallel: several publishers at once, untimed.
	parallel
)

// reader is what one subscriber goroutine counted and timed.
type reader struct {
	n   uint64
	lat []time.Duration
	err error
}

// rig is a running Pub/Sub workload: N readers of one channel, on brook or
// on raw Go channels, with the publishing side in send and the shutdown in
// halt. It is driven by one goroutine (publish) or, in parallel mode, by
// several calling send.
type rig struct {
	mode    mode
	payload []byte
	br      *broker.Broker // nil on raw channels
	send    func(payload []byte) error
	halt    func() error // stops the readers and waits for them

	readers  []reader
	wg       sync.WaitGroup
	st       *stamps       // flood: publish times of sampled messages
	probeAt  time.Time     // probe: publish time of the message in flight
	got      atomic.Int64  // probe: readers that have the message in flight
	ack      chan struct{} // probe: the last reader's signal
	dead     chan struct{} // closed when a reader ends with an error
	deadOnce sync.Once
	seq      uint64
	stopOnce sync.Once
	stopErr  error
}

// system builds a rig of n readers for size-byte payloads.
type system struct {
	name string
	new  func(n, size int, m mode) (*rig, error)
}

var systems = []system{{"brook", newBrookRig}, {"chan", newChanRig}}

func newRig(n, size int, m mode) *rig {
	return &rig{
		mode:    m,
		payload: make([]byte, size),
		readers: make([]reader, n),
		st:      newStamps(),
		ack:     make(chan struct{}, 1),
		dead:    make(chan struct{}),
	}
}

// receive accounts for one message received by rd.
func (r *rig) receive(rd *reader) {
	switch r.mode {
	case flood:
		rd.lat = r.st.sample(rd.n, rd.lat)
	case probe:
		rd.lat = append(rd.lat, time.Since(r.probeAt))
		if r.got.Add(1) == int64(len(r.readers)) {
			r.ack <- struct{}{}
		}
	}
	rd.n++
}

// fail records a reader's error and releases a waiting prober.
func (r *rig) fail(rd *reader, err error) {
	rd.err = err
	r.deadOnce.Do(func() { close(r.dead) })
}

// publish sends the next message (flood and probe modes); in probe mode it
// returns once every reader has it.
func (r *rig) publish() error {
	switch r.mode {
	case flood:
		r.st.mark(r.seq)
	case probe:
		r.got.Store(0)
		r.probeAt = time.Now()
	}
	r.seq++
	if err := r.send(r.payload); err != nil {
		return err
	}
	if r.mode == probe {
		select {
		case <-r.ack:
		case <-r.dead:
			return errors.New("bench: a reader failed during a probe")
		}
	}
	return nil
}

// stop stops the readers once; later calls return the first result.
func (r *rig) stop() error {
	r.stopOnce.Do(func() { r.stopErr = r.halt() })
	return r.stopErr
}

// finish stops the readers, checks that each received total messages and
// returns every latency sample.
func (r *rig) finish(total uint64) ([]time.Duration, error) {
	errs := []error{r.stop()}
	var lat []time.Duration
	for i := range r.readers {
		rd := &r.readers[i]
		errs = append(errs, rd.err)
		if rd.err == nil && rd.n != total {
			errs = append(errs, fmt.Errorf("bench: reader %d received %d of %d messages", i, rd.n, total))
		}
		lat = append(lat, rd.lat...)
	}
	return lat, errors.Join(errs...)
}

// newBrookRig subscribes n readers to channel on a new in-memory broker,
// each with a queue of window messages under PolicyBlock.
func newBrookRig(n, size int, m mode) (*rig, error) {
	r := newRig(n, size, m)
	limit := window * (int64(size) + int64(len(channel)) + broker.MessageOverhead)
	r.br, _ = broker.New(broker.Options{PubSub: broker.PubSubOptions{
		HardLimit: limit, SoftLimit: -1, Policy: broker.PolicyBlock,
	}})
	ctx := context.Background()
	for i := range r.readers {
		s, err := r.br.Subscribe(channel)
		if err != nil {
			cerr := r.br.Close()
			r.wg.Wait()
			return nil, errors.Join(err, cerr)
		}
		r.wg.Go(func() { r.readBrook(ctx, s, &r.readers[i]) })
	}
	r.send = func(p []byte) error {
		d, err := r.br.Publish(ctx, channel, p)
		if err == nil && d != n {
			err = fmt.Errorf("bench: Publish delivered %d, want %d", d, n)
		}
		return err
	}
	r.halt = func() error {
		_, err := r.br.Publish(ctx, channel, nil) // the empty payload stops readers
		r.wg.Wait()
		return errors.Join(err, r.br.Close())
	}
	return r, nil
}

func (r *rig) readBrook(ctx context.Context, s *broker.Subscription, rd *reader) {
	defer s.Close()
	for {
		m, err := s.Next(ctx)
		if err != nil {
			r.fail(rd, err)
			return
		}
		if len(m.Payload) == 0 {
			return
		}
		r.receive(rd)
	}
}

// newChanRig starts n readers, each draining its own buffered channel of
// window messages; a send loops over the n channels.
func newChanRig(n, size int, m mode) (*rig, error) {
	r := newRig(n, size, m)
	chans := make([]chan []byte, n)
	for i := range chans {
		ch := make(chan []byte, window)
		chans[i] = ch
		r.wg.Go(func() {
			for range ch {
				r.receive(&r.readers[i])
			}
		})
	}
	r.send = func(p []byte) error {
		for _, ch := range chans {
			ch <- p
		}
		return nil
	}
	r.halt = func() error {
		for _, ch := range chans {
			close(ch)
		}
		r.wg.Wait()
		return nil
	}
	return r, nil
}

// subscribePatterns adds one subscription to r's broker holding p patterns
// that never match channel, in three shapes: a literal prefix, a leading
// star, and the channel's own name followed by a digit.
func subscribePatterns(r *rig, p int) error {
	s, err := r.br.NewSubscription(broker.SubscriptionOptions{})
	if err != nil {
		return err
	}
	pats := make([]string, 0, p)
	for i := range p {
		switch i % 3 {
		case 0:
			pats = append(pats, fmt.Sprintf("other.%d.*", i))
		case 1:
			pats = append(pats, fmt.Sprintf("*.user%d", i))
		default:
			pats = append(pats, fmt.Sprintf("%s%d*", channel, i))
		}
	}
	_, err = s.PSubscribe(pats...)
	return err
}
