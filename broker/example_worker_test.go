package broker_test

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/brookmq/brook/broker"
)

// A durable worker: it reads orders as a consumer of a group, acknowledges
// what it finished, and after a restart first takes back what it had been
// given but not finished (its pending entries), then new orders.
func Example_durableWorker() {
	dir, err := os.MkdirTemp("", "brook-worker")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	ctx := context.Background()

	b, err := broker.Open(dir, broker.Options{}) // every call returns once on disk
	if err != nil {
		panic(err)
	}
	for _, item := range []string{"book", "lamp", "desk"} {
		if _, err := b.XAdd(ctx, "orders", []broker.Field{{Name: "item", Value: item}}, broker.AddOptions{}); err != nil {
			panic(err)
		}
	}
	if err := b.XGroupCreate(ctx, "orders", "shipping", broker.GroupCreateOptions{}); err != nil {
		panic(err)
	}
	work := func(from broker.Position, finish bool) {
		res, err := b.XReadGroup(ctx, "shipping", "worker-1",
			[]broker.ReadStream{{Key: "orders", From: from}},
			broker.GroupReadOptions{Count: 2, Block: time.Second})
		if err != nil {
			panic(err)
		}
		for _, e := range res[0].Entries {
			fmt.Println(from, e.Fields[0].Value)
			if finish {
				b.XAck(ctx, "orders", "shipping", e.ID)
			}
		}
	}
	work(broker.Undelivered(), false) // given book and lamp; the process dies before finishing
	b.Close()

	b, err = broker.Open(dir, broker.Options{}) // the restart
	if err != nil {
		panic(err)
	}
	defer b.Close()
	work(broker.After(broker.MinID), true) // its pending entries first
	work(broker.Undelivered(), true)       // then what nobody was given
	left, _ := b.XPending(ctx, "orders", "shipping")
	fmt.Println("pending:", left.Count)
	// Output:
	// > book
	// > lamp
	// 0-0 book
	// 0-0 lamp
	// > desk
	// pending: 0
}
