package broker_test

import (
	"context"
	"fmt"
	"os"

	"github.com/brookmq/brook/broker"
)

// A durable broker keeps its streams in a directory: a later Open of the
// same directory finds them, consumer groups included.
func ExampleOpen() {
	dir, err := os.MkdirTemp("", "brook-example")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	ctx := context.Background()

	b, err := broker.Open(dir, broker.Options{}) // every write fsynced before it returns
	if err != nil {
		panic(err)
	}
	b.XAdd(ctx, "orders", []broker.Field{{Name: "item", Value: "book"}}, broker.AddOptions{ID: broker.ExplicitID(broker.ID{Ms: 1})})
	b.XGroupCreate(ctx, "orders", "shipping", broker.GroupCreateOptions{})
	b.XReadGroup(ctx, "shipping", "alice", []broker.ReadStream{{Key: "orders", From: broker.Undelivered()}}, broker.GroupReadOptions{})
	b.Close()

	b, err = broker.Open(dir, broker.Options{})
	if err != nil {
		panic(err)
	}
	defer b.Close()
	entries, _ := b.XRange(ctx, "orders", broker.MinID, broker.MaxID, 0)
	pending, _ := b.XPending(ctx, "orders", "shipping")
	fmt.Println(entries[0].ID, entries[0].Fields[0].Value, pending.Count, pending.Consumers[0].Consumer)
	// Output: 1-0 book 1 alice
}
