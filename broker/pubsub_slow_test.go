package broker_test

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/brookmq/brook/broker"
)

// psMsgSize is the accounted size of a message on channel "a" with a one-byte
// payload and no pattern.
const psMsgSize = broker.MessageOverhead + 2

// pubsubClock is a settable broker clock.
type pubsubClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *pubsubClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *pubsubClock) Add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func psPayloads(t *testing.T, s *broker.Subscription) []string {
	t.Helper()
	ms, err := psQueued(s)
	if err != nil {
		t.Fatalf("draining: %v", err)
	}
	out := []string{}
	for _, m := range ms {
		out = append(out, string(m.Payload))
	}
	return out
}

func TestDisconnectHardLimit(t *testing.T) {
	b := psNewBroker(t, broker.Options{PubSub: broker.PubSubOptions{HardLimit: 3 * psMsgSize}})
	slow, _ := b.Subscribe("a")
	fast := newSub(t, b, broker.SubscriptionOptions{Limits: broker.PubSubOptions{HardLimit: -1}})
	defer fast.Close()
	fast.Subscribe("a")

	for i := range 3 {
		if n := psPublish(t, b, "a", strconv.Itoa(i)); n != 2 {
			t.Fatalf("publish %d = %d, want 2", i, n)
		}
	}
	// The reader receives one message of its batch and falls behind; the
	// queue goes over the limit within a few more messages (how many
	// depends on when the reader settles its count, see PubSubOptions).
	if m := psNext(t, slow); string(m.Payload) != "0" {
		t.Fatalf("first = %q", m.Payload)
	}
	sent := 3
	for ; sent < 10; sent++ {
		// The publish that drops the slow subscriber counts it too.
		if n := psPublish(t, b, "a", strconv.Itoa(sent)); n != 2 {
			t.Fatalf("publish %d = %d, want 2", sent, n)
		}
		if b.NumSub("a")[0] == 1 {
			break
		}
	}
	if sent == 10 {
		t.Fatal("slow subscriber never went over the hard limit")
	}
	if _, err := slow.Next(context.Background()); !errors.Is(err, broker.ErrSlowConsumer) {
		t.Errorf("Next = %v, want ErrSlowConsumer at once", err)
	}
	if _, err := slow.Subscribe("b"); !errors.Is(err, broker.ErrSlowConsumer) {
		t.Errorf("Subscribe after disconnect = %v, want ErrSlowConsumer", err)
	}
	if got := b.NumSub("a"); got[0] != 1 {
		t.Errorf("NumSub = %v, want [1]", got)
	}
	var want []string
	for i := range sent + 1 {
		want = append(want, strconv.Itoa(i))
	}
	if got := psPayloads(t, fast); !slices.Equal(got, want) {
		t.Errorf("fast subscriber got %q, want %q", got, want)
	}
	// Close keeps the slow-consumer error.
	slow.Close()
	if _, err := slow.Next(context.Background()); !errors.Is(err, broker.ErrSlowConsumer) {
		t.Errorf("Next after Close = %v, want ErrSlowConsumer", err)
	}
}

// TestDisconnectCounts checks that, as in Redis, the delivery that makes the
// broker drop a slow subscription counts in the publish's result, and so
// does every other delivery of that publish to it; the next publish counts
// none.
func TestDisconnectCounts(t *testing.T) {
	tests := []struct {
		name     string
		limits   broker.PubSubOptions
		patterns []string // subscribed besides the channel "a"
		before   int      // publishes that fit before the one that trips
		advance  bool     // advance the clock past the soft period before the last
		want     int
	}{
		{"hard limit", broker.PubSubOptions{HardLimit: psMsgSize - 1}, nil, 0, false, 1},
		{"hard limit, channel and patterns", broker.PubSubOptions{HardLimit: psMsgSize - 1},
			[]string{"a*", "*"}, 0, false, 3},
		{"hard limit, queue not empty", broker.PubSubOptions{HardLimit: psMsgSize + 1}, nil, 1, false, 1},
		{"soft limit", broker.PubSubOptions{SoftLimit: psMsgSize, SoftPeriod: time.Second}, nil, 2, true, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := &pubsubClock{now: time.Unix(1000, 0)}
			b := psNewBroker(t, broker.Options{Clock: clock.Now, PubSub: tt.limits})
			s, _ := b.Subscribe("a")
			if len(tt.patterns) > 0 {
				s.PSubscribe(tt.patterns...)
			}
			for i := range tt.before {
				if n := psPublish(t, b, "a", "x"); n != 1+len(tt.patterns) {
					t.Fatalf("publish %d = %d, want %d", i, n, 1+len(tt.patterns))
				}
			}
			if tt.advance {
				clock.Add(2 * time.Second)
			}
			if n := psPublish(t, b, "a", "x"); n != tt.want {
				t.Errorf("tripping publish = %d, want %d", n, tt.want)
			}
			if n := psPublish(t, b, "a", "x"); n != 0 {
				t.Errorf("next publish = %d, want 0", n)
			}
			if _, err := s.Next(context.Background()); !errors.Is(err, broker.ErrSlowConsumer) {
				t.Errorf("Next = %v, want ErrSlowConsumer", err)
			}
		})
	}
}

