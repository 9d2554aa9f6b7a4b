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

// TestConcurrentDelivery runs producers, blocked group consumers and blocked
// XREAD followers on three streams at once, and checks that every entry is
// delivered to exactly one consumer of the group, that every follower sees
// its stream complete and in order, and that nothing stays pending.
func TestConcurrentDelivery(t *testing.T) {
	eachKind(t, func(t *testing.T, k kind) {
		const producers, perProducer, consumers = 4, 150, 3
		const total = producers * perProducer
		keys := []string{"a", "b", "c"}
		b, _ := k.open(t, 1000)
		bg := context.Background()
		for _, key := range keys {
			if err := b.XGroupCreate(bg, key, "g", broker.GroupCreateOptions{MkStream: true}); err != nil {
				t.Fatal(err)
			}
		}
		ctx, cancel := context.WithCancel(bg)
		defer cancel()
		var (
			wg        sync.WaitGroup
			mu        sync.Mutex
			delivered = map[string]int{} // "key id" -> deliveries
			acked     atomic.Int64
			followed  [3]atomic.Int64
		)
		groupStreams := make([]broker.GroupReadStream, len(keys))
		for i, key := range keys {
			groupStreams[i] = broker.GroupReadStream{Key: key, New: true}
		}
		for c := range consumers {
			wg.Go(func() {
				name := fmt.Sprint("c", c)
				for {
					res, err := b.XReadGroup(ctx, "g", name, groupStreams, broker.GroupReadOptions{Count: 7, Block: true})
					if err != nil {
						if ctx.Err() == nil {
							t.Errorf("%s: XReadGroup: %v", name, err)
						}
						return
					}
					for _, se := range res {
						mu.Lock()
						for _, e := range se.Entries {
							delivered[se.Key+" "+e.ID.String()]++
						}
						mu.Unlock()
						n, err := b.XAck(bg, se.Key, "g", ids(se.Entries)...)
						if err != nil || n != int64(len(se.Entries)) {
							t.Errorf("%s: XAck = %d, %v", name, n, err)
						}
						if acked.Add(n) == total {
							cancel()
						}
					}
				}
			})
		}
		var expect [3]int64 // entries each stream gets
		for p := range producers {
			for n := range perProducer {
				expect[(p+n)%len(keys)]++
			}
		}
		for i, key := range keys {
			wg.Go(func() {
				var after stream.ID
				for followed[i].Load() < expect[i] {
					res, err := b.XRead(bg, []broker.ReadStream{{Key: key, After: after}}, broker.ReadOptions{Block: true, Count: 5})
					if err != nil {
						t.Errorf("follower %s: %v", key, err)
						return
					}
					for _, e := range res[0].Entries {
						if !after.Less(e.ID) {
							t.Errorf("follower %s: %v after %v", key, e.ID, after)
						}
						after = e.ID
						followed[i].Add(1)
					}
				}
			})
		}
		var pwg sync.WaitGroup
		for p := range producers {
			pwg.Go(func() {
				for n := range perProducer {
					key := keys[(p+n)%len(keys)]
					if _, err := b.XAdd(bg, key, fields("p", fmt.Sprint(p), "n", fmt.Sprint(n)), broker.AddOptions{}); err != nil {
						t.Errorf("XAdd: %v", err)
						return
					}
				}
			})
		}
		pwg.Wait()
		wg.Wait() // consumers end once everything is acknowledged, followers once they saw it all
		if len(delivered) != total {
			t.Errorf("%d distinct entries delivered, want %d", len(delivered), total)
		}
		for e, n := range delivered {
			if n != 1 {
				t.Errorf("%s delivered %d times", e, n)
			}
		}
		for i, key := range keys {
			if n, err := b.XLen(bg, key); err != nil || n != expect[i] || followed[i].Load() != n {
				t.Errorf("%s: XLEN %d, %v, follower saw %d, want %d", key, n, err, followed[i].Load(), expect[i])
			}
			if sum, err := b.XPending(bg, key, "g"); err != nil || sum.Count != 0 {
				t.Errorf("%s still pending: %+v, %v", key, sum, err)
			}
		}
	})
}
