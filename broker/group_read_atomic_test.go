package broker_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"testing"

	"github.com/brookmq/brook/broker"
)

// TestXReadGroupAtomicWithDestroy races a multi-stream XREADGROUP ">"
// against XGROUP DESTROY of the group on one of its keys, many times, and
// checks that the read is all or nothing: either it delivered from every
// stream it names (each key's entries are then pending for the consumer,
// and the group's last-delivered-id moved, wherever the group still
// exists), or it failed with ErrNoGroup and no stream's group changed at
// all (nothing pending, last-delivered-id and entries-read unmoved, no
// consumer created). There are no timing thresholds: which of the two
// wins is up to the scheduler, and both outcomes are checked.
func TestXReadGroupAtomicWithDestroy(t *testing.T) {
	keys := []string{"a", "b", "c"}
	orders := [][]string{{"a", "b", "c"}, {"c", "b", "a"}, {"b", "a", "c"}} // the order the read names them
	eachKind(t, func(t *testing.T, k kind) {
		rounds := 200
		if k.durable {
			rounds = 50
		}
		if testing.Short() {
			rounds /= 4
		}
		ctx := context.Background()
		var delivered, refused int
		for i := range rounds {
			victim := keys[i%len(keys)]
			order := orders[(i/len(keys))%len(orders)]
			b, _ := k.open(t, 1000)
			for _, key := range keys {
				mustAdd(t, b, key, id(1, 0), "f", "1")
				mustAdd(t, b, key, id(2, 0), "f", "2")
				if err := b.XGroupCreate(ctx, key, "g", broker.GroupCreateOptions{}); err != nil {
					t.Fatal(err)
				}
			}
			before := make(map[string]broker.GroupInfo, len(keys))
			for _, key := range keys {
				before[key] = onlyGroup(t, b, key, "setup")
			}
			streams := make([]broker.ReadStream, len(order))
			for j, key := range order {
				streams[j] = broker.ReadStream{Key: key, From: broker.Undelivered()}
			}

			var (
				wg        sync.WaitGroup
				res       []broker.StreamEntries
				readErr   error
				destroyed bool
				destErr   error
			)
			// Yielding a varying number of times before the call spreads the
			// rounds over both outcomes without depending on timing.
			readYields, destroyYields := i%5, (i/5)%5
			begin := make(chan struct{})
			wg.Go(func() {
				<-begin
				for range readYields {
					runtime.Gosched()
				}
				res, readErr = b.XReadGroup(ctx, "g", "c", streams, broker.GroupReadOptions{})
			})
			wg.Go(func() {
				<-begin
				for range destroyYields {
					runtime.Gosched()
				}
				destroyed, destErr = b.XGroupDestroy(ctx, victim, "g")
			})
			close(begin)
			wg.Wait()

			where := fmt.Sprintf("round %d (destroy on %s, read %v)", i, victim, order)
			if !destroyed || destErr != nil {
				t.Fatalf("%s: XGroupDestroy = %v, %v; want true, nil", where, destroyed, destErr)
			}
			switch {
			case readErr == nil:
				delivered++
				// Every named stream is in the reply with both its entries.
				want := ""
				for j, key := range order {
					if j > 0 {
						want += " "
					}
					want += key + ":1-0,2-0"
				}
				if got := summary(res); got != want {
					t.Fatalf("%s: XReadGroup = %s; want %s", where, got, want)
				}
				for _, key := range keys {
					if key == victim {
						checkNoGroup(t, b, key, where)
						continue
					}
					checkDelivered(t, b, key, where)
				}
			case errors.Is(readErr, broker.ErrNoGroup):
				refused++
				if res != nil {
					t.Fatalf("%s: XReadGroup failed (%v) with a reply %s", where, readErr, summary(res))
				}
				for _, key := range keys {
					if key == victim {
						checkNoGroup(t, b, key, where)
						continue
					}
					checkUnchanged(t, b, key, where, before[key])
				}
			default:
				t.Fatalf("%s: XReadGroup = %v; want success or ErrNoGroup", where, readErr)
			}
			if err := b.Close(); err != nil {
				t.Fatal(err)
			}
		}
		t.Logf("%d rounds: the read delivered in %d, was refused in %d", rounds, delivered, refused)
	})
}

// onlyGroup returns key's only group, failing the test otherwise.
func onlyGroup(t *testing.T, b *broker.Broker, key, where string) broker.GroupInfo {
	t.Helper()
	gs, err := b.XInfoGroups(context.Background(), key)
	if err != nil || len(gs) != 1 {
		t.Fatalf("%s: XInfoGroups %s = %+v, %v; want one group", where, key, gs, err)
	}
	return gs[0]
}

// checkDelivered checks that group "g" of key delivered both entries to
// consumer "c": last-delivered-id 2-0, entries-read 2, both pending for c,
// delivered once.
func checkDelivered(t *testing.T, b *broker.Broker, key, where string) {
	t.Helper()
	ctx := context.Background()
	g := onlyGroup(t, b, key, where)
	if g.LastDeliveredID != id(2, 0) || g.EntriesRead != 2 || g.Lag != 0 || g.Pending != 2 || g.Consumers != 1 {
		t.Fatalf("%s: group g of %s = %+v; want last-delivered-id 2-0, entries-read 2, lag 0, 2 pending, 1 consumer", where, key, g)
	}
	ps, err := b.XPendingRange(ctx, key, "g", broker.PendingOptions{})
	if err != nil || len(ps) != 2 {
		t.Fatalf("%s: XPendingRange %s = %+v, %v; want 2 entries", where, key, ps, err)
	}
	for i, p := range ps {
		if p.ID != id(uint64(i+1), 0) || p.Consumer != "c" || p.Deliveries != 1 {
			t.Fatalf("%s: pending entry of %s: %+v; want %v delivered once to c", where, key, p, id(uint64(i+1), 0))
		}
	}
}

// checkUnchanged checks that group "g" of key is as it was before the race
// (XINFO GROUPS row before), with nothing pending and no consumer.
func checkUnchanged(t *testing.T, b *broker.Broker, key, where string, before broker.GroupInfo) {
	t.Helper()
	ctx := context.Background()
	if g := onlyGroup(t, b, key, where); g != before || g.Pending != 0 || g.Consumers != 0 {
		t.Fatalf("%s: group g of %s = %+v; want it unchanged, %+v", where, key, g, before)
	}
	if sum, err := b.XPending(ctx, key, "g"); err != nil || sum.Count != 0 {
		t.Fatalf("%s: XPending %s = %+v, %v; want nothing pending", where, key, sum, err)
	}
	if cs, err := b.XInfoConsumers(ctx, key, "g"); err != nil || len(cs) != 0 {
		t.Fatalf("%s: XInfoConsumers %s = %+v, %v; want no consumer", where, key, cs, err)
	}
}

// checkNoGroup checks that key exists without group "g".
func checkNoGroup(t *testing.T, b *broker.Broker, key, where string) {
	t.Helper()
	gs, err := b.XInfoGroups(context.Background(), key)
	if err != nil || len(gs) != 0 {
		t.Fatalf("%s: XInfoGroups %s after destroy = %+v, %v; want none", where, key, gs, err)
	}
}