func TestDisconnectSoftLimit(t *testing.T) {
	const period = 10 * time.Second
	tests := []struct {
		name    string
		steps   []time.Duration // clock advance before each publish
		drainAt int             // drain before this step (-1: never)
		alive   bool
	}{
		{"within period", []time.Duration{0, 0, 0, period, 0}, -1, true},
		{"over period", []time.Duration{0, 0, 0, period, 1}, -1, false},
		{"drain resets", []time.Duration{0, 0, 0, period, 0, 0, 0, period}, 4, true},
		{"under soft never counts", []time.Duration{0, 0, time.Hour, 0}, -1, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := &pubsubClock{now: time.Unix(1000, 0)}
			b := psNewBroker(t, broker.Options{Clock: clock.Now, PubSub: broker.PubSubOptions{
				SoftLimit: 2 * psMsgSize, SoftPeriod: period,
			}})
			s, _ := b.Subscribe("a")
			for i, d := range tt.steps {
				if i == tt.drainAt {
					psPayloads(t, s)
				}
				clock.Add(d)
				psPublish(t, b, "a", "x")
			}
			_, err := psQueued(s)
			if alive := err == nil; alive != tt.alive {
				t.Errorf("alive = %v (err %v), want %v", alive, err, tt.alive)
			}
			if !tt.alive && !errors.Is(err, broker.ErrSlowConsumer) {
				t.Errorf("err = %v, want ErrSlowConsumer", err)
			}
		})
	}
}

func TestDropOldest(t *testing.T) {
	b := psNewBroker(t, broker.Options{})
	s := newSub(t, b, broker.SubscriptionOptions{Limits: broker.PubSubOptions{
		HardLimit: 3 * psMsgSize, Policy: broker.PolicyDropOldest,
	}})
	defer s.Close()
	s.Subscribe("a")
	for i := range 5 {
		if n := psPublish(t, b, "a", strconv.Itoa(i)); n != 1 {
			t.Fatalf("publish %d = %d, want 1", i, n)
		}
	}
	if got, want := psPayloads(t, s), []string{"2", "3", "4"}; !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
	// A message larger than the limit replaces everything and is queued alone.
	psPublish(t, b, "a", "5")
	psPublish(t, b, "a", string(make([]byte, 4*psMsgSize)))
	if got := psPayloads(t, s); len(got) != 1 || len(got[0]) != 4*int(psMsgSize) {
		t.Errorf("after oversized publish got %d messages", len(got))
	}
	// Many more messages than fit: the queue stays bounded and in order.
	for i := range 1000 {
		psPublish(t, b, "a", strconv.Itoa(i%10))
	}
	if got, want := psPayloads(t, s), []string{"7", "8", "9"}; !slices.Equal(got, want) {
		t.Errorf("after burst got %q, want %q", got, want)
	}
}

// psBlockBroker returns a broker inside a synctest bubble with a PolicyBlock
// subscription that holds one message, and an unlimited one, both on "a".
func psBlockBroker(t *testing.T) (b *broker.Broker, blocked, free *broker.Subscription) {
	b = newBroker(t, broker.Options{})
	blocked = newSub(t, b, broker.SubscriptionOptions{Limits: broker.PubSubOptions{
		HardLimit: psMsgSize, Policy: broker.PolicyBlock,
	}})
	blocked.Subscribe("a")
	free = newSub(t, b, broker.SubscriptionOptions{Limits: broker.PubSubOptions{HardLimit: -1}})
	free.Subscribe("a")
	return b, blocked, free
}

