package broker_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/brookmq/brook/broker"
	"github.com/brookmq/brook/stream"
)

const (
	stressProducers   = 4
	stressPerProducer = 150
	stressConsumers   = 3
	stressTotal       = stressProducers * stressPerProducer
)

var stressKeys = []string{"a", "b", "c"}

// stressRun is the shared state of TestConcurrentDelivery.
type stressRun struct {
	t      *testing.T
	b      *broker.Broker
	cancel context.CancelFunc // ends the consumers once everything is acknowledged

	mu        sync.Mutex
	delivered map[string]int // "key id" -> deliveries to the group
	acked     atomic.Int64
	followed  [3]atomic.Int64 // entries each follower saw
	expect    [3]int64        // entries each stream gets
}

// TestConcurrentDelivery runs producers, blocked group consumers and blocked
// XREAD followers on three streams at once, and checks that every entry is
// delivered to exactly one consumer of the group, that every follower sees
// its stream complete and in order, and that nothing stays pending.
func TestConcurrentDelivery(t *testing.T) {
	eachKind(t, func(t *testing.T, k kind) {
		b, _ := k.open(t, 1000)
		bg := context.Background()
		for _, key := range stressKeys {
			if err := b.XGroupCreate(bg, key, "g", broker.GroupCreateOptions{MkStream: true}); err != nil {
				t.Fatal(err)
			}
		}
		ctx, cancel := context.WithCancel(bg)
		defer cancel()
		r := &stressRun{t: t, b: b, cancel: cancel, delivered: map[string]int{}}
		for p := range stressProducers {
			for n := range stressPerProducer {
				r.expect[(p+n)%len(stressKeys)]++
			}
		}
		var wg sync.WaitGroup
		for c := range stressConsumers {
			wg.Go(func() { r.consume(ctx, fmt.Sprint("c", c)) })
		}
		for i := range stressKeys {
			wg.Go(func() { r.follow(i) })
		}
		var pwg sync.WaitGroup
		for p := range stressProducers {
			pwg.Go(func() { r.produce(p) })
		}
		pwg.Wait()
		wg.Wait() // consumers end once everything is acknowledged, followers once they saw it all
		r.check()
	})
}

func (r *stressRun) produce(p int) {
	for n := range stressPerProducer {
		key := stressKeys[(p+n)%len(stressKeys)]
		if _, err := r.b.XAdd(context.Background(), key, fields("p", fmt.Sprint(p), "n", fmt.Sprint(n)), broker.AddOptions{}); err != nil {
			r.t.Errorf("XAdd: %v", err)
			return
		}
	}
}

// consume reads from every stream as one consumer of the group, blocking,
// and acknowledges what it gets, until ctx ends.
func (r *stressRun) consume(ctx context.Context, name string) {
	streams := make([]broker.ReadStream, len(stressKeys))
	for i, key := range stressKeys {
		streams[i] = broker.ReadStream{Key: key, From: broker.Undelivered()}
	}
	for {
		res, err := r.b.XReadGroup(ctx, "g", name, streams, broker.GroupReadOptions{Count: 7, Block: broker.BlockForever})
		if err != nil {
			if ctx.Err() == nil {
				r.t.Errorf("%s: XReadGroup: %v", name, err)
			}
			return
		}
		for _, se := range res {
			r.mu.Lock()
			for _, e := range se.Entries {
				r.delivered[se.Key+" "+e.ID.String()]++
			}
			r.mu.Unlock()
			n, err := r.b.XAck(context.Background(), se.Key, "g", ids(se.Entries)...)
			if err != nil || n != int64(len(se.Entries)) {
				r.t.Errorf("%s: XAck = %d, %v", name, n, err)
			}
			if r.acked.Add(n) == stressTotal {
				r.cancel()
			}
		}
	}
}

// follow reads stream i with blocking XREADs until it has seen all of it.
func (r *stressRun) follow(i int) {
	key := stressKeys[i]
	var after stream.ID
	for r.followed[i].Load() < r.expect[i] {
		res, err := r.b.XRead(context.Background(), []broker.ReadStream{{Key: key, From: broker.After(after)}}, broker.ReadOptions{Block: broker.BlockForever, Count: 5})
		if err != nil {
			r.t.Errorf("follower %s: %v", key, err)
			return
		}
		for _, e := range res[0].Entries {
			if !after.Less(e.ID) {
				r.t.Errorf("follower %s: %v after %v", key, e.ID, after)
			}
			after = e.ID
			r.followed[i].Add(1)
		}
	}
}

func (r *stressRun) check() {
	t, bg := r.t, context.Background()
	if len(r.delivered) != stressTotal {
		t.Errorf("%d distinct entries delivered, want %d", len(r.delivered), stressTotal)
	}
	for e, n := range r.delivered {
		if n != 1 {
			t.Errorf("%s delivered %d times", e, n)
		}
	}
	for i, key := range stressKeys {
		if n, err := r.b.XLen(bg, key); err != nil || n != r.expect[i] || r.followed[i].Load() != n {
			t.Errorf("%s: XLEN %d, %v, follower saw %d, want %d", key, n, err, r.followed[i].Load(), r.expect[i])
		}
		if sum, err := r.b.XPending(bg, key, "g"); err != nil || sum.Count != 0 {
			t.Errorf("%s still pending: %+v, %v", key, sum, err)
		}
	}
}
