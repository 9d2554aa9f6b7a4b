package brookredis_test

import (
	"context"
	"fmt"
	"time"

	"github.com/brookmq/brook/broker"
	brookredis "github.com/brookmq/brook/redis"
	"github.com/redis/go-redis/v9"
)

// process is application code: it knows a broker.Client, not where it lives.
func process(ctx context.Context, c broker.Client) error {
	if _, err := c.XAdd(ctx, "{orders}.in", []broker.Field{{Name: "item", Value: "book"}}, broker.AddOptions{}); err != nil {
		return err
	}
	got, err := c.XReadGroup(ctx, "workers", "worker-1",
		[]broker.ReadStream{{Key: "{orders}.in", From: broker.Undelivered()}},
		broker.GroupReadOptions{Count: 10, Block: time.Second})
	if err != nil {
		return err
	}
	for _, s := range got {
		for _, e := range s.Entries {
			fmt.Println(e.Fields[0].Value)
			if _, err := c.XAck(ctx, s.Key, "workers", e.ID); err != nil {
				return err
			}
		}
	}
	return nil
}

// On Redis: a server, Sentinel or Cluster. (Not run: it needs a server.)
func Example() {
	ctx := context.Background()
	// Embedded, it would be: c, err := broker.Open(dir, broker.Options{})
	c := brookredis.New(redis.NewUniversalClient(&redis.UniversalOptions{
		Addrs: []string{"127.0.0.1:6379"}, // several addresses: a Cluster
	}), brookredis.Options{})
	defer c.Close()
	if err := c.XGroupCreate(ctx, "{orders}.in", "workers", broker.GroupCreateOptions{MkStream: true}); err != nil {
		panic(err)
	}
	if err := process(ctx, c); err != nil {
		panic(err)
	}
}

// The same code on the embedded broker.
func Example_embedded() {
	ctx := context.Background()
	c, err := broker.New(broker.Options{})
	if err != nil {
		panic(err)
	}
	defer c.Close()
	if err := c.XGroupCreate(ctx, "{orders}.in", "workers", broker.GroupCreateOptions{MkStream: true}); err != nil {
		panic(err)
	}
	if err := process(ctx, c); err != nil {
		panic(err)
	}
	// Output: book
}
