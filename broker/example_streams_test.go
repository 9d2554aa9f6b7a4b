package broker_test

import (
	"context"
	"fmt"
	"time"

	"github.com/brookmq/brook/broker"
)

// The order-processing flow: orders go into a stream, a consumer group
// shares them between two workers, each acknowledges what it processed, and
// an order stuck with a worker that went away is claimed by the other one.
// A fake clock makes the IDs and idle times deterministic.
func Example_orderProcessing() {
	ctx := context.Background()
	now := time.UnixMilli(1700000000000)
	b, err := broker.New(broker.Options{Clock: func() time.Time { return now }})
	if err != nil {
		panic(err)
	}
	defer b.Close()

	for _, o := range [][2]string{{"1001", "book"}, {"1002", "lamp"}, {"1003", "pen"}} {
		id, err := b.XAdd(ctx, "orders", []broker.Field{{Name: "order", Value: o[0]}, {Name: "item", Value: o[1]}}, broker.AddOptions{})
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println("XADD", id)
	}
	if err := b.XGroupCreate(ctx, "orders", "order_processors", broker.GroupCreateOptions{}); err != nil {
		fmt.Println(err)
		return
	}

	read := func(consumer string, count int) []broker.Entry {
		res, err := b.XReadGroup(ctx, "order_processors", consumer,
			[]broker.ReadStream{{Key: "orders", From: broker.Undelivered()}}, broker.GroupReadOptions{Count: count})
		if err != nil || len(res) == 0 {
			return nil
		}
		for _, e := range res[0].Entries {
			fmt.Printf("%s got %s: order %s (%s)\n", consumer, e.ID, e.Fields[0].Value, e.Fields[1].Value)
		}
		return res[0].Entries
	}
	alice := read("alice", 2)
	bob := read("bob", 10)

	// bob finishes his order; alice finishes only her first one and vanishes.
	n, _ := b.XAck(ctx, "orders", "order_processors", bob[0].ID)
	fmt.Println("bob XACK:", n)
	n, _ = b.XAck(ctx, "orders", "order_processors", alice[0].ID)
	fmt.Println("alice XACK:", n)

	now = now.Add(90 * time.Second)
	sum, _ := b.XPending(ctx, "orders", "order_processors")
	fmt.Printf("XPENDING: %d pending, %s..%s, %v\n", sum.Count, sum.Min, sum.Max, sum.Consumers)
	all := broker.PendingOptions{Count: 10}
	stuck, _ := b.XPendingRange(ctx, "orders", "order_processors", all)
	for _, p := range stuck {
		fmt.Printf("pending %s owner=%s idle=%v deliveries=%d\n", p.ID, p.Consumer, p.Idle, p.Deliveries)
	}

	claimed, _ := b.XClaim(ctx, "orders", "order_processors", "bob", []broker.ID{alice[1].ID}, broker.ClaimOptions{MinIdle: time.Minute})
	for _, e := range claimed {
		fmt.Printf("bob claimed %s: order %s\n", e.ID, e.Fields[0].Value)
	}
	pending, _ := b.XPendingRange(ctx, "orders", "order_processors", all)
	for _, p := range pending {
		fmt.Printf("pending %s owner=%s idle=%v deliveries=%d\n", p.ID, p.Consumer, p.Idle, p.Deliveries)
	}
	n, _ = b.XAck(ctx, "orders", "order_processors", claimed[0].ID)
	fmt.Println("bob XACK:", n)
	sum, _ = b.XPending(ctx, "orders", "order_processors")
	fmt.Println("XPENDING:", sum.Count)

	// Output:
	// XADD 1700000000000-0
	// XADD 1700000000000-1
	// XADD 1700000000000-2
	// alice got 1700000000000-0: order 1001 (book)
	// alice got 1700000000000-1: order 1002 (lamp)
	// bob got 1700000000000-2: order 1003 (pen)
	// bob XACK: 1
	// alice XACK: 1
	// XPENDING: 1 pending, 1700000000000-1..1700000000000-1, [{alice 1}]
	// pending 1700000000000-1 owner=alice idle=1m30s deliveries=1
	// bob claimed 1700000000000-1: order 1002
	// pending 1700000000000-1 owner=bob idle=0s deliveries=2
	// bob XACK: 1
	// XPENDING: 0
}

// A blocking XREAD waits until the stream has an entry after the given ID
// (here 0-0: any entry; a key that does not exist yet is waited for), or
// until its Block time passes, Redis's BLOCK milliseconds: then the result
// is nil and so is the error.
func ExampleBroker_XRead() {
	ctx := context.Background()
	b, err := broker.New(broker.Options{})
	if err != nil {
		panic(err)
	}
	defer b.Close()

	done := make(chan struct{})
	go func() {
		defer close(done)
		res, err := b.XRead(ctx, []broker.ReadStream{{Key: "events"}}, broker.ReadOptions{Block: 10 * time.Second})
		if err != nil {
			fmt.Println(err)
			return
		}
		if res == nil {
			fmt.Println("timed out")
			return
		}
		e := res[0].Entries[0]
		fmt.Println(res[0].Key, e.ID, e.Fields[0].Value)
	}()
	b.XAdd(ctx, "events", []broker.Field{{Name: "msg", Value: "hello"}}, broker.AddOptions{ID: broker.ExplicitID(broker.ID{Ms: 1})})
	<-done
	// Output: events 1-0 hello
}

// Range pages through a stream of any length without holding its lock while
// the loop body runs.
func ExampleBroker_Range() {
	ctx := context.Background()
	b, err := broker.New(broker.Options{})
	if err != nil {
		panic(err)
	}
	defer b.Close()
	for i := uint64(1); i <= 1000; i++ {
		b.XAdd(ctx, "metrics", []broker.Field{{Name: "v", Value: fmt.Sprint(i)}}, broker.AddOptions{ID: broker.ExplicitID(broker.ID{Ms: i})})
	}
	n, last := 0, ""
	for e, err := range b.Range(ctx, "metrics", broker.ID{Ms: 100}, broker.MaxID) {
		if err != nil {
			fmt.Println(err)
			return
		}
		n, last = n+1, e.Fields[0].Value
	}
	fmt.Println(n, "entries, last value", last)
	// Output: 901 entries, last value 1000
}