type psPubResult struct {
	n   int
	err error
}

func psPublishAsync(ctx context.Context, b *broker.Broker, payload string) chan psPubResult {
	done := make(chan psPubResult, 1)
	go func() {
		n, err := b.Publish(ctx, "a", []byte(payload))
		done <- psPubResult{n, err}
	}()
	return done
}

func TestBlockWaitsForRoom(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b, blocked, free := psBlockBroker(t)
		if n := psPublish(t, b, "a", "0"); n != 2 {
			t.Fatalf("first publish = %d, want 2", n)
		}
		done := psPublishAsync(context.Background(), b, "1")
		synctest.Wait()
		select {
		case r := <-done:
			t.Fatalf("publish into a full queue returned %+v", r)
		default:
		}
		// The other subscriber is not held up by the blocked one.
		if got := psPayloads(t, free); !slices.Equal(got, []string{"0", "1"}) {
			t.Errorf("free subscriber got %q", got)
		}
		// The reader takes "0" and asks for the next message: that makes
		// room, the publisher queues "1" and the reader gets it.
		got := make(chan string, 2)
		go func() {
			for range 2 {
				m, err := blocked.Next(context.Background())
				if err != nil {
					t.Error(err)
				}
				got <- string(m.Payload)
			}
		}()
		synctest.Wait()
		if r := <-done; r.n != 2 || r.err != nil {
			t.Errorf("unblocked publish = %+v, want 2, nil", r)
		}
		if a, b := <-got, <-got; a != "0" || b != "1" {
			t.Errorf("blocked subscriber got %q, %q", a, b)
		}
	})
}

func TestBlockContextAndClose(t *testing.T) {
	tests := []struct {
		name    string
		release func(cancel context.CancelFunc, b *broker.Broker, blocked *broker.Subscription)
		want    psPubResult
	}{
		{"cancel", func(cancel context.CancelFunc, _ *broker.Broker, _ *broker.Subscription) { cancel() },
			psPubResult{1, context.Canceled}},
		{"subscription close", func(_ context.CancelFunc, _ *broker.Broker, s *broker.Subscription) { s.Close() },
			psPubResult{1, nil}},
		{"broker close", func(_ context.CancelFunc, b *broker.Broker, _ *broker.Subscription) { b.Close() },
			psPubResult{1, nil}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				b, blocked, _ := psBlockBroker(t)
				psPublish(t, b, "a", "0")
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				done := psPublishAsync(ctx, b, "1")
				synctest.Wait()
				tt.release(cancel, b, blocked)
				synctest.Wait()
				if r := <-done; r.n != tt.want.n || !errors.Is(r.err, tt.want.err) {
					t.Errorf("publish = %+v, want %+v", r, tt.want)
				}
			})
		})
	}
}

func TestCloseWakesNext(t *testing.T) {
	tests := []struct {
		name  string
		close func(b *broker.Broker, s *broker.Subscription)
	}{
		{"subscription", func(_ *broker.Broker, s *broker.Subscription) { s.Close() }},
		{"broker", func(b *broker.Broker, _ *broker.Subscription) { b.Close() }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				b := newBroker(t, broker.Options{})
				defer b.Close()
				s, _ := b.Subscribe("a")
				done := make(chan error, 1)
				go func() {
					_, err := s.Next(context.Background())
					done <- err
				}()
				synctest.Wait()
				tt.close(b, s)
				if err := <-done; !errors.Is(err, broker.ErrClosed) {
					t.Errorf("Next = %v, want ErrClosed", err)
				}
			})
		})
	}
}

func TestNextWakesOnPublish(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := newBroker(t, broker.Options{})
		defer b.Close()
		s, _ := b.Subscribe("a")
		got := make(chan string, 3)
		go func() {
			for m, err := range s.Messages(context.Background()) {
				if err != nil {
					close(got)
					return
				}
				got <- string(m.Payload)
			}
		}()
		for i := range 3 {
			synctest.Wait() // the reader sleeps before each publish
			psPublish(t, b, "a", strconv.Itoa(i))
		}
		for i := range 3 {
			if m := <-got; m != strconv.Itoa(i) {
				t.Errorf("message %d = %q", i, m)
			}
		}
		s.Close()
		if _, ok := <-got; ok {
			t.Error("reader did not stop after Close")
		}
	})
}
