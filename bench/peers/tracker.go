package main

import (
	"encoding/binary"
	"errors"
	"sync/atomic"
	"time"
)

// errUnsupported is returned by a peer asked for a feature it lacks (for
// example pattern subscriptions on raw channels).
var errUnsupported = errors.New("not supported by this system")

// fanoutSubject is the channel (subject, topic) every Pub/Sub workload
// publishes to.
const fanoutSubject = "bench.fanout"

// pubsubConfig is what a Pub/Sub session must set up.
type pubsubConfig struct {
	subscribers int      // plain subscribers of fanoutSubject
	patterns    []string // non-matching pattern subscriptions (one extra subscriber holds them)
	publishers  int      // publishing goroutines
}

// pubsubPeer is a system under the Pub/Sub workloads.
type pubsubPeer interface {
	name() string
	// start subscribes cfg.subscribers receivers to fanoutSubject, each
	// reporting its deliveries to sink from its own goroutine, plus the
	// pattern subscriptions of cfg. It returns once every subscription is
	// live.
	start(cfg pubsubConfig, sink *tracker) (pubsubSession, error)
}

// pubsubSession is one set-up Pub/Sub run.
type pubsubSession interface {
	// publisher returns a publisher for one goroutine.
	publisher() (publisher, error)
	// close ends the subscribers and frees everything start made.
	close() error
}

// publisher publishes to fanoutSubject from one goroutine.
type publisher interface {
	// publish sends payload; it may buffer (see flush). payload is not
	// modified afterwards.
	publish(payload []byte) error
	// flush sends what publish buffered.
	flush() error
}

// tracker counts deliveries per subscriber and tells when every subscriber
// has reached a target count. In probe mode it also records the
// publish-to-receive latency of each delivery from the payload's stamp.
// deliver is called concurrently, but for one subscriber always from the
// same goroutine (or serialised).
type tracker struct {
	base    time.Time
	subs    []subCounter
	want    atomic.Int64 // count every subscriber must reach in this phase
	left    atomic.Int64 // subscribers that have not reached want
	done    atomic.Pointer[chan struct{}]
	probing atomic.Bool
}

// subCounter is one subscriber's state, padded to two cache lines so that
// subscribers never write to a line another one uses.
type subCounter struct {
	n       atomic.Int64
	reached atomic.Bool
	lat     []int64 // nanoseconds; written by the subscriber while probing
	_       [128 - 8 - 8 - 24]byte
}

func newTracker(n int) *tracker {
	t := &tracker{base: time.Now(), subs: make([]subCounter, n)}
	t.phase(0)
	return t
}

// phase starts a phase whose target count is want: done() is closed when
// every subscriber has received want messages in total. A target already
// reached counts at once.
func (t *tracker) phase(want int64) {
	ch := make(chan struct{})
	t.done.Store(&ch)
	t.left.Store(int64(len(t.subs)))
	for i := range t.subs {
		t.subs[i].reached.Store(false)
	}
	t.want.Store(want)
	for i := range t.subs {
		if t.subs[i].n.Load() >= want {
			t.reach(i)
		}
	}
}

// lower sets the target of the running phase to want (<= the current one),
// for a flood the deadline cut short.
func (t *tracker) lower(want int64) {
	t.want.Store(want)
	for i := range t.subs {
		if t.subs[i].n.Load() >= want {
			t.reach(i)
		}
	}
}

func (t *tracker) reach(i int) {
	if t.subs[i].reached.CompareAndSwap(false, true) && t.left.Add(-1) == 0 {
		close(*t.done.Load())
	}
}

// doneCh is closed when the current phase's target is reached.
func (t *tracker) doneCh() <-chan struct{} { return *t.done.Load() }

// deliver records one delivery to subscriber sub of payload.
func (t *tracker) deliver(sub int, payload []byte) {
	c := &t.subs[sub]
	if t.probing.Load() && len(payload) >= 8 {
		sent := int64(binary.LittleEndian.Uint64(payload))
		c.lat = append(c.lat, t.now()-sent)
	}
	if c.n.Add(1) >= t.want.Load() {
		t.reach(sub)
	}
}

// deliverString is deliver for systems that hand out payloads as strings.
func (t *tracker) deliverString(sub int, payload string) {
	var head [8]byte
	copy(head[:], payload)
	t.deliver(sub, head[:min(8, len(payload))])
}

// now is the tracker's clock: monotonic nanoseconds since base.
func (t *tracker) now() int64 { return int64(time.Since(t.base)) }

// stamped returns a new payload of size bytes (at least 8) stamped with the
// current time.
func (t *tracker) stamped(size int) []byte {
	p := make([]byte, max(size, 8))
	binary.LittleEndian.PutUint64(p, uint64(t.now()))
	return p
}

// minCount is the smallest delivery count over the subscribers.
func (t *tracker) minCount() int64 {
	m := int64(-1)
	for i := range t.subs {
		if n := t.subs[i].n.Load(); m < 0 || n < m {
			m = n
		}
	}
	return m
}

// total is the number of deliveries so far.
func (t *tracker) total() int64 {
	var s int64
	for i := range t.subs {
		s += t.subs[i].n.Load()
	}
	return s
}

// latencies returns every recorded latency in nanoseconds and clears them.
func (t *tracker) latencies() []int64 {
	var all []int64
	for i := range t.subs {
		all = append(all, t.subs[i].lat...)
		t.subs[i].lat = nil
	}
	return all
}
